"""Escalation triggers from affect, regulated topics and the account tier, each recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warmline.domain.conversation import ConversationState, TurnReading, fold
from warmline.domain.customers import Customer
from warmline.domain.events import ConversationStarted
from warmline.domain.pack import DomainPack, Escalation
from warmline.domain.understanding import Affect, IntentScore, Understanding
from warmline.nlu.topics import regulated_topics
from warmline.policy.decide import decide

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def turn(affect: Affect | None = None, topics: tuple[str, ...] = ()) -> Understanding:
    return Understanding(
        text="...",
        ranking=[IntentScore(intent="thanks", probability=0.9)],
        zone="confident",
        affect=affect,
        topics=list(topics),
    )


def fresh(*frustrations: float) -> ConversationState:
    state = fold([ConversationStarted(at=NOW, pack="mini_airline")])
    state.readings = [TurnReading(None, [], f, f) for f in frustrations]
    return state


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("is it safe to fly while pregnant?", "health"),
        ("should I take my medication before the flight", "health"),
        ("what are my legal rights under EU261?", "legal"),
        ("I'm going to sue you", "legal"),
        ("should I invest in your airline's stock", "financial_advice"),
        ("I want to file a formal complaint", "regulated_complaint"),
        ("I will report this to the Department of Transportation", "regulated_complaint"),
    ],
)
def test_regulated_requests_are_found(text: str, topic: str) -> None:
    assert topic in regulated_topics(text)


@pytest.mark.parametrize(
    "text",
    [
        "I need to cancel for medical reasons",
        "my card was charged twice",
        "cancel my reservation, I'm sick",
        "what is your refund policy",
        "I have a complaint about my seat",  # a service complaint, not a regulated one
    ],
)
def test_ordinary_requests_are_not_regulated(text: str) -> None:
    assert regulated_topics(text) == []


def test_a_regulated_topic_hands_over_with_its_reason(mini_pack: DomainPack) -> None:
    d = decide(fresh(), turn(topics=("health",)), None, mini_pack)
    assert (d.kind, d.escalation) == ("escalate", "regulated_topic")
    assert next(r for r in d.reasons if r.code == "regulated_topic").values["topic"] == "health"


def test_a_topic_the_pack_leaves_out_is_not_handed_over(mini_pack: DomainPack) -> None:
    pack = mini_pack.model_copy(update={"escalation": Escalation(regulated_topics=["legal"])})
    assert decide(fresh(), turn(topics=("health",)), None, pack).kind != "escalate"


def test_frustration_hands_over_only_when_it_lasts(mini_pack: DomainPack) -> None:
    angry = Affect(frustration=0.9, negative=0.9)
    once = decide(fresh(0.1), turn(angry), None, mini_pack)
    assert once.kind != "escalate" and once.acknowledgement is not None
    twice = decide(fresh(0.1, 0.85), turn(angry), None, mini_pack)
    assert (twice.kind, twice.escalation) == ("escalate", "frustration")
    assert twice.acknowledgement is not None  # the handover still opens with it
    assert {"affect", "frustration"} <= set(twice.reason_codes())


def test_a_threat_to_leave_hands_over(mini_pack: DomainPack) -> None:
    d = decide(fresh(), turn(Affect(frustration=0.85, cues=["leave_threat"])), None, mini_pack)
    assert d.escalation == "leave_threat"
    off = mini_pack.model_copy(update={"escalation": Escalation(leave_threat=False)})
    d = decide(fresh(), turn(Affect(frustration=0.85, cues=["leave_threat"])), None, off)
    assert d.kind != "escalate"


def test_an_upset_vip_hands_over_and_a_calm_one_does_not(mini_pack: DomainPack) -> None:
    pack = mini_pack.model_copy(
        update={"escalation": Escalation(vip_field="membership", vip_tiers=["gold"])}
    )
    gold = Customer(id="c", facts={"membership": ["gold"]})
    silver = Customer(id="c", facts={"membership": ["silver"]})
    upset = turn(Affect(frustration=0.6, negative=0.6))
    assert decide(fresh(), upset, gold, pack).escalation == "vip"
    assert decide(fresh(), upset, silver, pack).kind != "escalate"
    assert decide(fresh(), turn(Affect()), gold, pack).kind != "escalate"


@pytest.mark.parametrize(
    "text",
    [
        "Is it ok to take my laptop in my hand luggage?",
        "is it safe to travel to Paris next week",
        "Is this legal tender in the UK?",
        "can I use my phone on board",
    ],
)
def test_travel_questions_are_not_medical_or_legal(text: str) -> None:
    assert regulated_topics(text) == []


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("is it safe to fly after my knee surgery?", "health"),
        ("is it ok to take my sleeping pills on a long flight", "health"),
        ("is it legal for you to keep my money?", "legal"),
    ],
)
def test_medical_and_legal_questions_with_a_condition_are_found(text: str, topic: str) -> None:
    assert topic in regulated_topics(text)


def test_frustration_must_last_the_configured_number_of_turns(mini_pack: DomainPack) -> None:
    pack = mini_pack.model_copy(update={"escalation": Escalation(frustration_turns=3)})
    angry = Affect(frustration=0.9, negative=0.9)
    assert decide(fresh(0.9), turn(angry), None, pack).kind != "escalate"
    assert decide(fresh(0.9, 0.9), turn(angry), None, pack).escalation == "frustration"
    assert decide(fresh(0.9, 0.1, 0.9), turn(angry), None, pack).kind != "escalate"


def test_a_trigger_never_swallows_a_confirmed_action(mini_pack: DomainPack) -> None:
    from warmline.domain.conversation import PendingAction

    state = fresh(0.9)
    state.pending = PendingAction("cancel_reservation", {"reservation_id": "4WQ150"}, "ok?")
    state.choices = ("yes", "no")
    yes = Understanding(
        text="YES just do it",
        ranking=[IntentScore(intent="affirm", probability=0.9)],
        zone="confident",
        affect=Affect(frustration=0.9, negative=0.9),
    )
    d = decide(state, yes, None, mini_pack)
    assert (d.kind, d.action) == ("act", "cancel_reservation")
    assert "frustration" in d.reason_codes()  # recorded all the same
