"""Replies a person would write: capability lists said as one phrase, lines heard again worded
another way, and a yes or a no to nothing asked answered as a person would."""

from __future__ import annotations

from warmline.domain.conversation import ConversationState, Filling
from warmline.domain.pack import DomainPack
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
