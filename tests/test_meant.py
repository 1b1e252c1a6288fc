"""Which items a request over several means (``policy/meant.py``): not the products that tell
the order, not those told only as what was ordered, never those kept."""

from __future__ import annotations

import pytest

from warmline.policy.guided import pick
from warmline.policy.meant import items_meant, without_kept, without_new_options

ORDER = (
    "Hiking Boots (size 10, material synthetic) - $251.82",
    "Office Chair (color red, material leather) - $466.44",
    "Mechanical Keyboard (backlight white, size full size) - $244.91",
)


def _meant(text: str) -> list[int]:
    return next((p for w in items_meant(text) if (p := pick(w, ORDER, many=True))), [])


@pytest.mark.parametrize(
    "text",
    [
        "My order with the hiking boots, the office chair and the keyboard hasn't shipped yet. "
        "The keyboard should have RGB backlighting. The office chair should be black. "
        "The boots stay.",
        "My pending order has hiking boots, an office chair and a keyboard. I want the chair in "
        "black and the keyboard with RGB. The boots can stay as they are.",
        "The order I placed for the boots, the chair and the keyboard is still pending. The "
        "chair should be black, the keyboard RGB; the boots are fine as they are.",
        "In the order with the hiking boots I also got an office chair and a keyboard, and I "
        "want to change both.",
    ],
)
def test_the_items_meant_are_those_to_change(text: str) -> None:
    assert _meant(text) == [1, 2]


@pytest.mark.parametrize(
    "text",
    [
        "The boots stay.",
        "The boots and the chair stay as they are.",
        "The black pair is fine and stays as it is.",
        "The grill itself is great.",
        "Leave the keyboard alone.",
        "Not that one: the puzzle with pieces 500, theme animals, stays as it is.",
    ],
)
def test_a_clause_that_keeps_what_it_names_is_no_item_to_change(text: str) -> None:
    assert without_kept(text).strip(" .:") in ("", "Not that one")


@pytest.mark.parametrize(
    "text",
    [
        "the hose should stay green but be 50ft",
        "the keyboard is fine in size, but I want it with RGB",
        "the jacket fits fine, I'd like it in navy",
    ],
)
def test_a_clause_that_goes_on_to_a_change_keeps_nothing(text: str) -> None:
    assert without_kept(text) == text


TWINS = (
    "Coffee Maker (color stainless steel, type drip, features built-in grinder) - $236.95",
    "Coffee Maker (color black, type french press, features auto shutoff) - $238.64",
)


def test_the_new_option_asked_for_names_no_item() -> None:
    """ "to a black espresso maker" is what the drip one becomes, not the black french press."""
    text = (
        "In order #W1 I ordered two coffee makers. I want to change the stainless steel drip one "
        "with the built-in grinder to a black espresso maker, 2 cups, with a timer."
    )
    assert next(p for w in items_meant(text) if (p := pick(w, TWINS, many=True))) == [0]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("swap the helmet for a blue one and the keyboard for a clicky one", "keyboard"),
        ("I want to change the lamp to black and the kettle to a 1.5L one", "kettle"),
        ("Change the lamp. I bought it for a party with the speaker.", "speaker"),
    ],
)
def test_an_item_named_after_a_new_option_is_still_named(text: str, named: str) -> None:
    assert named in without_new_options(text)


def test_an_item_named_after_the_order_described_is_meant() -> None:
    text = (
        "From the order that had the hiking boots and the keyboard, the office chair is the "
        "wrong colour. The boots and the keyboard are perfect."
    )
    assert _meant(text) == [1]


def test_a_list_of_what_the_order_holds_is_no_new_subject() -> None:
    text = "My order with the boots, the chair and the keyboard is pending. Cancel it."
    assert "chair" not in items_meant(text)[-1]
