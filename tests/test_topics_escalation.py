"""Triggers that read the turn's topics and the conversation so far: a clarifying question
answered by a turn out of scope, complaints about staff, a VIP customer who complains or is
refused twice, and the priority a health circumstance gives a handover."""

from __future__ import annotations

from datetime import UTC, datetime

from warmline.domain.conversation import ConversationState, fold
from warmline.domain.customers import Customer
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import ConversationStarted, Decided, HandedBack, Understood
from warmline.domain.pack import DomainPack, Escalation
from warmline.domain.understanding import IntentScore, Understanding, Zone
from warmline.nlu.topics import turn_topics
from warmline.policy.decide import decide
from warmline.policy.escalation import at_handover

NOW = datetime(2026, 1, 1, tzinfo=UTC)
START = ConversationStarted(at=NOW, pack="mini_airline")
GOLD = Customer(id="c", facts={"membership": ["gold"], "reservations": ["4WQ150"]})
SILVER = Customer(id="c", facts={"membership": ["silver"], "reservations": ["4WQ150"]})
CLARIFIED = Decision(kind="clarify", choices=["check a bag", "remove a bag", "talk to a person"])


def said(text: str, intent: str = "thanks", zone: Zone = "confident") -> Understanding:
    return Understanding(
        text=text,
        ranking=[IntentScore(intent=intent, probability=0.9 if zone == "confident" else 0.2)],
        zone=zone,
        topics=turn_topics(text),
    )


def vip_pack(pack: DomainPack) -> DomainPack:
    rules = Escalation(vip_field="membership", vip_tiers=["gold"], frustration=None)
    return pack.model_copy(update={"escalation": rules})


def after(*decisions: Decision) -> ConversationState:
    return fold([START, *[Decided(at=NOW, decision=d) for d in decisions]])


def test_a_turn_out_of_scope_after_a_clarifying_question_asks_it_again(
    mini_pack: DomainPack,
) -> None:
    d = decide(after(CLARIFIED), said("the flight thing", zone="out_of_scope"), None, mini_pack)
    assert (d.kind, d.choices) == ("clarify", CLARIFIED.choices)
    assert "out_of_scope_repeated" not in d.reason_codes()


def test_the_second_unsettled_turn_hands_over_as_a_clarify_loop(mini_pack: DomainPack) -> None:
    limit = mini_pack.thresholds.max_clarifications
    state = after(*[CLARIFIED] * limit)
    d = decide(state, said("the flight thing", zone="out_of_scope"), None, mini_pack)
    assert (d.kind, d.escalation) == ("escalate", "clarify_loop")
    assert "clarify_loop" in d.reason_codes()


def test_a_turn_out_of_scope_with_no_question_pending_is_just_out_of_scope(
    mini_pack: DomainPack,
) -> None:
    answered = Decision(kind="answer", intent="baggage_allowance", template="baggage_allowance")
    d = decide(after(answered), said("the flight thing", zone="out_of_scope"), None, mini_pack)
    assert (d.kind, d.template) == ("answer", "out_of_scope")
    assert "clarify" not in d.reason_codes()


def test_a_complaint_about_staff_goes_to_a_person_as_a_service_complaint(
    mini_pack: DomainPack,
) -> None:
    d = decide(after(), said("the agent at the gate was rude"), None, mini_pack)
    assert (d.kind, d.escalation) == ("escalate", "staff_complaint")
    assert "regulated_topic" not in d.reason_codes()


def test_a_complaint_to_a_regulator_stays_regulated(mini_pack: DomainPack) -> None:
    d = decide(after(), said("I'll report you to the DOT, the agent was rude"), None, mini_pack)
    assert d.escalation == "regulated_topic"
    assert "staff_complaint" not in d.reason_codes()


def test_a_calm_vip_complaint_goes_to_a_person(mini_pack: DomainPack) -> None:
    pack = vip_pack(mini_pack)
    text = "I'd like to complain about the delay"
    d = decide(after(), said(text, "baggage_allowance"), GOLD, pack)
    assert (d.kind, d.escalation) == ("escalate", "vip")
    assert next(r for r in d.reasons if r.code == "vip").values["because"] == "complaint"
    assert decide(after(), said(text, "baggage_allowance"), SILVER, pack).kind != "escalate"


def test_a_calm_vip_with_a_plain_question_is_served(mini_pack: DomainPack) -> None:
    d = decide(
        after(), said("how many bags can I check", "baggage_allowance"), GOLD, vip_pack(mini_pack)
    )
    assert d.kind != "escalate"


def _refused(action: str = "cancel_reservation") -> Decision:
    reason = Reason(code="precondition_failed", detail="too late", values={"rule": "late"})
    return Decision(kind="answer", action=action, template="refused", reasons=[reason])


def test_a_vip_refused_twice_goes_to_a_person(mini_pack: DomainPack) -> None:
    pack, u = vip_pack(mini_pack), said("cancel it")
    first = at_handover(after(), u, GOLD, pack, _refused())
    assert first.kind == "answer"
    second = at_handover(after(_refused()), u, GOLD, pack, _refused())
    assert (second.kind, second.escalation) == ("escalate", "vip")
    reason = next(r for r in second.reasons if r.code == "vip")
    assert reason.values["because"] == "refused_twice"
    assert at_handover(after(_refused()), u, SILVER, pack, _refused()).kind == "answer"
    other = at_handover(after(_refused("add_bag")), u, GOLD, pack, _refused())
    assert other.kind == "answer"  # another request refused once each


def test_a_refusal_before_a_hand_back_does_not_count(mini_pack: DomainPack) -> None:
    state = fold([START, Decided(at=NOW, decision=_refused()), HandedBack(at=NOW, agent="ana")])
    d = at_handover(state, said("cancel it"), GOLD, vip_pack(mini_pack), _refused())
    assert d.kind == "answer"


def test_a_health_circumstance_makes_a_later_handover_urgent(mini_pack: DomainPack) -> None:
    ill = said("my son is ill and can't travel", "cancel_reservation")
    assert ill.topics == ["health_circumstance"]
    state = fold([START, Understood(at=NOW, understanding=ill)])
    d = decide(state, said("talk to a person", "human_agent"), None, mini_pack)
    assert d.escalation == "customer_request"
    urgent = next(r for r in d.reasons if r.code == "urgent_circumstance")
    assert urgent.values == {"priority": "urgent", "circumstance": "health"}
    plain = decide(after(), said("talk to a person", "human_agent"), None, mini_pack)
    assert "urgent_circumstance" not in plain.reason_codes()


def test_a_health_circumstance_is_no_regulated_topic(mini_pack: DomainPack) -> None:
    d = decide(after(), said("I broke my leg and need to cancel", "goodbye"), None, mini_pack)
    assert d.kind != "escalate"
    assert "urgent_circumstance" not in d.reason_codes()  # no handover, no priority
    advice = decide(after(), said("can I fly with a blood clot"), None, mini_pack)
    assert advice.escalation == "regulated_topic"
