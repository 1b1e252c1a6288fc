"""The decision rules: a pure function of conversation state, understanding, customer and pack.

``decide`` returns a ``Decision`` whose ``reasons`` name every rule that fired, with the
figures it compared, so the event log alone explains what the bot did and why. The steps live
beside this module: answers to what the bot asked (``followups.py``; to a question of the
pack's verification, ``verification.py``), not being sure or out of
scope (``clarify.py``), a known intent (``intents.py``), empathy (``empathy.py``) and the
triggers that hand over (``escalation.py``, ``handover.py``); what follows an action is
``outcomes.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from warmline.domain.conversation import ConversationState
from warmline.domain.customers import Customer, VerificationCheck
from warmline.domain.decision import Decision, Reason
from warmline.domain.grounding import Grounding
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import Understanding
from warmline.policy.anomaly import Hold, on_hold
from warmline.policy.clarify import clarify, out_of_scope, ruled_out
from warmline.policy.empathy import EmpathyReading, acknowledgement
from warmline.policy.escalation import at_handover, escalation_trigger
from warmline.policy.followups import follow_up, parameter_loop, refused_again
from warmline.policy.handover import while_escalated
from warmline.policy.intents import handle_intent
from warmline.policy.knowledge import knowledge_step
from warmline.policy.reading import dialogue_acts, request_sentence
from warmline.policy.verification import while_verifying


def decide(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    observations: Sequence[Reason] = (),
    verification: VerificationCheck | None = None,
    holds: Mapping[str, Hold] | None = None,
    grounding: Grounding | None = None,
) -> Decision:
    """The decision for one turn; a distressed customer's reply opens with an acknowledgement
    (``empathy.py``) whatever the step after it, and the triggers of ``escalation.py`` hand the
    conversation to a person whatever the step would have been. ``observations`` (how the
    account was read) are added to the reasons; ``verification`` is what the reply did for
    the pack's verification under way (``verification.py``). A write on hold (``holds``,
    by action) is neither proposed nor run (``anomaly.py``). ``grounding`` is what the pack's
    documents say to the turn, when the knowledge stage read them (``knowledge.py``)."""
    if state.status == "escalated":
        return while_escalated(state, None)
    decision = _decide(state, understanding, customer, pack, verification, grounding)
    decision = on_hold(decision, holds or {}, pack)
    decision = _with_feelings(state, understanding, customer, pack, decision)
    decision = at_handover(state, understanding, customer, pack, decision)
    decision = returned_opener(state, understanding, decision)
    if not observations:
        return decision
    return decision.model_copy(update={"reasons": [*decision.reasons, *observations]})


def _with_feelings(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    decision: Decision,
) -> Decision:
    """The decision with the turn's acknowledgement, or a person when a trigger fires."""
    empathy = acknowledgement(state, understanding, pack, decision)
    ack, reasons = empathy.acknowledgement, list(empathy.reasons)
    trigger = escalation_trigger(state, understanding, customer, pack, ack)
    settled = decision.kind in ("decline", "close") or "confirmed" in decision.reason_codes()
    if trigger is not None and (decision.kind == "escalate" or settled):
        # Already going to a person, or the customer just settled something (a yes, a no, a
        # goodbye) that must happen as they said: the trigger is recorded, not acted on.
        reasons.append(trigger.reason)
    elif trigger is not None:
        return Decision(
            kind="escalate",
            intent=decision.intent,
            confidence=decision.confidence,
            escalation=trigger.trigger,
            acknowledgement=ack,
            out_of_scope=decision.out_of_scope,
            empathy_buffer_spent=empathy.buffer_spent,
            reasons=[*decision.reasons, *reasons, trigger.reason],
        )
    if not reasons:
        return decision
    return _acknowledged(decision, EmpathyReading(ack, reasons, empathy.buffer_spent), pack)


def _acknowledged(decision: Decision, empathy: EmpathyReading, pack: DomainPack) -> Decision:
    """The decision opening with the acknowledgement, its reasons added."""
    ack, reasons = empathy.acknowledgement, list(empathy.reasons)
    choices = decision.choices
    person = pack.intent_label("human_agent")
    if ack is not None and ack.strong and decision.kind == "confirm" and person not in choices:
        # A very upset customer asked to confirm is also offered the way to a person.
        choices = [*choices, person]
        reasons.append(Reason(code="person_offered", detail="strong distress at a confirmation"))
    return decision.model_copy(
        update={
            "acknowledgement": ack,
            "empathy_buffer_spent": empathy.buffer_spent,
            "choices": choices,
            "reasons": [*decision.reasons, *reasons],
        }
    )


def _decide(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    verification: VerificationCheck | None = None,
    grounding: Grounding | None = None,
) -> Decision:
    """The step for this turn, before feelings and triggers: a person if asked for, else an
    answer to what the bot asked (a verification question first), else a new request."""
    reasons: list[Reason] = [_nlu_reason(understanding, pack)]
    acts = dialogue_acts(understanding.acts)
    if acts is not None:
        reasons.append(acts)
    intent = understanding.intent
    facts = verification is not None and bool(verification.given)  # not a request for a person
    if (
        intent == "human_agent"
        and understanding.confidence >= pack.thresholds.clarify
        and not facts
    ):
        reasons.append(Reason(code="customer_request", detail="the customer asked for a person"))
        return Decision(
            kind="escalate",
            intent=intent,
            confidence=understanding.confidence,
            escalation="customer_request",
            reasons=reasons,
        )
    if state.verifying is not None and state.customer_id is None:
        verified = while_verifying(state, understanding, verification, customer, pack, reasons)
        if verified is not None:
            return verified
    followed = follow_up(state, understanding, customer, pack, reasons)
    if followed is None:
        followed = _new_request(state, understanding, customer, pack, reasons, grounding)
    return parameter_loop(state, refused_again(state, understanding, followed))


def _new_request(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
    grounding: Grounding | None = None,
) -> Decision:
    """A request read on its own: an acknowledgement ("cool", "sounds good": like "ok", is
    there anything else?), another language, out of scope, not sure, or an intent; when not
    sure or out of scope, an answer from the pack's documents first (``knowledge.py``)."""
    acts = understanding.acts
    if acts is not None and acts.acts[-1] in ("acknowledge", "affirm"):
        reasons.append(Reason(code="conversational", detail=f"{acts.acts[-1]}: nothing asked"))
        return Decision(kind="answer", template="anything_else", reasons=reasons)
    if understanding.language not in pack.languages:
        reasons.append(
            Reason(
                code="unsupported_language",
                detail=f"the message is in '{understanding.language}'; the pack speaks {pack.languages}",
            )
        )
        decision = out_of_scope(state, understanding, pack, reasons)
        if decision.kind == "escalate":
            return decision
        return decision.model_copy(update={"template": "unsupported_language"})
    if understanding.zone == "out_of_scope" or understanding.intent is None:
        known = knowledge_step(state, understanding, pack, grounding, reasons)
        return known or out_of_scope(state, understanding, pack, reasons)
    if understanding.context:
        reasons.append(Reason(code="context", detail=understanding.context))
    if understanding.sentence is not None:
        reasons.append(request_sentence(understanding.sentence))
    if understanding.zone == "clarify":
        known = knowledge_step(state, understanding, pack, grounding, reasons)
        if known is not None:
            return known
        exclude = ruled_out(state, understanding, customer, pack, reasons)
        return clarify(state, understanding, pack, reasons, exclude=exclude)
    return handle_intent(state, understanding.intent, understanding, customer, pack, reasons)


RETURNED = {"greeting": "greet", "thanks": "thanks"}
"""The openers a reply returns ("Hi!", "You're welcome."), and the intent that answers each
on its own: a turn read as that intent is answered by its template, which says it already."""


def returned_opener(
    state: ConversationState, understanding: Understanding, decision: Decision
) -> Decision:
    """The decision, with the greeting or thanks the turn opened with returned before the reply
    ("hi! where is my order?": "Hi! ..."; "thanks! and also ...": "You're welcome. ..."), as a
    person would: not when the reply answers the opener itself (a greeting, a goodbye), not
    when it opens with an acknowledgement of how the customer feels, not when an earlier turn
    was a greeting on its own (the bot greeted then), nor after a turn that was thanks.
    Whether this conversation has heard the words already is the respond stage's to check."""
    acts = understanding.acts
    if acts is None or len(acts.acts) < 2 or acts.has("goodbye"):
        return decision
    opener = next((a for a in acts.acts if a in RETURNED), None)
    answered = decision.template in ("greet", "thanks", "goodbye") or decision.kind == "close"
    if opener is None or answered or decision.acknowledgement is not None:
        return decision
    # a greeting answered on its own earlier (the bot greeted then); thanks just before
    earlier = [r.intent for r in state.readings[-1:] if opener == "thanks"] or [
        r.intent for r in state.readings
    ]
    if RETURNED[opener] in earlier:
        return decision
    reason = Reason(
        code="opener_returned",
        detail=f"the turn opened with a {opener}; the reply returns it",
        values={"opener": opener},
    )
    return decision.model_copy(update={"reasons": [*decision.reasons, reason]})


def _nlu_reason(understanding: Understanding, pack: DomainPack) -> Reason:
    top = understanding.ranking[:3]
    values: dict[str, Any] = {
        "zone": understanding.zone,
        "confidence": round(understanding.confidence, 4),
        "threshold_confident": pack.thresholds.confident,
        "threshold_clarify": pack.thresholds.clarify,
    }
    if understanding.oos_score is not None:
        values["oos_score"] = understanding.oos_score
    return Reason(
        code="nlu",
        detail=", ".join(f"{s.intent}={s.probability:.2f}" for s in top) or "no intent",
        values=values,
    )
