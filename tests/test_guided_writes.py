"""A guided write once its values are chosen (``policy/writes.py``): an element kept as it is
never reaches the proposal, the dry run or the write, and a refused dry run whose rule the
pack asks again offers that question again, every other value kept; a write refused after the
yes is told the same way (``policy/outcomes.py``), a person always offered."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from tests.test_guided import CUSTOMER, ITEMS, PAYMENTS, _pack_data, order, said, started
from tests.test_guided_answers import LAMPS, _turn
from warmline.domain.conversation import ConversationState, Offer, Refusal
from warmline.domain.decision import Decision
from warmline.domain.outcome import ActionOutcome
from warmline.domain.pack import DomainPack
from warmline.policy.decide import decide
from warmline.policy.guided import preview_key
from warmline.policy.outcomes import after_action, after_refused_write, refused_on_execute

KEEP_BOOTS = Offer(
    ("Boots: keep as it is (size 10) - $199.99", "Boots: size 12, waterproof yes - $130.00"),
    ("", "boots12"),
)
PERSON = "talk to a person"


def _data() -> dict[str, Any]:
    """The mini shop, with a new option asked for each item picked (``per``), a person to
    hand over to, and the rules its dry run may refuse asked again."""
    data: dict[str, Any] = _pack_data()
    action = data["actions"]["return_items"]
    action["parameters"]["new_ids"] = {
        "per": "item_ids",
        "choices": {"record": "order", "items": "order['options'][each]", "label": "{{ item }}"},
    }
    action["request"]["body"]["new_item_ids"] = "{new_ids}"
    action["ask_again"] = {
        "item_unavailable": "new_ids",
        "insufficient_balance": "payment_method_id",
    }
    data["intents"]["human_agent"] = {
        "builtin": True,
        "label": PERSON,
        "escalate": True,
        "examples": ["talk to a person", "a human please", "get me an agent"],
    }
    return data


@pytest.fixture
def pack() -> DomainPack:
    return DomainPack.model_validate(_data())


def _asked_boots(pack: DomainPack) -> ConversationState:
    """The state once the boots and the lamp are picked and the boots' option is asked."""
    text = "change the boots and the lamp from W1, the gift card"
    offers = {"item_ids": ITEMS, "payment_method_id": PAYMENTS, "new_ids[0]": KEEP_BOOTS}
    first = decide(replace(started(), offers=offers), said(text, order("W1")), CUSTOMER, pack)
    assert (first.missing, first.choices) == ("new_ids", list(KEEP_BOOTS.labels))
    return _turn(started(), text, first)


def test_an_item_kept_as_it_is_is_left_out_of_the_proposal(pack: DomainPack) -> None:
    state = _asked_boots(pack)
    kept = decide(
        replace(state, offers={"new_ids[0]": LAMPS}),
        said(KEEP_BOOTS.labels[0], intent="affirm"),
        CUSTOMER,
        pack,
    )
    assert "kept_as_is" in kept.reason_codes()
    assert (kept.missing, kept.choices) == ("new_ids", list(LAMPS.labels))
    assert json.loads(kept.params["item_ids"]) == ["lamp1"], kept.params
    state = _turn(state, KEEP_BOOTS.labels[0], kept)
    chose = decide(
        replace(state, offers={"new_ids[0]": LAMPS, "payment_method_id": PAYMENTS}),
        said(LAMPS.labels[1], intent="affirm"),
        CUSTOMER,
        pack,
    )
    assert chose.kind == "confirm"
    assert json.loads(chose.params["item_ids"]) == ["lamp1"]
    assert json.loads(chose.params["new_ids"]) == ["lamp_r"]


def test_every_item_kept_as_it_is_writes_nothing(pack: DomainPack) -> None:
    text = "change the boots from W1, the gift card"
    offers = {"item_ids": ITEMS, "payment_method_id": PAYMENTS, "new_ids[0]": KEEP_BOOTS}
    first = decide(replace(started(), offers=offers), said(text, order("W1")), CUSTOMER, pack)
    state = _turn(started(), text, first)
    kept = decide(
        replace(state, offers={"new_ids[0]": KEEP_BOOTS}),
        said(KEEP_BOOTS.labels[0], intent="affirm"),
        CUSTOMER,
        pack,
    )
    assert (kept.kind, kept.template, kept.action) == ("answer", "declined", None)
    assert "kept_as_is" in kept.reason_codes()


def test_a_new_one_of_the_same_option_is_no_item_kept(pack: DomainPack) -> None:
    """An exchange for a new one of the same option sends the item's own id: it is a change
    like any other, never left out."""
    same = Offer(("Boots: a new one of the same option (size 10) - $199.99",), ("boots1",))
    text = "change the boots from W1, the gift card"
    offers = {"item_ids": ITEMS, "payment_method_id": PAYMENTS, "new_ids[0]": same}
    first = decide(replace(started(), offers=offers), said(text, order("W1")), CUSTOMER, pack)
    state = _turn(started(), text, first)
    chose = decide(
        replace(state, offers={"new_ids[0]": same, "payment_method_id": PAYMENTS}),
        said(same.labels[0], intent="affirm"),
        CUSTOMER,
        pack,
    )
    assert chose.kind == "confirm" and "kept_as_is" not in chose.reason_codes()
    assert json.loads(chose.params["new_ids"]) == ["boots1"]


def _proposed(pack: DomainPack) -> tuple[ConversationState, dict[str, str]]:
    """The boots and the lamp, each with a new option, paid with the gift card: proposed."""
    text = "change the boots and the lamp from W1, the gift card"
    boots = Offer(("Boots: size 12 - $130.00",), ("boots12",))
    offers = {"item_ids": ITEMS, "payment_method_id": PAYMENTS, "new_ids[0]": boots}
    first = decide(replace(started(), offers=offers), said(text, order("W1")), CUSTOMER, pack)
    state = _turn(started(), text, first)
    offers["new_ids[1]"] = LAMPS
    lamp = decide(replace(state, offers=offers), said(boots.labels[0]), CUSTOMER, pack)
    assert (lamp.missing, lamp.choices) == ("new_ids", list(LAMPS.labels))
    state = replace(_turn(state, boots.labels[0], lamp), offers={**offers, "new_ids[1]": LAMPS})
    proposed = decide(state, said(LAMPS.labels[1], intent="affirm"), CUSTOMER, pack)
    assert proposed.kind == "confirm"
    assert json.loads(proposed.params["new_ids"]) == ["boots12", "lamp_r"]
    return state, dict(proposed.params)


def test_an_option_no_longer_available_is_asked_again_for_that_item_only(
    pack: DomainPack,
) -> None:
    state, params = _proposed(pack)
    refusal = Refusal("item_unavailable", "Item boots12 (Boots) is not available now.")
    refused = replace(
        state,
        offers={**state.offers, "new_ids[1]": KEEP_BOOTS},
        refusals={preview_key("return_items", params): refusal},
    )
    again = decide(refused, said(LAMPS.labels[1], intent="affirm"), CUSTOMER, pack)
    assert {"precondition_failed", "refusal_asked_again"} <= set(again.reason_codes())
    assert (again.kind, again.missing) == ("clarify", "new_ids")
    # the boots are asked about last, the lamp keeps its new option, the payment is kept
    assert json.loads(again.params["item_ids"]) == ["lamp1", "boots1"]
    assert json.loads(again.params["new_ids"]) == ["lamp_r"]
    assert again.params["payment_method_id"] == "gift_1"
    assert again.choices == [*KEEP_BOOTS.labels, PERSON]


def test_a_gift_card_that_does_not_cover_asks_for_another_payment(pack: DomainPack) -> None:
    state, params = _proposed(pack)
    refusal = Refusal("insufficient_balance", "The gift card balance of $45.00 does not cover.")
    refused = replace(state, refusals={preview_key("return_items", params): refusal})
    again = decide(refused, said(LAMPS.labels[1], intent="affirm"), CUSTOMER, pack)
    assert (again.kind, again.missing) == ("clarify", "payment_method_id")
    assert "payment_method_id" not in again.params
    assert json.loads(again.params["new_ids"]) == ["boots12", "lamp_r"]
    assert again.choices == [*PAYMENTS.labels, PERSON]


def test_a_rule_not_asked_again_is_answered_with_the_refusal(pack: DomainPack) -> None:
    state, params = _proposed(pack)
    refusal = Refusal("order_not_delivered", "Order W1 is pending.")
    refused = replace(state, refusals={preview_key("return_items", params): refusal})
    answer = decide(refused, said(LAMPS.labels[1], intent="affirm"), CUSTOMER, pack)
    assert (answer.kind, answer.choices) == ("answer", [])
    assert "refusal_asked_again" not in answer.reason_codes()


@pytest.mark.parametrize(
    ("ask_again", "message"),
    [
        ({"item_unavailable": "nowhere"}, "ask_again names undeclared parameters"),
        ({"item_unavailable": "order_id_text"}, "ask_again needs choices"),
    ],
)
def test_ask_again_names_a_parameter_with_choices(ask_again: dict[str, str], message: str) -> None:
    data = _data()
    action = data["actions"]["return_items"]
    action["parameters"]["order_id_text"] = {"required": False}
    action["ask_again"] = ask_again
    with pytest.raises(ValidationError, match=message):
        DomainPack.model_validate(data)


def test_an_item_said_to_stay_is_taken_out_and_the_others_keep_their_options(
    pack: DomainPack,
) -> None:
    """Asked about the lamp once the boots' option was chosen, "not that one: the boots stay
    as they are" takes the boots out with the option chosen for them; the lamp goes on."""
    text = "change the lamp and the boots from W1, the gift card"
    boots = Offer(("Boots: size 12 - $130.00",), ("boots12",))
    offers = {"item_ids": ITEMS, "payment_method_id": PAYMENTS, "new_ids[0]": LAMPS}
    first = decide(replace(started(), offers=offers), said(text, order("W1")), CUSTOMER, pack)
    assert json.loads(first.params["item_ids"]) == ["boots1", "lamp1"]
    state = _turn(started(), text, first)
    offers["new_ids[0]"], offers["new_ids[1]"] = boots, LAMPS
    lamp = decide(replace(state, offers=offers), said(boots.labels[0]), CUSTOMER, pack)
    state = _turn(state, boots.labels[0], lamp)
    offers["new_ids[0]"] = LAMPS  # read afresh for the lamp, now the first item
    kept = decide(
        replace(state, offers=offers),
        said("Not that one: the hiking boots stay as they are.", intent="deny"),
        CUSTOMER,
        pack,
    )
    assert "slot_corrected" in kept.reason_codes()
    assert json.loads(kept.params["item_ids"]) == ["lamp1"], kept.params
    assert (kept.missing, kept.choices) == ("new_ids", list(LAMPS.labels))


def _refused_after_yes(pack: DomainPack, rule: str, message: str) -> tuple[Decision, Decision]:
    """The write of ``_proposed`` confirmed, then refused by the back office with ``rule``:
    the follow-up ``after_action`` gives, and the one told as a refused dry run."""
    state, params = _proposed(pack)
    act = Decision(kind="act", intent="return_items", action="return_items", params=params)
    outcome = ActionOutcome(
        action="return_items",
        step="execute",
        params=params,
        failure="rejected",
        error=f"precondition_failed:{rule}",
        message=message,
    )
    follow = after_action(act, outcome, pack.actions["return_items"])
    assert refused_on_execute(follow)
    return follow, after_refused_write(follow, state, pack)


def test_a_gift_card_refused_after_the_yes_asks_for_another_payment(pack: DomainPack) -> None:
    follow, told = _refused_after_yes(
        pack, "insufficient_balance", "The gift card balance of $45.00 does not cover."
    )
    reason = next(r for r in follow.reasons if r.code == "precondition_failed")
    assert reason.values == {
        "rule": "insufficient_balance",
        "message": "The gift card balance of $45.00 does not cover.",
        "step": "execute",
    }
    assert (told.kind, told.missing) == ("clarify", "payment_method_id")
    assert {"precondition_failed", "refusal_asked_again"} <= set(told.reason_codes())
    assert "payment_method_id" not in told.params  # asked again; every other value kept
    assert json.loads(told.params["new_ids"]) == ["boots12", "lamp_r"]
    assert told.choices == [*PAYMENTS.labels, PERSON]
    assert refused_on_execute(told)


def test_a_rule_refused_after_the_yes_is_told_with_a_person_offered(pack: DomainPack) -> None:
    follow, told = _refused_after_yes(pack, "order_not_delivered", "Order W1 is cancelled.")
    assert (told.kind, told.template) == ("answer", follow.template)
    assert told.choices == [PERSON] and told.escalation is None
    assert told.reason_codes().count("precondition_failed") == 1
    assert refused_on_execute(told)
