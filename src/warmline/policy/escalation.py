"""Escalation triggers read from affect, topics and the account, each configured in the pack's
``escalation`` section and each recorded as the reason (and the ``escalated`` trigger).

The customer's own request, the clarify loop, repeated out-of-scope turns, failed actions and
intents marked ``escalate`` are decided where they arise (``decide.py``); this module adds the
ones that can interrupt any turn:

* ``regulated_topic``: the turn asks for medical, legal or financial advice, or lodges a
  regulated complaint (``nlu/topics.py``), and the topic is in ``regulated_topics``;
* ``leave_threat``: the customer threatens to leave (``leave_threat: true``);
* ``frustration``: frustration at or above ``frustration`` for ``frustration_turns`` turns in a
  row;
* ``vip``: a customer whose ``vip_field`` is one of ``vip_tiers`` is upset (the turn earned an
  acknowledgement).
"""

from __future__ import annotations

from typing import NamedTuple

from warmline.domain.conversation import ConversationState
from warmline.domain.customers import Customer
from warmline.domain.decision import Acknowledgement, Reason
from warmline.domain.pack import DomainPack
from warmline.domain.reasons import Trigger
from warmline.domain.understanding import Understanding


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
    affect = understanding.affect
    if affect is None:
        return None
    if rules.leave_threat and "leave_threat" in affect.cues:
        return Reason(code="leave_threat", detail="the customer threatens to leave")
    if rules.frustration is not None:
        earlier = [r.frustration for r in state.readings][-(rules.frustration_turns - 1) :]
        series = (
            [*earlier, affect.frustration] if rules.frustration_turns > 1 else [affect.frustration]
        )
        if len(series) >= rules.frustration_turns and min(series) >= rules.frustration:
            return Reason(
                code="frustration",
                detail=f"frustration at or above {rules.frustration} for "
                f"{rules.frustration_turns} turn(s)",
                values={"frustration": affect.frustration, "threshold": rules.frustration},
            )
    if customer is not None and rules.vip_field and ack is not None and ack.upset:
        tiers = set(customer.facts.get(rules.vip_field, [])) & set(rules.vip_tiers)
        if tiers:
            return Reason(
                code="vip",
                detail=f"a {sorted(tiers)[0]} customer is upset ({ack.cause})",
                values={"tier": sorted(tiers)[0]},
            )
    return None
