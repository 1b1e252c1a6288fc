"""Guided actions: choices from records, several values, the customer's own words, the values
kept while the action is filled, corrections and refused dry runs (``policy/guided.py``)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from warmline.domain.conversation import ConversationState, Offer, Refusal, apply, fold
from warmline.domain.customers import Customer
from warmline.domain.decision import Decision
from warmline.domain.events import (
    ActionExecuted,
    ActionProposed,
    BotReplied,
    ConversationStarted,
    Decided,
    Event,
    MessageReceived,
)
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import EntityMention, IntentScore, Understanding
from warmline.policy.choices import resolve_choice
from warmline.policy.decide import decide
from warmline.policy.guided import ALL_LABEL, is_correction, pick, preview_key
from warmline.services.actions import build_request

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMER = Customer(id="raj", facts={"orders": ["#W1", "#W2"]})
ORDERS = Offer(("Order #W1", "Order #W2"), ("#W1", "#W2"))
ITEMS = Offer(
    (
        "Hiking Boots (size 10) - $199.99",
        "Desk Lamp (color black) - $45.00",
        "Water Bottle - $20.00",
    ),
    ("boots1", "lamp1", "bottle1"),
)
PAYMENTS = Offer(("Visa ending 7447", "Gift card ($45.00 left)"), ("cc_1", "gift_1"))


def _pack_data() -> dict[str, Any]:
    return {
        "pack": "mini_shop",
        "persona": {
            "name": "Juno",
            "company": "Shop",
            "greeting": "Hi, I'm an AI assistant; say 'person' to reach a human.",
        },
        "entities": {"order_id": {"kind": "pattern", "pattern": r"W\d", "normalize": "upper"}},
        "intents": {
            "return_items": {
                "action": "return_items",
                "examples": ["return my boots", "send it back", "I want a refund"],
            },
            "affirm": {"builtin": True, "examples": ["yes", "sure", "ok"]},
        },
        "actions": {
            "return_items": {
                "risk": "write",
                "records": {"order": {"path": "/orders/{order_id}"}},
                "parameters": {
                    "order_id": {
                        "entity": "order_id",
                        "choices_from_account": "orders",
                        "choices": {
                            "record": "account",
                            "items": "account.orders",
                            "label": "Order {{ item }}",
                        },
                    },
                    "item_ids": {
                        "many": True,
                        "choices": {
                            "record": "order",
                            "items": "order['items']",
                            "value": "item.id",
                            "label": "{{ item.name }}",
                        },
                    },
                    "payment_method_id": {
                        "auto": True,
                        "choices": {
                            "record": "order",
                            "items": "order['methods']",
                            "label": "{{ item }}",
                        },
                    },
                },
                "dry_run": True,
                "request": {
                    "method": "POST",
                    "path": "/orders/{order_id}/return",
                    "body": {"item_ids": "{item_ids}", "payment_method_id": "{payment_method_id}"},
                },
                "confirm": "Return {{ item_ids }}? yes or no",
                "success": "done",
            }
        },
        "templates": {"done": "Done."},
    }


@pytest.fixture
def pack() -> DomainPack:
    return DomainPack.model_validate(_pack_data())


def said(text: str, *entities: EntityMention, intent: str = "return_items") -> Understanding:
    return Understanding(
        text=text,
        ranking=[IntentScore(intent=intent, probability=0.9)],
        zone="confident",
        entities=list(entities),
    )


def order(value: str) -> EntityMention:
    return EntityMention(entity="order_id", value=value, text=value)


def started(*events: Event) -> ConversationState:
    return fold([ConversationStarted(at=NOW, pack="mini_shop", customer_id="raj"), *events])


def with_offers(state: ConversationState, **offers: Offer) -> ConversationState:
    return replace(state, offers=offers)


def turn(state: ConversationState, text: str, decision: Decision) -> ConversationState:
    """The state once the customer said ``text`` and the bot decided ``decision``."""
    events: list[Event] = [MessageReceived(at=NOW, text=text), Decided(at=NOW, decision=decision)]
    for event in events:
        apply(state, event)
    return state


def test_the_words_pick_every_label_they_name_and_all_of_them_picks_all() -> None:
    assert pick("return the boots and the lamp", ITEMS.labels, many=True) == [0, 1]
    assert pick("all of them please", ITEMS.labels, many=True) == [0, 1, 2]
    assert pick("refund to my gift card", PAYMENTS.labels, many=False) == [1]
    assert pick("the card ending 7447", PAYMENTS.labels, many=False) == [0]
    assert pick("I want to return something", ITEMS.labels, many=True) == []
    sizes = ("Air Purifier (room size medium)", "Sneakers (size 8)", "Lamp")
    assert pick("change the sneakers to size 10", sizes, many=True) == [1]


def test_details_said_in_the_first_message_fill_without_asking(pack: DomainPack) -> None:
    state = with_offers(started(), item_ids=ITEMS, payment_method_id=PAYMENTS)
    text = "return the boots and the lamp from W1, refund to my gift card"
    d = decide(state, said(text, order("W1")), CUSTOMER, pack)
    assert d.kind == "confirm"
    assert json.loads(d.params["item_ids"]) == ["boots1", "lamp1"]
    assert d.params["payment_method_id"] == "gift_1"
    assert d.reason_codes().count("slot_from_words") == 2


def test_a_question_offers_labels_and_carries_their_values(pack: DomainPack) -> None:
    state = with_offers(started(), item_ids=ITEMS)
    d = decide(state, said("I want to return something from W1", order("W1")), CUSTOMER, pack)
    assert (d.kind, d.missing) == ("clarify", "item_ids")
    assert d.choices == [*ITEMS.labels, ALL_LABEL] and d.choice_values == list(ITEMS.values)
    assert "choices_offered" in d.reason_codes()


def test_the_all_of_them_button_picks_every_offered_value(pack: DomainPack) -> None:
    state = with_offers(started(), item_ids=ITEMS)
    asked = decide(state, said("return something from W1", order("W1")), CUSTOMER, pack)
    state = turn(started(), "return something from W1", asked)
    apply(state, BotReplied(at=NOW, text="Which items?", choices=asked.choices))
    for answer in (ALL_LABEL, "4"):
        d = decide(
            with_offers(state, item_ids=ITEMS, payment_method_id=PAYMENTS),
            said(answer, intent="affirm"),
            CUSTOMER,
            pack,
        )
        assert json.loads(d.params["item_ids"]) == list(ITEMS.values), answer
    one = Offer(ITEMS.labels[:1], ITEMS.values[:1])
    single = decide(
        with_offers(started(), item_ids=one), said("return from W1", order("W1")), CUSTOMER, pack
    )
    assert ALL_LABEL not in single.choices


def test_a_tapped_label_with_no_in_it_is_no_correction() -> None:
    assert is_correction("no, the other order")
    assert not is_correction("waterproof no, color black", ("waterproof no, color black",))


def test_a_tapped_label_answers_its_own_question_only(pack: DomainPack) -> None:
    """The words of a label tapped for one question ("card" in "storage CF card") do not
    answer the next one (the gift card)."""
    cards = Offer(
        ("Camera storage CF card - $10.00", "Camera storage SD card - $9.00"), ("c1", "c2")
    )
    state = with_offers(started(), item_ids=cards)
    asked = decide(state, said("return something from W1", order("W1")), CUSTOMER, pack)
    state = turn(started(), "return something from W1", asked)
    apply(state, BotReplied(at=NOW, text="Which items?", choices=asked.choices))
    tapped = decide(
        with_offers(state, item_ids=cards, payment_method_id=PAYMENTS),
        said(cards.labels[0], intent="affirm"),
        CUSTOMER,
        pack,
    )
    assert json.loads(tapped.params["item_ids"]) == ["c1"]
    assert (tapped.kind, tapped.missing) == ("clarify", "payment_method_id")


def test_one_possible_value_with_auto_is_filled_unasked(pack: DomainPack) -> None:
    only = Offer(("Visa ending 7447",), ("cc_1",))
    state = with_offers(started(), item_ids=ITEMS, payment_method_id=only)
    d = decide(state, said("return the lamp from W1", order("W1")), CUSTOMER, pack)
    assert d.kind == "confirm" and d.params["payment_method_id"] == "cc_1"
    assert "slot_auto" in d.reason_codes()


def test_values_persist_while_filling_and_are_cleared_once_executed(pack: DomainPack) -> None:
    state = with_offers(started(), item_ids=ITEMS)
    first = decide(state, said("return something from W1", order("W1")), CUSTOMER, pack)
    state = turn(started(), "return something from W1", first)
    assert state.filling is not None and state.filling.params == {"order_id": "W1"}
    tapped = decide(
        with_offers(state, payment_method_id=PAYMENTS),
        said("Desk Lamp (color black) - $45.00", intent="affirm"),
        CUSTOMER,
        pack,
    )
    assert (tapped.missing, json.loads(tapped.params["item_ids"])) == (
        "payment_method_id",
        ["lamp1"],
    )
    state = turn(state, "Desk Lamp", tapped)
    assert state.filling is not None and "item_ids" in state.filling.params
    apply(state, ActionExecuted(at=NOW, action="return_items", params={}, risk="write"))
    assert state.filling is None


def test_another_request_drops_the_values_of_the_one_before(pack: DomainPack) -> None:
    first = decide(
        with_offers(started(), item_ids=ITEMS), said("return from W1", order("W1")), CUSTOMER, pack
    )
    state = turn(started(), "return from W1", first)
    state = turn(state, "thanks", Decision(kind="answer", intent="thanks", template="thanks"))
    assert state.filling is None


def test_the_other_order_replaces_it_and_drops_what_depended_on_it(pack: DomainPack) -> None:
    first = decide(
        with_offers(started(), item_ids=ITEMS, payment_method_id=PAYMENTS),
        said("return the boots from W1", order("W1")),
        CUSTOMER,
        pack,
    )
    state = turn(started(), "return the boots from W1", first)
    assert first.missing == "payment_method_id"
    d = decide(
        with_offers(state, order_id=ORDERS, item_ids=ITEMS),
        said("no, the other order", intent="deny"),
        CUSTOMER,
        pack,
    )
    assert "slot_corrected" in d.reason_codes()
    assert (d.kind, d.missing, d.params.get("order_id")) == ("clarify", "item_ids", "#W2")


def test_a_refused_dry_run_answers_with_the_rule_and_asks_no_yes(pack: DomainPack) -> None:
    state = with_offers(started(), item_ids=ITEMS, payment_method_id=PAYMENTS)
    text = "return the boots from W1 to my gift card"
    d = decide(state, said(text, order("W1")), CUSTOMER, pack)
    assert d.kind == "confirm"
    refusal = Refusal("order_not_delivered", "Order W1 is pending.")
    state = replace(state, refusals={preview_key("return_items", dict(d.params)): refusal})
    refused = decide(state, said(text, order("W1")), CUSTOMER, pack)
    assert (refused.kind, refused.template) == ("answer", "action_refused")
    reason = next(r for r in refused.reasons if r.code == "precondition_failed")
    assert reason.values["rule"] == "order_not_delivered"


def test_a_many_value_is_sent_as_a_json_list(pack: DomainPack) -> None:
    request = pack.actions["return_items"].preview_request()
    assert request is not None and request.path.endswith("?dry_run=true")
    params = {"order_id": "#W1", "item_ids": '["a", "b"]', "payment_method_id": "gift_1"}
    method, path, body = build_request(request, params)
    assert (method, path) == ("POST", "/orders/%23W1/return?dry_run=true")
    assert body == {"item_ids": ["a", "b"], "payment_method_id": "gift_1"}


def test_choices_must_come_from_a_declared_record() -> None:
    data = _pack_data()
    data["actions"]["return_items"]["parameters"]["item_ids"]["choices"]["record"] = "nowhere"
    with pytest.raises(ValidationError, match="unknown record 'nowhere'"):
        DomainPack.model_validate(data)


def test_many_per_and_auto_need_choices() -> None:
    data = _pack_data()
    data["actions"]["return_items"]["parameters"]["note"] = {"many": True, "required": False}
    with pytest.raises(ValidationError, match="many, per and auto need choices"):
        DomainPack.model_validate(data)


def test_per_must_name_an_earlier_many_parameter() -> None:
    data = _pack_data()
    params = data["actions"]["return_items"]["parameters"]
    params["payment_method_id"]["per"] = "order_id"
    with pytest.raises(ValidationError, match="per names an earlier parameter"):
        DomainPack.model_validate(data)


def test_per_asks_one_element_at_a_time_and_keeps_them_in_order() -> None:
    data = _pack_data()
    params = data["actions"]["return_items"]["parameters"]
    params["new_ids"] = {
        "per": "item_ids",
        "choices": {"record": "order", "items": "order['options'][each]", "label": "{{ item }}"},
    }
    data["actions"]["return_items"]["request"]["body"]["new_item_ids"] = "{new_ids}"
    pack = DomainPack.model_validate(data)
    boots = Offer(("size 11", "size 12"), ("boots11", "boots12"))
    lamp = Offer(("white", "red"), ("lamp_w", "lamp_r"))
    state = with_offers(started(), item_ids=ITEMS, payment_method_id=PAYMENTS)
    state.offers["new_ids[0]"] = boots
    text = "exchange the boots and the lamp from W1, the gift card"
    first = decide(state, said(text, order("W1")), CUSTOMER, pack)
    assert (first.kind, first.missing, first.choices) == ("clarify", "new_ids", list(boots.labels))
    state = turn(started(), text, first)
    tapped = decide(
        replace(state, offers={"new_ids[1]": lamp, "new_ids[0]": boots}),
        said("size 12", intent="affirm"),
        CUSTOMER,
        pack,
    )
    assert (tapped.missing, json.loads(tapped.params["new_ids"])) == ("new_ids", ["boots12"])
    assert tapped.choices == list(lamp.labels)
    state = turn(state, "size 12", tapped)
    last = decide(
        replace(state, offers={"new_ids[1]": lamp}), said("red", intent="affirm"), CUSTOMER, pack
    )
    assert last.kind == "confirm"
    assert json.loads(last.params["new_ids"]) == ["boots12", "lamp_r"]


def test_not_the_lamp_the_boots_replaces_the_items_and_actually_replaces_the_order(
    pack: DomainPack,
) -> None:
    text = "return the lamp from W1"
    first = decide(with_offers(started(), item_ids=ITEMS), said(text, order("W1")), CUSTOMER, pack)
    assert json.loads(first.params["item_ids"]) == ["lamp1"]
    state = turn(started(), text, first)
    d = decide(
        with_offers(state, item_ids=ITEMS, payment_method_id=PAYMENTS),
        said("not the lamp, the boots", intent="deny"),
        CUSTOMER,
        pack,
    )
    assert "slot_corrected" in d.reason_codes()
    assert json.loads(d.params["item_ids"]) == ["boots1"]
    moved = decide(
        with_offers(state, order_id=ORDERS, item_ids=ITEMS),
        said("actually W2", order("W2"), intent="return_items"),
        CUSTOMER,
        pack,
    )
    assert "slot_corrected" in moved.reason_codes()
    assert (moved.params["order_id"], moved.missing) == ("W2", "item_ids")


def test_an_object_parameter_under_the_spread_key_becomes_the_body_fields() -> None:
    from warmline.domain.pack import HttpRequest

    request = HttpRequest(method="PUT", path="/orders/{order_id}/address", body={"...": "{to}"})
    params = {"order_id": "W1", "to": '{"address1": "1 Main St", "zip": "10001"}'}
    _, _, body = build_request(request, params)
    assert body == {"address1": "1 Main St", "zip": "10001"}


def test_an_answer_that_picks_nothing_gets_the_question_again(pack: DomainPack) -> None:
    state = with_offers(started(), item_ids=ITEMS)
    asked = decide(state, said("return something from W1", order("W1")), CUSTOMER, pack)
    state = turn(started(), "return something from W1", asked)
    unsure = Understanding(text="I'm not sure.", ranking=[], zone="out_of_scope", entities=[])
    again = decide(with_offers(state, item_ids=ITEMS), unsure, CUSTOMER, pack)
    assert (again.kind, again.missing) == ("clarify", "item_ids")
    assert "slot_unreadable" in again.reason_codes()
    assert again.choices[: len(ITEMS.labels)] == list(ITEMS.labels)


def test_a_label_given_without_its_price_picks_the_one_it_begins() -> None:
    labels = [
        "Gaming Mouse: color white, sensor type optical, connectivity wireless - $143.15",
        "Gaming Mouse: color white, sensor type optical, connectivity wired - $137.22",
    ]
    said_text = "Gaming Mouse: color white, sensor type optical, connectivity wireless"
    assert resolve_choice(said_text, labels) == 0


def _proposed(pack: DomainPack) -> tuple[ConversationState, Decision]:
    """A return of the boots from W1 to the gift card, proposed and awaiting its yes."""
    text = "return the boots from W1 to my gift card"
    state = with_offers(started(), item_ids=ITEMS, payment_method_id=PAYMENTS)
    d = decide(state, said(text, order("W1")), CUSTOMER, pack)
    assert d.kind == "confirm"
    state = turn(started(), text, d)
    apply(state, ActionProposed(at=NOW, action="return_items", params=d.params, confirmation="?"))
    apply(state, BotReplied(at=NOW, text="Refund? yes or no", choices=["yes", "no"]))
    assert state.pending is not None
    return state, d


def test_any_decision_but_a_yes_leaves_no_proposal_to_run(pack: DomainPack) -> None:
    """A correction that asks again, a refusal, another request: a later yes runs nothing."""
    state, d = _proposed(pack)
    asked = Decision(kind="clarify", action="return_items", missing="item_ids", params={})
    assert turn(state, "no, the other order", asked).pending is None
    state, d = _proposed(pack)
    refusal = Decision(kind="answer", action="return_items", params=d.params)
    assert turn(state, "no, actually W2", refusal).pending is None


def test_a_refused_dry_run_keeps_the_values_for_a_correction(pack: DomainPack) -> None:
    state, d = _proposed(pack)
    refusal = Refusal("order_not_delivered", "Order W1 is pending.")
    refused_state = replace(state, refusals={preview_key("return_items", dict(d.params)): refusal})
    refused = decide(refused_state, said("refund it", order("W1")), CUSTOMER, pack)
    assert "precondition_failed" in refused.reason_codes()
    after = turn(state, "refund it", refused)
    assert after.pending is None
    assert after.filling is not None and after.filling.params["order_id"] == "W1"
    fixed = decide(
        with_offers(after, order_id=ORDERS), said("actually W2", order("W2")), CUSTOMER, pack
    )
    assert "slot_corrected" in fixed.reason_codes()
    assert fixed.params["order_id"] == "W2"


def test_an_offer_evaluated_before_a_correction_is_never_used(pack: DomainPack) -> None:
    """The items offered for W1 cannot fill the items of W2 once the order is corrected: they
    are asked for again (the guide evaluates them afresh)."""
    state, _ = _proposed(pack)
    one = Offer(ITEMS.labels[:1], ITEMS.values[:1], basis=(("order_id", "W1"),))
    d = decide(
        with_offers(state, item_ids=one, order_id=ORDERS),
        said("no, actually W2", order("W2")),
        CUSTOMER,
        pack,
    )
    assert "slot_corrected" in d.reason_codes()
    assert (d.kind, d.missing, d.choices) == ("clarify", "item_ids", [])
    fresh = Offer(ITEMS.labels[:1], ITEMS.values[:1], basis=(("order_id", "W2"),))
    assert fresh.fresh_for({"order_id": "W2"}) and not one.fresh_for({"order_id": "W2"})


def _depending(**extra: Any) -> DomainPack:
    data = _pack_data()
    parameters = data["actions"]["return_items"]["parameters"]
    parameters["note"] = {
        "required": False,
        "auto": True,
        "choices": {
            "record": "account",
            "items": "[params.get('payment_method_id')]",
            "label": "x",
        },
        **extra,
    }
    parameters["reason"] = {"required": False, "entity": "order_id", "depends_on": ["item_ids"]}
    return DomainPack.model_validate(data)


def test_params_read_by_an_expression_and_depends_on_are_dependencies() -> None:
    action = _depending().actions["return_items"]
    assert "note" in action.depends_on("payment_method_id")  # `params.get('…')` is read
    assert "reason" in action.depends_on("item_ids")  # declared
    assert "item_ids" in action.depends_on("order_id")  # the record's placeholder
    with pytest.raises(ValidationError, match="depends_on"):
        _depending(depends_on=["nothing_such"])


def test_a_date_picks_no_label_by_its_digits(pack: DomainPack) -> None:
    """The digits of "2024-05-20" do not pick the payment "ending 2024" nor anything at 20:00;
    a date still picks a label that is that date."""
    times = Offer(("HAT001 08:00", "HAT002 20:00"), ("f1", "f2"))
    text = "return the boots from W1 on 2024-05-20"
    d = decide(
        with_offers(started(), item_ids=ITEMS, payment_method_id=times),
        said(text, order("W1")),
        CUSTOMER,
        pack,
    )
    assert (d.kind, d.missing) == ("clarify", "payment_method_id")
    dates = Offer(("2024-05-19", "2024-05-20"), ("d1", "d2"))
    d = decide(
        with_offers(started(), item_ids=ITEMS, payment_method_id=dates),
        said(text, order("W1")),
        CUSTOMER,
        pack,
    )
    assert d.kind == "confirm" and d.params["payment_method_id"] == "d2"


def test_the_last_digits_of_an_id_pick_the_label_that_ends_with_them() -> None:
    labels = ("#W7430166 - pending - Gaming Mouse", "#W1234567 - pending - Desk Lamp")
    assert pick("the order number ends in 66", labels, many=False) == [0]
    assert pick("it's the one ending with 4567", labels, many=False) == [1]
    assert pick("last four digits are 0166", labels, many=False) == [0]
    # digits said without a word for "ending" are no id ("size 66"), and a price is no id
    assert pick("size 66", labels, many=False) == []
    assert pick("ends in 99", labels, many=False) == []


def test_a_word_for_all_inside_a_longer_sentence_picks_nothing_by_itself() -> None:
    labels = ("Backpack (color green, compartment laptop)", "Bluetooth Speaker (color black)")
    story = "the green backpack doesn't fit everything I carry to work"
    assert pick(story, labels, many=True) == [0]
    assert pick("everything", labels, many=True) == [0, 1]
    assert pick("return both of them", labels, many=True) == [0, 1]
    assert pick("exchange both the backpack and the speaker", labels, many=True) == [0, 1]
    assert pick("I want to return both the backpack and nothing else", labels, many=True) == [0]


def test_items_that_tell_which_order_are_not_chosen_as_items(pack: DomainPack) -> None:
    from warmline.policy.labels import ORDER_DESCRIBED

    said = "return the headphones from my order that had the pet bed and the camera in it"
    labels = ("Pet Bed (size large)", "Camera (zoom 5x)", "Headphones (color white)")
    assert pick(ORDER_DESCRIBED.sub(" ", said), labels, many=True) == [2]
    assert pick(said, labels, many=True) == [0, 1, 2]  # the order question still reads them


def test_a_name_does_not_pick_a_label_by_a_code_it_spells() -> None:
    labels = ("#4WQ150 JFK → MIA, May 20", "#HX1234 LAX → JFK, May 22")
    assert pick("Mia Li", labels, many=False) == []
    assert pick("the one to MIA", labels, many=False) == [0]
    assert pick("the one to mia", labels, many=False) == [0]


def test_an_item_matched_only_by_an_option_word_is_not_picked_beside_one_named() -> None:
    labels = (
        "Water Bottle (capacity 500ml, color green) - $45.09",
        "Office Chair (color red, material leather) - $483.95",
    )
    said = "modify the water bottle to a 750ml red one"
    assert pick(said, labels, many=True) == [0]
    assert pick("the red one", labels, many=True) == [1]
