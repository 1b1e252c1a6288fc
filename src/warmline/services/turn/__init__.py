"""One customer turn, stage by stage: ``perceive`` (the NLU and the account), ``decide`` (the
policy), ``act`` (the back office), ``respond`` (the pack's templates) and ``record`` (the one
transaction). ``services/conversations.py`` runs them in that order; ``context.py`` holds what
they pass along."""
