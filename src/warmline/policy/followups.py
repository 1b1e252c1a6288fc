"""Answers to what the bot asked last: a yes or a no to a proposed action, one of the offered
choices, or the missing detail it asked for."""

from __future__ import annotations

import json
import re

from warmline.domain.conversation import ConversationState, PendingAction, times_asked_again
from warmline.domain.customers import Customer
from warmline.domain.decision import Decision, Reason
from warmline.domain.pack import DomainPack, Parameter
from warmline.domain.understanding import Understanding
from warmline.policy.choices import resolve_choice
from warmline.policy.clarify import CONVERSATIONAL, clarify, without_values
from warmline.policy.corrections import corrected, reopened
from warmline.policy.guided import ALL_LABEL, as_list, current_offer, pick
from warmline.policy.intents import handle_intent, ontology_choices
from warmline.policy.labels import every


def follow_up(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision | None:
    """The turn as an answer to what the bot asked (None: it is not one)."""
    fixed = _correction(state, understanding, customer, pack, reasons)
    if fixed is not None:
        return fixed
    many = _many_answer(state, understanding, customer, pack, reasons)
    if many is not None:
        return many
    if state.pending is not None:
        pending = resolve_pending(state, understanding, reasons)
        if pending is not None:
            return pending
    if state.choices:
        picked = resolve_choice(understanding.text, state.choices)
        if picked is not None:
            return from_choice(state, understanding, customer, pack, picked, reasons)
    if state.awaiting_param and state.awaiting_intent:
        resumed = resume_for_param(state, understanding, customer, pack, reasons)
        if resumed is not None:
            return resumed
    return _reopened(state, understanding, customer, pack, reasons)


MAX_ASKED_AGAIN = 1
"""How often a question for a detail is asked again when the answer moved nothing on; the
next time, a person takes over instead."""


def parameter_loop(state: ConversationState, decision: Decision) -> Decision:
    """The decision, or, when it would ask the question for a detail a third time with nothing
    new filled since the first (answers the bot could not use), a person instead: the customer
    is not asked the same thing over and over."""
    again = times_asked_again(state, decision)
    if decision.kind != "clarify" or again <= MAX_ASKED_AGAIN:
        return decision
    missing = decision.missing or ""
    reason = Reason(
        code="parameter_loop",
        detail=f"{decision.action}.{missing} asked {again + 1} times without an answer to use",
        values={"parameter": missing, "asked": again + 1, "limit": MAX_ASKED_AGAIN + 1},
    )
    return Decision(
        kind="escalate",
        intent=decision.intent,
        confidence=decision.confidence,
        escalation="parameter_loop",
        template="parameter_loop",
        reasons=[*decision.reasons, reason],
    )


_DENIAL = re.compile(
    r"^\W*(no|nope|nah|not (?:that|this|what)|that(?:'s| is) not|that isn't|wrong)\b", re.IGNORECASE
)


def refused_again(
    state: ConversationState, understanding: Understanding, decision: Decision
) -> Decision:
    """The decision, or a no when the customer answered a proposal with a refusal ("No, I
    didn't ask for that", "that's not it") and reading the reply as a request would only
    propose the very same thing again. A refusal that changes something ("no, one that
    leaves before 8pm") keeps the new proposal."""
    pending = state.pending
    if (
        pending is None
        or decision.kind != "confirm"
        or decision.action != pending.action
        or {k: str(v) for k, v in decision.params.items()} != dict(pending.params)
        or _DENIAL.match(understanding.text) is None
    ):
        return decision
    reason = Reason(
        code="declined",
        detail=f"the customer refused {pending.action}, and their reply proposes nothing else",
    )
    return Decision(
        kind="decline",
        action=pending.action,
        template="declined",
        reasons=[*decision.reasons, reason],
    )


def resolve_pending(
    state: ConversationState, understanding: Understanding, reasons: list[Reason]
) -> Decision | None:
    """A yes runs the proposed action, a no drops it; anything else abandons it (None: the
    turn is read as a new request)."""
    pending = state.pending
    assert pending is not None
    picked = resolve_choice(understanding.text, ("yes", "no")) if state.choices else None
    intent = understanding.intent if understanding.zone != "out_of_scope" else None
    agreed = understanding.acts is not None and understanding.acts.has("affirm")
    if picked is None and not agreed and _unsure(understanding):
        return _asked_again(state, pending, reasons)
    if picked == 0 or (picked is None and (intent == "affirm" or agreed)):
        reasons.append(Reason(code="confirmed", detail=f"the customer confirmed {pending.action}"))
        return Decision(
            kind="act",
            intent=state.last_intent,
            action=pending.action,
            params=dict(pending.params),
            proposal=pending.proposal,
            reasons=reasons,
        )
    if picked == 1 or (picked is None and intent == "deny"):
        reasons.append(Reason(code="declined", detail=f"the customer declined {pending.action}"))
        return Decision(kind="decline", action=pending.action, template="declined", reasons=reasons)
    reasons.append(
        Reason(
            code="confirmation_abandoned",
            detail=f"no yes or no to {pending.action}; nothing was done and the new request is read",
        )
    )
    return None


_UNSURE = re.compile(
    r"\b(not (so |too |quite |really )?sure|unsure|(do ?n[o']?t|dunno|no) (really )?know|dunno|"
    r"maybe|perhaps|possibly|let me (think|check|see|sleep on)|think about it|hold on|hang on|"
    r"not yet|not now|give me a (minute|moment|second|sec)|undecided|hm+|um+|uh+)\b",
    re.I,
)


def _unsure(understanding: Understanding) -> bool:
    """Whether a reply to a confirmation hedges ("hmm, I'm not sure", "maybe", "let me think"),
    only acknowledges ("cool", "perfect": praise, no yes), or is a yes or a no read without
    confidence: never a yes, and not a no either. A yes in so many words ("yes", "sounds good",
    ``nlu/acts.py``) is a yes however confident the intent."""
    if _UNSURE.search(understanding.text):
        return True
    if understanding.acts is not None and "acknowledge" in understanding.acts.acts:
        return True
    return understanding.zone == "clarify" and understanding.intent in ("affirm", "deny")


def _asked_again(
    state: ConversationState, pending: PendingAction, reasons: list[Reason]
) -> Decision:
    """The same proposal put again, through a fresh dry run: nothing is done without a yes."""
    reasons.append(
        Reason(
            code="confirmation_unsure",
            detail=f"the reply to {pending.action} is neither a clear yes nor a clear no; "
            "nothing was done and the confirmation is asked again",
        )
    )
    return Decision(
        kind="confirm",
        intent=state.last_intent,
        action=pending.action,
        params=dict(pending.params),
        choices=["yes", "no"],
        reasons=reasons,
    )


def from_choice(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    picked: int,
    reasons: list[Reason],
) -> Decision:
    """The customer picked offered choice ``picked``: a value of the parameter asked for, or
    the intent they meant."""
    choice = state.choices[picked]
    if state.awaiting_param and state.awaiting_intent:
        choice = _choice_value(pack, state, picked, choice)
        reasons.append(
            Reason(
                code="choice_selected",
                detail=f"{state.awaiting_param} = {choice}",
                values={"index": picked},
            )
        )
        return handle_intent(
            state,
            state.awaiting_intent,
            understanding,
            customer,
            pack,
            reasons,
            extra={state.awaiting_param: choice},
        )
    intent = _intent_for_label(pack, state.clarify_for, choice)
    if intent is None:
        reasons.append(Reason(code="choice_unknown", detail=f"no intent for '{choice}'"))
        return clarify(state, understanding, pack, reasons, exclude=())
    reasons.append(
        Reason(
            code="choice_selected",
            detail=f"the customer chose '{choice}'",
            values={"index": picked, "intent": intent},
        )
    )
    return handle_intent(state, intent, understanding, customer, pack, reasons)


def resume_for_param(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision | None:
    """The detail the bot asked for, given in the customer's own words (None: it was not)."""
    intent_name = state.awaiting_intent
    param_name = state.awaiting_param
    assert intent_name is not None and param_name is not None
    intent = pack.intents.get(intent_name)
    if intent is None or intent.action is None:
        return None
    param = pack.actions[intent.action].parameters.get(param_name)
    if param is None:
        return None
    if param.entity and understanding.entity(param.entity):
        reasons.append(Reason(code="slot_filled", detail=f"{param_name} given after it was asked"))
        return handle_intent(state, intent_name, understanding, customer, pack, reasons)
    if (param.entity or param.choices is not None) and _no_request(understanding):
        # not the detail (a half address, "I'm not sure") and no new request: ask it again
        detail = f"{param_name}: no value read in the answer"
        reasons.append(Reason(code="slot_unreadable", detail=detail))
        return handle_intent(state, intent_name, understanding, customer, pack, reasons)
    return None


def _no_request(understanding: Understanding) -> bool:
    """Whether the turn reads as no request of its own: out of scope, or, not sure, likeliest a
    word of conversation ("hmm", "I'm not sure": an affirm or a deny read unsurely)."""
    if understanding.zone == "out_of_scope":
        return True
    return understanding.zone == "clarify" and understanding.intent in CONVERSATIONAL


def _correction(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision | None:
    """A value of the action under way corrected ("no, the other order"): go on from there."""
    filling = state.filling
    if filling is None or filling.intent is None or filling.action not in pack.actions:
        return None
    fixed = corrected(state, understanding, pack.actions[filling.action], reasons)
    if fixed is None:
        return None
    return handle_intent(fixed, filling.intent, understanding, customer, pack, reasons)


def _reopened(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision | None:
    """The request last answered, re-opened by a correction or a reference back to what was
    shown ("no, I meant the other order", "the first one"), unless the turn reads with
    confidence as another request of its own. Asked again, the question leaves out the
    value the customer just said was not the one."""
    intent = pack.intents.get(state.last_intent or "")
    if intent is None or intent.action is None or intent.action not in pack.actions:
        return None
    other = understanding.intent not in (None, state.last_intent, *CONVERSATIONAL)
    if understanding.zone == "confident" and other:
        return None
    found = reopened(state, understanding, pack.actions[intent.action], reasons)
    if found is None:
        return None
    again, extra = found
    assert state.last_intent is not None
    decision = handle_intent(
        again, state.last_intent, understanding, customer, pack, reasons, extra
    )
    dropped = [v for k, v in state.slots.items() if k not in again.slots]
    return without_values(decision, dropped)


def _many_answer(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision | None:
    """Several of the offered choices named at once ("the boots and the lamp", "both")."""
    spec = _awaited(pack, state)
    if spec is None or not spec.many or not state.choice_values or not state.awaiting_intent:
        return None
    picked = pick(understanding.text, state.choices, many=True)
    tapped = resolve_choice(understanding.text, state.choices)
    if tapped is not None and state.choices[tapped] == ALL_LABEL:
        picked = every(state.choices)  # an item held twice: both copies
    if not picked:
        return None
    values = [_offered_value(state, spec, i) for i in picked]
    reasons.append(Reason(code="choice_selected", detail=f"{state.awaiting_param} = {values}"))
    assert state.awaiting_param is not None
    return handle_intent(
        state,
        state.awaiting_intent,
        understanding,
        customer,
        pack,
        reasons,
        extra={state.awaiting_param: json.dumps(values)},
    )


def _offered_value(state: ConversationState, spec: Parameter, picked: int) -> str:
    """The value of offered choice ``picked``: from this turn's fresh offer of the same label
    when there is one, else the value recorded with the question."""
    name = state.awaiting_param or ""
    prior = state.filling.params.get(name) if state.filling else None
    params = state.filling.params if state.filling else {}
    offer = current_offer(state, name, len(as_list(prior)) if spec.per else None, params)
    label = state.choices[picked]
    if offer is not None and label in offer.labels:
        return offer.values[offer.labels.index(label)]
    return state.choice_values[picked]


def _awaited(pack: DomainPack, state: ConversationState) -> Parameter | None:
    """The parameter the bot asked for last, if it belongs to a known action."""
    intent = pack.intents.get(state.awaiting_intent or "")
    if intent is None or intent.action is None or state.awaiting_param is None:
        return None
    return pack.actions[intent.action].parameters.get(state.awaiting_param)


def _choice_value(pack: DomainPack, state: ConversationState, picked: int, choice: str) -> str:
    """What the choice picked sends: its value from the record, the ontology's value, or the
    label itself; a whole list for ``many``, this element appended for ``per``."""
    spec = _awaited(pack, state)
    if spec is not None and spec.choices is not None and len(state.choice_values) > picked:
        value = _offered_value(state, spec, picked)
        if spec.per is not None:
            prior = state.filling.params.get(state.awaiting_param or "") if state.filling else None
            return json.dumps([*as_list(prior), value])
        return json.dumps([value]) if spec.many else value
    if spec is None or spec.entity is None:
        return choice
    for label, value in ontology_choices(pack, spec.entity):
        if label == choice:
            return value
    return choice


def _intent_for_label(pack: DomainPack, offered: tuple[str, ...], label: str) -> str | None:
    for name in pack.intents:
        if pack.intent_label(name) == label and (not offered or label in offered):
            return name
    return None
