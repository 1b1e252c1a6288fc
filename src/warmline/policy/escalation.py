"""Escalation triggers read from affect, topics and the account, each configured in the pack's
``escalation`` section and each recorded as the reason (and the ``escalated`` trigger).

The customer's own request, the clarify loop, repeated out-of-scope turns, failed actions and
intents marked ``escalate`` are decided where they arise (``decide.py``); this module adds the
ones that can interrupt any turn:

* ``regulated_topic``: the turn asks for medical, legal or financial advice, or lodges a
  regulated complaint (``nlu/topics.py``), and the topic is in ``regulated_topics``;
* ``staff_complaint``: a complaint about a member of staff ("the agent at the gate was rude"):
  a service complaint a person takes, never a regulated one;
* ``leave_threat``: the customer threatens to leave (``leave_threat: true``);
* ``frustration``: frustration at or above ``frustration`` for ``frustration_turns`` turns in a
  row;
* ``vip``: a customer whose ``vip_field`` is one of ``vip_tiers`` complains (a complaint intent
  or complaint wording, however calm), is upset (an acknowledgement other than trouble told
  calmly), or has the same request refused a second time (``at_handover``); the reason's
  ``values.because`` says which.

``at_handover`` also raises a handover's priority: a health circumstance told in the
conversation ("my son is ill and can't travel") is no regulated topic, but whoever takes over
should know it is urgent (reason ``urgent_circumstance``).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from warmline.domain.conversation import ConversationState
from warmline.domain.customers import Customer
from warmline.domain.decision import Acknowledgement, Decision, Reason
from warmline.domain.pack import DomainPack, Escalation
from warmline.domain.reasons import Trigger
from warmline.domain.understanding import Affect, Understanding


class Fired(NamedTuple):
    """A trigger that fired, and the reason it records (its code is the trigger's name)."""

    trigger: Trigger
    reason: Reason


def escalation_trigger(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    ack: Acknowledgement | None,
) -> Fired | None:
    """The first trigger that fires for this turn."""
    reason = _first_reason(state, understanding, customer, pack, ack)
    if reason is None:
        return None
    trigger: Trigger = reason.code  # type: ignore[assignment]  # each code below is a trigger
    return Fired(trigger, reason)


def _first_reason(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    ack: Acknowledgement | None,
) -> Reason | None:
    rules = pack.escalation
    topics = [t for t in understanding.topics if t in rules.regulated_topics]
    if topics:
        return Reason(
            code="regulated_topic",
            detail=f"asks about {', '.join(topics)}: a qualified person must answer",
            values={"topic": topics[0]},
        )
    if "staff_complaint" in understanding.topics:
        return Reason(
            code="staff_complaint",
            detail="a complaint about a member of staff: a person takes it",
            values={"topic": "staff_complaint"},
        )
    affect = understanding.affect
    if affect is not None:
        felt = _felt(state, affect, rules)
        if felt is not None:
            return felt
    return _vip(understanding, customer, pack, ack)


def _felt(state: ConversationState, affect: Affect, rules: Escalation) -> Reason | None:
    """A threat to leave, or frustration that lasts."""
    if rules.leave_threat and "leave_threat" in affect.cues:
        return Reason(code="leave_threat", detail="the customer threatens to leave")
    if rules.frustration is None:
        return None
    earlier = [r.frustration for r in state.readings][-(rules.frustration_turns - 1) :]
    series = [*earlier, affect.frustration] if rules.frustration_turns > 1 else [affect.frustration]
    if len(series) >= rules.frustration_turns and min(series) >= rules.frustration:
        return Reason(
            code="frustration",
            detail=f"frustration at or above {rules.frustration} for "
            f"{rules.frustration_turns} turn(s)",
            values={"frustration": affect.frustration, "threshold": rules.frustration},
        )
    return None


COMPLAINT_TOPICS = frozenset({"complaint", "staff_complaint", "regulated_complaint"})
COMPLAINT_INTENT = "complaint"
"""The intent a pack names for a complaint (both demo packs do)."""


def _vip(
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    ack: Acknowledgement | None,
) -> Reason | None:
    """A VIP customer who complains, however calmly, or is upset."""
    tier = vip_tier(customer, pack)
    if tier is None:
        return None
    complains = bool(COMPLAINT_TOPICS & set(understanding.topics)) or (
        understanding.intent == COMPLAINT_INTENT and understanding.zone != "out_of_scope"
    )
    if complains:
        return Reason(
            code="vip",
            detail=f"a {tier} customer complains",
            values={"tier": tier, "because": "complaint"},
        )
    if ack is not None and ack.upset:
        return Reason(
            code="vip",
            detail=f"a {tier} customer is upset ({ack.cause})",
            values={"tier": tier, "because": "upset"},
        )
    return None


def vip_tier(customer: Customer | None, pack: DomainPack) -> str | None:
    """The customer's tier when it is one of the pack's ``vip_tiers`` (None: not a VIP)."""
    rules = pack.escalation
    if customer is None or not rules.vip_field:
        return None
    tiers = set(customer.facts.get(rules.vip_field, [])) & set(rules.vip_tiers)
    return sorted(tiers)[0] if tiers else None


MAX_REFUSED = 2
"""How many times a VIP customer's request may be refused before a person takes it."""


def at_handover(
    state: ConversationState,
    understanding: Understanding,
    customer: Customer | None,
    pack: DomainPack,
    decision: Decision,
) -> Decision:
    """The decision, with what a handover needs: a VIP customer whose request the back office
    refuses a second time goes to a person (``vip``, because ``refused_twice``), and a
    handover after a health circumstance was told carries its priority
    (``urgent_circumstance``)."""
    tier = vip_tier(customer, pack)
    action = decision.action
    refused = action is not None and "precondition_failed" in decision.reason_codes()
    if decision.kind != "escalate" and tier is not None and refused and action is not None:
        times = state.refused.count(action) + 1
        if times >= MAX_REFUSED:
            reason = Reason(
                code="vip",
                detail=f"a {tier} customer's {action} was refused {times} times",
                values={"tier": tier, "because": "refused_twice", "action": action},
            )
            decision = Decision(
                kind="escalate",
                intent=decision.intent,
                confidence=decision.confidence,
                escalation="vip",
                acknowledgement=decision.acknowledgement,
                reasons=[*decision.reasons, reason],
            )
    told = list(state.circumstances)
    if "health_circumstance" in understanding.topics and "health" not in told:
        told.append("health")
    if decision.kind != "escalate" or not told:
        return decision
    return decision.model_copy(update={"reasons": [*decision.reasons, urgent_reason(told)]})


Priority = Literal["urgent", "normal"]


def handover_priority(state: ConversationState) -> Priority:
    """A waiting conversation's place in the agent queue: ``urgent`` (served before every
    ``normal`` one, whatever their waits) once the customer told a circumstance that makes it
    urgent, the rule ``at_handover`` marks the handover with."""
    return "urgent" if state.circumstances else "normal"


def urgent_reason(told: list[str]) -> Reason:
    """The reason a handover is urgent: the circumstances told (``urgent_circumstance``)."""
    return Reason(
        code="urgent_circumstance",
        detail=f"a {' and '.join(told)} circumstance was told: the handover is urgent",
        values={"priority": "urgent", "circumstance": told[0]},
    )
