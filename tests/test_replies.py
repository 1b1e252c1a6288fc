"""Replies a person would write: capability lists said as one phrase, lines heard again worded
another way, and a yes or a no to nothing asked answered as a person would."""

from __future__ import annotations

from datetime import UTC, datetime

from warmline.domain.conversation import ConversationState, Filling, fold
from warmline.domain.decision import Decision
from warmline.domain.events import (
    ActionProposed,
    BotReplied,
    ConversationStarted,
    Escalated,
    Understood,
)
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import DialogueActs, IntentScore, Understanding, Zone
from warmline.policy.clarify import without_values
from warmline.policy.decide import decide
from warmline.policy.escalation import handover_priority
from warmline.policy.handover import person_requested, while_escalated
from warmline.policy.intents import _conversational_template
from warmline.services.responder import Responder, capability_phrase, spoken


def test_a_list_is_said_as_a_person_says_it() -> None:
    assert spoken(["a"]) == "a"
    assert spoken(["a", "b"]) == "a or b"
    assert spoken(["a", "b", "c"], "and") == "a, b, and c"
    assert spoken([]) == ""
    assert capability_phrase("change my flights") == "change your flights"
    assert capability_phrase("mystery tour") == "mystery tour"


def test_a_line_said_again_is_worded_another_way(mini_pack: DomainPack) -> None:
    responder = Responder(mini_pack)
    said: list[str] = []
    for _ in range(4):
        said.append(responder.render("escalated_waiting", None, said, wait_sentence="Soon. "))
    assert len(set(said)) == 4
    # every wording heard: the one after the last heard, never the last one again
    again = responder.render("escalated_waiting", None, said, wait_sentence="")
    assert again != said[-1].replace(" Soon.", "")
    assert responder.render("escalated_waiting", wait_sentence="") in said[0]


def test_a_pack_that_words_a_line_itself_gets_only_its_own_others(
    mini_pack: DomainPack,
) -> None:
    own = {"escalated_waiting": "Un momento.", "wait_soon": "Ya viene.", "wait_soon~1": "Pronto."}
    responder = Responder(mini_pack.model_copy(update={"templates": own}))
    said = [responder.render("escalated_waiting")]
    assert responder.render("escalated_waiting", None, said) == "Un momento."
    assert responder.render("wait_soon", None, ["Ya viene."]) == "Pronto."


def test_a_yes_or_a_no_to_nothing_asked() -> None:
    fresh = ConversationState()
    assert _conversational_template(fresh, "affirm") == "anything_else"
    assert _conversational_template(fresh, "deny") == "nothing_else"
    asking = ConversationState(awaiting_param="reservation_id")
    assert _conversational_template(asking, "deny") == "dropped"
    filling = ConversationState(filling=Filling("cancel_reservation", "cancel_reservation", {}, 0))
    assert _conversational_template(filling, "deny") == "dropped"
    assert _conversational_template(fresh, "thanks") == "thanks"


NOW = datetime(2026, 1, 1, tzinfo=UTC)
START = ConversationStarted(at=NOW, pack="mini_airline")


def read(
    text: str, intent: str, acts: list[str], zone: Zone = "confident", request: str | None = None
) -> Understanding:
    return Understanding(
        text=text,
        ranking=[IntentScore(intent=intent, probability=0.9 if zone == "confident" else 0.3)],
        zone=zone,
        acts=DialogueActs(acts=acts, request=request),
    )


HI_ASK = read("hi! what's the baggage allowance?", "baggage_allowance", ["greeting", "request"])
THANKS_ASK = read("thanks! and how many bags?", "baggage_allowance", ["thanks", "request"])


def _opener(decision: Decision) -> str | None:
    found = [r.values.get("opener") for r in decision.reasons if r.code == "opener_returned"]
    return str(found[0]) if found else None


def test_a_greeting_or_thanks_before_a_request_is_returned(mini_pack: DomainPack) -> None:
    fresh = fold([START])
    assert _opener(decide(fresh, HI_ASK, None, mini_pack)) == "greeting"
    assert _opener(decide(fresh, THANKS_ASK, None, mini_pack)) == "thanks"
    plain = read("what's the baggage allowance?", "baggage_allowance", ["request"])
    assert _opener(decide(fresh, plain, None, mini_pack)) is None
    bye = read("thanks, bye", "goodbye", ["thanks", "goodbye"])
    assert _opener(decide(fresh, bye, None, mini_pack)) is None


def test_a_greeting_answered_before_is_not_returned_again(mini_pack: DomainPack) -> None:
    hello = read("hi", "greet", ["greeting"])
    greeted = fold([START, Understood(at=NOW, understanding=hello)])
    assert _opener(decide(greeted, HI_ASK, None, mini_pack)) is None
    thanked = read("thanks", "thanks", ["thanks"])
    after_thanks = fold([START, Understood(at=NOW, understanding=thanked)])
    assert _opener(decide(after_thanks, THANKS_ASK, None, mini_pack)) is None
    assert _opener(decide(after_thanks, HI_ASK, None, mini_pack)) == "greeting"


def test_praise_with_nothing_asked_is_answered_like_ok(mini_pack: DomainPack) -> None:
    # the classifier's guess does not matter: "cool" asks for nothing
    cool = read("cool", "baggage_allowance", ["acknowledge"], zone="clarify")
    decision = decide(fold([START]), cool, None, mini_pack)
    assert (decision.kind, decision.template) == ("answer", "anything_else")


def _proposed() -> ConversationState:
    params = {"reservation_id": "4WQ150", "reason": "change_of_plan"}
    return fold(
        [
            START,
            ActionProposed(at=NOW, action="cancel_reservation", params=params, confirmation="?"),
            BotReplied(at=NOW, text="Shall I cancel it?", choices=["yes", "no"]),
        ]
    )


def test_at_a_confirmation_praise_is_no_yes_and_agreement_is(mini_pack: DomainPack) -> None:
    state = _proposed()
    for text in ("cool", "perfect"):
        praise = read(text, "affirm", ["acknowledge"])  # even read as a confident yes
        decision = decide(state, praise, None, mini_pack)
        assert decision.kind == "confirm", text
        assert "confirmation_unsure" in decision.reason_codes()
    agreed = read("sounds good", "baggage_allowance", ["affirm"], zone="clarify")
    assert decide(state, agreed, None, mini_pack).kind == "act"
    unsure = read("yeah i guess", "affirm", ["request"], zone="clarify")
    assert decide(state, unsure, None, mini_pack).kind == "confirm"


def test_a_goodbye_while_waiting_is_told_the_place_is_kept() -> None:
    state = fold([START, Escalated(at=NOW, trigger="customer_request")])
    leaving = while_escalated(state, None, leaving=True)
    assert leaving.template == "escalated_leaving"
    assert "left_while_waiting" in leaving.reason_codes()
    assert while_escalated(state, None).template == "escalated_waiting"
    assert while_escalated(state, "email", leaving=True).template == "callback_taken"


def test_the_button_after_a_health_circumstance_is_an_urgent_handover() -> None:
    ill = Understanding(text="my son is ill", topics=["health_circumstance"])
    told = fold([START, Understood(at=NOW, understanding=ill)])
    assert handover_priority(told) == "urgent"
    pressed = person_requested(told)
    assert pressed is not None and "urgent_circumstance" in pressed.reason_codes()
    plain = person_requested(fold([START]))
    assert plain is not None and "urgent_circumstance" not in plain.reason_codes()
    assert handover_priority(fold([START])) == "normal"


def test_a_question_asked_again_leaves_out_the_value_ruled_out() -> None:
    asked = Decision(kind="clarify", choices=["#W1", "#W2", "#W3", "talk to a person"])
    again = without_values(asked, ["W2"])
    assert again.choices == ["#W1", "#W3", "talk to a person"]
    valued = Decision(kind="clarify", choices=["a", "b"], choice_values=["X1", "X2"])
    assert without_values(valued, ["#x1"]).choices == ["b"]
    assert without_values(valued, []).choices == ["a", "b"]


def test_capabilities_the_records_rule_out_are_not_offered(mini_pack: DomainPack) -> None:
    responder = Responder(mini_pack)
    profile = {"reservations": ["4WQ150"]}
    now, _ = responder.capabilities(profile)
    assert "cancel_reservation" in now
    ruled, _ = responder.capabilities(profile, ["cancel_reservation"])
    assert "cancel_reservation" not in ruled and "reservation_status" in ruled
