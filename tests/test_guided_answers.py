"""Guided actions over several turns: what was picked stays picked while the bot asks on, an
item is picked only by a mention of its own, a question answered with nothing usable twice goes
to a person, and a request made before verification goes on with its words once verified
(``policy/guided.py``, ``policy/followups.py``, the fold in ``domain/conversation.py``)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from tests.test_guided import (
    CUSTOMER,
    ITEMS,
    NOW,
    PAYMENTS,
    _pack_data,
    order,
    said,
    started,
    with_offers,
)
from warmline.domain.conversation import ConversationState, Offer, apply, fold
from warmline.domain.decision import Decision
from warmline.domain.events import (
    BotReplied,
    ConversationStarted,
    CustomerVerified,
    Decided,
    MessageReceived,
)
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import Understanding
from warmline.policy.decide import decide
from warmline.policy.guided import pick, request_text

BOOTS = Offer(
    ("Boots: size 11, waterproof no - $120.00", "Boots: size 12, waterproof yes - $130.00"),
    ("boots11", "boots12"),
)
LAMPS = Offer(("Lamp: color white - $40.00", "Lamp: color red - $42.00"), ("lamp_w", "lamp_r"))


@pytest.fixture
def per_pack() -> DomainPack:
    """The mini shop, with a new option asked for each item picked (``per``)."""
    data: dict[str, Any] = _pack_data()
    params = data["actions"]["return_items"]["parameters"]
    params["new_ids"] = {
        "per": "item_ids",
        "choices": {"record": "order", "items": "order['options'][each]", "label": "{{ item }}"},
    }
    data["actions"]["return_items"]["request"]["body"]["new_item_ids"] = "{new_ids}"
    return DomainPack.model_validate(data)


@pytest.fixture
def pack() -> DomainPack:
    return DomainPack.model_validate(_pack_data())


def _turn(state: ConversationState, text: str, decision: Decision) -> ConversationState:
    """The state once the customer said ``text`` and the bot asked ``decision``'s question."""
    for event in (
        MessageReceived(at=NOW, text=text),
        Decided(at=NOW, decision=decision),
        BotReplied(at=NOW, text="?", choices=decision.choices),
    ):
        apply(state, event)
    return state


def _options(state: ConversationState) -> ConversationState:
    offers = {"item_ids": ITEMS, "payment_method_id": PAYMENTS, "new_ids[0]": BOOTS}
    return replace(state, offers={**offers, "new_ids[1]": LAMPS})


def test_an_option_typed_without_its_price_answers_and_keeps_the_other_items(
    per_pack: DomainPack,
) -> None:
    """ "Boots: size 11, waterproof no" is the label of the question asked, typed: it answers
    it, it corrects nothing, and the lamp picked with the boots is still asked about."""
    text = "exchange the boots and the lamp from W1, the gift card"
    first = decide(_options(started()), said(text, order("W1")), CUSTOMER, per_pack)
    assert (first.missing, json.loads(first.params["item_ids"])) == ("new_ids", ["boots1", "lamp1"])
    state = _turn(started(), text, first)
    typed = decide(
        _options(state), said("Boots: size 11, waterproof no", intent="deny"), CUSTOMER, per_pack
    )
    assert "slot_corrected" not in typed.reason_codes()
    assert json.loads(typed.params["item_ids"]) == ["boots1", "lamp1"]
    assert (typed.missing, json.loads(typed.params["new_ids"])) == ("new_ids", ["boots11"])
    assert typed.choices == list(LAMPS.labels)


def test_a_correction_naming_the_items_again_keeps_what_was_chosen_for_them(
    per_pack: DomainPack,
) -> None:
    """Asked about the lamp, "no, the boots and the lamp" adds the boots and keeps the lamp's
    option: only the boots' is asked for."""
    text = "exchange the lamp from W1, the gift card"
    state = with_offers(started(), item_ids=ITEMS, payment_method_id=PAYMENTS)
    state.offers["new_ids[0]"] = LAMPS
    first = decide(state, said(text, order("W1")), CUSTOMER, per_pack)
    state = _turn(started(), text, first)
    chose = decide(
        replace(state, offers={"new_ids[0]": LAMPS, "payment_method_id": PAYMENTS}),
        said("Lamp: color red", intent="affirm"),
        CUSTOMER,
        per_pack,
    )
    assert chose.kind == "confirm" and json.loads(chose.params["new_ids"]) == ["lamp_r"]
    state = _turn(state, "Lamp: color red", chose)
    fixed = decide(
        replace(state, offers={"item_ids": ITEMS, "new_ids[1]": BOOTS}),
        said("no, I want to exchange the boots and the lamp", intent="deny"),
        CUSTOMER,
        per_pack,
    )
    assert json.loads(fixed.params["item_ids"]) == ["lamp1", "boots1"]
    assert json.loads(fixed.params["new_ids"]) == ["lamp_r"]
    assert (fixed.missing, fixed.choices) == ("new_ids", list(BOOTS.labels))


CAMERAS = (
    "Fleece Jacket (color navy, size XL) - $157.86",
    "Action Camera (color black, resolution 4K) - $466.75",
    "Digital Camera (resolution 20MP, zoom 10x) - $3101.43",
    "Fleece Jacket (color black, size L) - $159.92",
)


def test_a_word_of_an_items_name_said_of_another_item_does_not_pick_it() -> None:
    story = (
        "the zipper on the black fleece jacket keeps catching, and the 10x zoom on the digital "
        "camera is far more than I need"
    )
    assert pick(story, CAMERAS, many=True) == [2, 3]
    assert pick("the digital camera and the action camera", CAMERAS, many=True) == [1, 2]
    assert pick("the camera", CAMERAS, many=True) == []  # which camera is asked
    assert pick("the action camera", CAMERAS, many=False) == [1]


def test_both_after_two_items_named_picks_those_two_not_every_item() -> None:
    labels = (
        "Wall Clock (color white, type digital) - $195.59",
        "Office Chair (color black, material fabric) - $488.81",
        "Electric Kettle (capacity 1.5L, color silver) - $158.90",
    )
    story = (
        "the silver electric kettle leaks around the lid and the wall clock is far too small, "
        "so I want to send both of them back"
    )
    assert pick(story, labels, many=True) == [0, 2]
    assert pick("return both of them", labels[:2], many=True) == [0, 1]


def test_items_told_as_what_was_ordered_are_not_picked_beside_those_the_request_names(
    pack: DomainPack,
) -> None:
    """ "I ordered the boots and a lamp ... change the lamp": the lamp; told alone, the boots
    and the lamp are the items meant."""
    told = "I ordered the hiking boots and a desk lamp, it hasn't shipped. I want the lamp in red"
    d = decide(with_offers(started(), item_ids=ITEMS), said(told, order("W1")), CUSTOMER, pack)
    assert json.loads(d.params["item_ids"]) == ["lamp1"]
    alone = "I ordered the hiking boots and a desk lamp and want my money back"
    d = decide(with_offers(started(), item_ids=ITEMS), said(alone, order("W1")), CUSTOMER, pack)
    assert json.loads(d.params["item_ids"]) == ["boots1", "lamp1"]


def _asked_items(pack: DomainPack) -> ConversationState:
    text = "return something from W1"
    asked = decide(with_offers(started(), item_ids=ITEMS), said(text, order("W1")), CUSTOMER, pack)
    assert (asked.kind, asked.missing) == ("clarify", "item_ids")
    return _turn(started(), text, asked)


def _unsure(text: str = "hmm, I'm not sure") -> Understanding:
    return Understanding(text=text, ranking=[], zone="out_of_scope", entities=[])


def test_a_question_answered_twice_with_nothing_usable_goes_to_a_person(
    pack: DomainPack,
) -> None:
    state = _asked_items(pack)
    again = decide(with_offers(state, item_ids=ITEMS), _unsure(), CUSTOMER, pack)
    assert (again.kind, again.missing) == ("clarify", "item_ids")
    state = _turn(state, "hmm, I'm not sure", again)
    assert state.asked_again == 1
    loop = decide(with_offers(state, item_ids=ITEMS), _unsure("what?"), CUSTOMER, pack)
    assert (loop.kind, loop.escalation, loop.template) == (
        "escalate",
        "parameter_loop",
        "parameter_loop",
    )
    reason = next(r for r in loop.reasons if r.code == "parameter_loop")
    assert reason.values["parameter"] == "item_ids" and reason.values["asked"] == 3


def test_an_answer_on_the_second_try_is_not_handed_over(pack: DomainPack) -> None:
    state = _asked_items(pack)
    again = decide(with_offers(state, item_ids=ITEMS), _unsure(), CUSTOMER, pack)
    state = _turn(state, "hmm, I'm not sure", again)
    answered = decide(
        with_offers(state, item_ids=ITEMS),
        said("the desk lamp", intent="affirm"),
        CUSTOMER,
        pack,
    )
    assert answered.kind != "escalate"
    assert (answered.missing, json.loads(answered.params["item_ids"])) == (
        "payment_method_id",
        ["lamp1"],
    )
    state = _turn(state, "the desk lamp", answered)
    assert state.asked_again == 0  # the next question starts its own count
    once = decide(with_offers(state, payment_method_id=PAYMENTS), _unsure(), CUSTOMER, pack)
    assert (once.kind, once.missing) == ("clarify", "payment_method_id")


def test_once_verified_the_request_reads_from_the_turn_it_was_made() -> None:
    """A guest's request ("the lamp, refund to my gift card"), then the verification: the
    questions after it still read the request's words."""
    request = "return the lamp from my last order, refund to my gift card"
    ask = Decision(kind="answer", intent="return_items", verify_method="email", verify_fact="e")
    state = fold(
        [ConversationStarted(at=NOW, pack="mini_shop"), MessageReceived(at=NOW, text=request)]
    )
    apply(state, Decided(at=NOW, decision=ask))
    assert state.verifying is not None
    apply(state, MessageReceived(at=NOW, text="raj@example.com"))
    apply(state, CustomerVerified(at=NOW, customer_id="raj", method="email"))
    orders = Decision(
        kind="clarify", intent="return_items", action="return_items", missing="order_id"
    )
    apply(state, Decided(at=NOW, decision=orders))
    assert state.verifying is None and state.customer_id == "raj"
    assert state.filling is not None and state.filling.since == 0
    text = request_text(state, _unsure("W1"))
    assert "the lamp" in text and "gift card" in text
