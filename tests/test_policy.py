"""The decision rules, as a pure function of state, understanding, customer and pack."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warmline.domain.conversation import ConversationState, PendingAction, fold
from warmline.domain.customers import Customer
from warmline.domain.decision import Decision
from warmline.domain.events import ConversationStarted, Decided
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import EntityMention, IntentScore, Understanding, Zone
from warmline.policy.decide import decide

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMER = Customer(id="chen_jackson_3290", facts={"reservations": ["4WQ150", "DDHPNX"]})


def said(
    text: str,
    *ranking: tuple[str, float],
    zone: Zone = "confident",
    entities: tuple[EntityMention, ...] = (),
) -> Understanding:
    return Understanding(
        text=text,
        ranking=[IntentScore(intent=i, probability=p) for i, p in ranking],
        zone=zone,
        entities=list(entities),
    )


def state() -> ConversationState:
    return fold([ConversationStarted(at=NOW, pack="mini_airline", customer_id=CUSTOMER.id)])


def test_a_request_for_a_person_escalates_at_once(mini_pack: DomainPack) -> None:
    d = decide(
        state(), said("human please", ("human_agent", 0.4), zone="clarify"), CUSTOMER, mini_pack
    )
    assert (d.kind, d.escalation) == ("escalate", "customer_request")


def test_a_read_action_with_its_id_acts_without_confirmation(mini_pack: DomainPack) -> None:
    rid = EntityMention(entity="reservation_id", value="4WQ150", text="4wq150")
    d = decide(
        state(),
        said("where is 4wq150", ("reservation_status", 0.9), entities=(rid,)),
        CUSTOMER,
        mini_pack,
    )
    assert (d.kind, d.action, d.params["reservation_id"]) == ("act", "get_reservation", "4WQ150")
    assert "read_action" in d.reason_codes()


def test_a_destructive_action_asks_for_confirmation(mini_pack: DomainPack) -> None:
    rid = EntityMention(entity="reservation_id", value="4WQ150", text="4WQ150")
    d = decide(
        state(),
        said("cancel 4WQ150", ("cancel_reservation", 0.9), entities=(rid,)),
        CUSTOMER,
        mini_pack,
    )
    assert (d.kind, d.action, d.choices) == ("confirm", "cancel_reservation", ["yes", "no"])
    assert d.params == {
        "reservation_id": "4WQ150",
        "reason": "change_of_plan",
        "customer_id": CUSTOMER.id,
    }


def test_a_bag_mention_blocks_a_reservation_cancellation(mini_pack: DomainPack) -> None:
    bag = EntityMention(entity="baggage", value="checked_bag", text="bag")
    u = said("cancel my bag", ("cancel_reservation", 0.8), ("remove_bag", 0.15), entities=(bag,))
    d = decide(state(), u, CUSTOMER, mini_pack)
    assert d.kind == "clarify" and d.action is None
    assert "entity_guard" in d.reason_codes()
    assert "cancel a reservation" not in d.choices and "remove a checked bag" in d.choices


def test_missing_id_offers_the_customers_own_reservations(mini_pack: DomainPack) -> None:
    d = decide(state(), said("cancel my trip", ("cancel_reservation", 0.9)), CUSTOMER, mini_pack)
    assert (d.kind, d.missing, d.choices) == ("clarify", "reservation_id", ["4WQ150", "DDHPNX"])


def test_a_customer_with_no_booking_cannot_mean_cancel(mini_pack: DomainPack) -> None:
    nobody = Customer(id="x", facts={"reservations": []})
    d = decide(state(), said("cancel my flight", ("cancel_reservation", 0.9)), nobody, mini_pack)
    assert d.kind == "answer" and "no_account_record" in d.reason_codes()


def _pending() -> ConversationState:
    s = state()
    s.pending = PendingAction("cancel_reservation", {"reservation_id": "4WQ150"}, "Cancel?")
    s.choices = ("yes", "no")
    return s


@pytest.mark.parametrize(
    "text,intent,kind",
    [("yes", "affirm", "act"), ("no", "deny", "decline"), ("yeah go ahead", "affirm", "act")],
)
def test_a_pending_confirmation_resolves(
    mini_pack: DomainPack, text: str, intent: str, kind: str
) -> None:
    d = decide(_pending(), said(text, (intent, 0.9)), CUSTOMER, mini_pack)
    assert d.kind == kind
    if kind == "act":
        assert d.params == {"reservation_id": "4WQ150"} and "confirmed" in d.reason_codes()


def test_something_else_abandons_the_confirmation_without_acting(mini_pack: DomainPack) -> None:
    d = decide(
        _pending(),
        said("how many bags can I bring", ("baggage_allowance", 0.9)),
        CUSTOMER,
        mini_pack,
    )
    assert d.kind == "answer" and "confirmation_abandoned" in d.reason_codes()


def test_middle_confidence_asks_one_question_with_choices(mini_pack: DomainPack) -> None:
    u = said(
        "bags", ("baggage_allowance", 0.4), ("remove_bag", 0.35), ("greet", 0.1), zone="clarify"
    )
    d = decide(state(), u, CUSTOMER, mini_pack)
    assert d.kind == "clarify"
    assert d.choices == ["baggage allowance", "remove a checked bag", "talk to a person"]


def test_a_picked_choice_resolves_the_intent(mini_pack: DomainPack) -> None:
    s = state()
    s.choices = ("baggage allowance", "remove a checked bag", "talk to a person")
    s.clarify_for = s.choices
    d = decide(s, said("the second one", ("greet", 0.3), zone="clarify"), CUSTOMER, mini_pack)
    assert (d.kind, d.intent, d.template) == ("answer", "remove_bag", "bags_cannot_be_removed")


def test_repeated_out_of_scope_escalates(mini_pack: DomainPack) -> None:
    s = state()
    first = decide(s, said("weather on mars", zone="out_of_scope"), CUSTOMER, mini_pack)
    assert first.kind == "answer" and "out_of_scope" in first.reason_codes()
    s = fold([ConversationStarted(at=NOW, pack="mini_airline"), Decided(at=NOW, decision=first)])
    second = decide(s, said("stock prices", zone="out_of_scope"), CUSTOMER, mini_pack)
    assert (second.kind, second.escalation) == ("escalate", "out_of_scope_repeated")


def test_clarify_loops_end_with_a_person(mini_pack: DomainPack) -> None:
    s = state()
    u = said("hmm", ("baggage_allowance", 0.4), ("remove_bag", 0.35), zone="clarify")
    for _ in range(mini_pack.thresholds.max_clarifications):
        d = decide(s, u, CUSTOMER, mini_pack)
        assert d.kind == "clarify"
        s = fold(
            [
                ConversationStarted(at=NOW, pack="mini_airline"),
                *[Decided(at=NOW, decision=Decision(kind="clarify", choices=["a"]))]
                * (s.clarify_streak + 1),
            ]
        )
    d = decide(s, u, CUSTOMER, mini_pack)
    assert (d.kind, d.escalation) == ("escalate", "clarify_loop")


def test_every_decision_explains_the_nlu_figures(mini_pack: DomainPack) -> None:
    d = decide(state(), said("hi", ("greet", 0.93)), CUSTOMER, mini_pack)
    nlu = d.reasons[0]
    assert nlu.code == "nlu" and nlu.values["confidence"] == 0.93
    assert nlu.values["threshold_confident"] == mini_pack.thresholds.confident


def test_a_known_customer_cannot_act_on_someone_elses_record(mini_pack: DomainPack) -> None:
    rid = EntityMention(entity="reservation_id", value="T1QOBS", text="T1QOBS")
    d = decide(
        state(),
        said("show T1QOBS", ("reservation_status", 0.9), entities=(rid,)),
        CUSTOMER,
        mini_pack,
    )
    assert (d.kind, d.template, d.action) == ("clarify", "not_on_account", "get_reservation")
    assert d.choices == ["4WQ150", "DDHPNX"] and "not_on_account" in d.reason_codes()


def test_an_explicit_pick_of_no_wins_over_an_affirm_reading(mini_pack: DomainPack) -> None:
    d = decide(_pending(), said("the second one", ("affirm", 0.9)), CUSTOMER, mini_pack)
    assert d.kind == "decline" and d.action == "cancel_reservation"


def test_the_account_rules_out_a_clarify_choice_and_says_why(mini_pack: DomainPack) -> None:
    nobody = Customer(id="new_customer_0001", facts={"reservations": []})
    unsure = said(
        "cancel it",
        ("cancel_reservation", 0.45),
        ("remove_bag", 0.30),
        ("reservation_status", 0.15),
        zone="clarify",
    )
    d = decide(state(), unsure, nobody, mini_pack)
    assert d.kind == "clarify"
    assert "cancel a reservation" not in d.choices
    assert "remove a checked bag" in d.choices
    ruled = [r for r in d.reasons if r.code == "account_rules_out"]
    assert ruled and "cancel_reservation" in ruled[0].detail and "reservations" in ruled[0].detail
    # With a reservation on the account, the same reading offers it.
    assert "cancel a reservation" in decide(state(), unsure, CUSTOMER, mini_pack).choices


def test_a_reading_from_context_is_a_reason(mini_pack: DomainPack) -> None:
    rid = EntityMention(entity="reservation_id", value="DDHPNX", text="DDHPNX")
    followed = Understanding(
        text="what about DDHPNX?",
        ranking=[IntentScore(intent="reservation_status", probability=0.8)],
        zone="confident",
        entities=[rid],
        context="read with the previous turn 'where is my reservation 4WQ150'",
    )
    d = decide(state(), followed, CUSTOMER, mini_pack)
    assert d.kind == "act" and d.params["reservation_id"] == "DDHPNX"
    assert any(r.code == "context" and "previous turn" in r.detail for r in d.reasons)
