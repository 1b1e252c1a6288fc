"""What follows once the back office has answered: the reply that reports a result, the
back office's refusal told in its own words, a missing record asked about again, and an outage
or an open circuit handed to a person with the reason. A reply that cannot be worded from the
record it got also goes to a person.

Each function returns the follow-up ``Decision``: which template words the reply and, when the
conversation goes to a person, the trigger and every reason (the turn's and the new one).
"""

from __future__ import annotations

from warmline.domain.decision import Decision, Reason
from warmline.domain.outcome import ActionOutcome
from warmline.domain.pack import Action
from warmline.domain.reasons import Trigger


def after_action(decision: Decision, outcome: ActionOutcome, action: Action) -> Decision:
    """The follow-up to ``decision`` (a ``confirm`` or an ``act``) once ``action`` was
    previewed or executed with ``outcome``."""
    if outcome.ok:
        template = f"confirm:{outcome.action}" if outcome.step == "preview" else action.success
        return decision.model_copy(update={"template": template})
    if outcome.failure == "rejected" and outcome.step == "preview":
        rule = outcome.error.removeprefix("precondition_failed:")
        reason = Reason(
            code="precondition_failed",
            detail=f"{outcome.action}: the dry run was refused: {outcome.message}",
            values={"rule": rule},
        )
        return decision.model_copy(
            update={
                "kind": "answer",
                "template": action.refused or "action_refused",
                "choices": [],
                "reasons": [*decision.reasons, reason],
            }
        )
    if outcome.failure == "rejected":
        return decision.model_copy(
            update={"kind": "answer", "template": action.failure or "action_rejected"}
        )
    if outcome.failure == "not_found":
        return decision.model_copy(update={"kind": "answer", "template": "action_not_found"})
    if outcome.failure == "circuit_open":
        reason = Reason(code="circuit_open", detail=f"{outcome.action}: {outcome.title}")
        trigger: Trigger = "circuit_open"
    else:
        reason = Reason(code="backoffice_unavailable", detail=f"{outcome.action}: {outcome.title}")
        trigger = "action_failed"
    return decision.model_copy(
        update={
            "kind": "escalate",
            "escalation": trigger,
            "template": "action_unavailable",
            "choices": [],
            "reasons": [*decision.reasons, reason],
        }
    )


def after_template_failure(decision: Decision, problem: str, *, done: bool) -> Decision:
    """The reply's template failed on the record it got (``problem``): a person takes over.
    ``done``: the action went through, and the customer is told so."""
    reason = Reason(code="template_failed", detail=problem)
    return decision.model_copy(
        update={
            "kind": "escalate",
            "escalation": "template_failed",
            "template": "action_done_unworded" if done else "escalated",
            "choices": [],
            "reasons": [*decision.reasons, reason] if not done else [reason],
        }
    )
