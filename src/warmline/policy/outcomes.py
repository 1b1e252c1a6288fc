"""What follows once the back office has answered: the reply that reports a result, the
back office's refusal told in its own words, a missing record asked about again, and an outage
or an open circuit handed to a person with the reason. A reply that cannot be worded from the
record it got also goes to a person.

A write refused after the customer's yes (the account or the order changed since its dry run,
or a rule the dry run does not see) is told as its refused dry run would have been
(``policy/writes.py``): the rule in the pack's ``refused`` words, nothing changed, and for a
rule the action asks again (``ask_again``: another payment method) that question with its
choices; a person is always among the choices. Nothing is retried: a new value goes through a
new dry run and a new yes.

Each function returns the follow-up ``Decision``: which template words the reply and, when the
conversation goes to a person, the trigger and every reason (the turn's and the new one).
"""

from __future__ import annotations

from dataclasses import replace

from warmline.domain.conversation import ConversationState, Refusal
from warmline.domain.decision import Decision, Reason
from warmline.domain.outcome import ActionOutcome
from warmline.domain.pack import Action, DomainPack
from warmline.domain.reasons import Trigger
from warmline.policy.guided import preview_key
from warmline.policy.rollout import HELD_TEMPLATES, GatedOutcome
from warmline.policy.writes import refused


def after_action(decision: Decision, outcome: ActionOutcome, action: Action) -> Decision:
    """The follow-up to ``decision`` (a ``confirm`` or an ``act``) once ``action`` was
    previewed or executed with ``outcome``. A write its rollout held (shadow, or waiting for
    approval) is told so, with the rollout's reasons."""
    if isinstance(outcome, GatedOutcome) and outcome.held is not None:
        return decision.model_copy(
            update={
                "template": HELD_TEMPLATES[outcome.held],
                "reasons": [*decision.reasons, *outcome.rollout],
            }
        )
    if outcome.ok:
        template = f"confirm:{outcome.action}" if outcome.step == "preview" else action.success
        return decision.model_copy(update={"template": template})
    if outcome.failure == "rejected":
        return decision.model_copy(
            update={
                "kind": "answer",
                "template": action.refused or _failure(action, outcome) or "action_refused",
                "choices": [],
                "reasons": [*decision.reasons, _refusal_reason(outcome)],
            }
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


def _failure(action: Action, outcome: ActionOutcome) -> str | None:
    """The action's ``failure`` template, for a write refused after the yes."""
    return action.failure if outcome.step == "execute" else None


def _refusal_reason(outcome: ActionOutcome) -> Reason:
    """``precondition_failed`` with the rule, the back office's words and the step refused."""
    rule = outcome.error.removeprefix("precondition_failed:")
    when = "the dry run was refused" if outcome.step == "preview" else "refused after the yes"
    return Reason(
        code="precondition_failed",
        detail=f"{outcome.action}: {when}: {outcome.message}",
        values={"rule": rule, "message": outcome.message, "step": outcome.step},
    )


def refused_on_execute(decision: Decision) -> bool:
    """Whether ``decision`` follows a write the back office refused after the customer's yes."""
    return any(
        r.code == "precondition_failed" and r.values.get("step") == "execute"
        for r in decision.reasons
    )


def after_refused_write(follow: Decision, state: ConversationState, pack: DomainPack) -> Decision:
    """The follow-up to a write refused after the yes (``follow``, from ``after_action``),
    told as its refused dry run is (``policy/writes.py``): the pack's ``refused`` words and,
    for a rule the action asks again, that question with the choices in ``state.offers`` (the
    guide stage reads them); every other value is kept, and a person is always offered."""
    reason = next(r for r in reversed(follow.reasons) if r.code == "precondition_failed")
    name, params = follow.action or "", dict(follow.params)
    refusal = Refusal(str(reason.values.get("rule")), str(reason.values.get("message") or ""))
    told = replace(state, pending=None, refusals={preview_key(name, params): refusal})
    earlier = [r for r in follow.reasons if r is not reason]
    base = {"intent": follow.intent, "confidence": follow.confidence}
    decision = refused(name, pack, params, told, earlier, base, step="execute")
    if decision is None or decision.template == "no_choices":  # nothing else to choose
        decision = follow
    person = pack.intent_label("human_agent") if "human_agent" in pack.intents else None
    if person is None or person in decision.choices:
        return decision
    return decision.model_copy(update={"choices": [*decision.choices, person]})


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
