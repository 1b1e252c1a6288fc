"""An item an order holds more than once (two identical water bottles): its one label says how
many the order holds (``policy/labels.py``), the words say how many of them are meant, and the
scripted customer of the tau-bench benchmark reads a confirmation that counts them."""

from __future__ import annotations

import sys
from pathlib import Path

from warmline.policy.copies import held
from warmline.policy.guided import pick
from warmline.policy.labels import every

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from taubench_kit.proposal import read_proposal

BOTTLES = "Water Bottle (capacity 500ml, color green, material stainless steel) - $48.59 each"
ITEMS = (
    "Laptop (color space grey, processor i5) - $2520.52",
    f"{BOTTLES} (2 in this order)",
    "Electric Toothbrush (color blue) - $210.53",
    "All of them",
)
LAPTOP, BOTTLE, BRUSH = 0, 1, 2


def test_a_label_tells_how_many_copies_it_offers() -> None:
    assert held(ITEMS[BOTTLE]) == 2 and held(ITEMS[LAPTOP]) == 1
    assert every(ITEMS) == [LAPTOP, BOTTLE, BOTTLE, BRUSH]


def test_every_copy_is_meant_when_the_words_say_both_two_or_a_plural() -> None:
    for said in (
        "return both water bottles",
        "send both of the water bottles back",
        "the two water bottles",
        "2 water bottles please",
        "all the water bottles",
        "I want to return the water bottles",
    ):
        assert pick(said, ITEMS, many=True) == [BOTTLE, BOTTLE], said


def test_one_copy_is_meant_by_one_of_them_or_the_singular() -> None:
    for said in ("return one of the water bottles", "a water bottle", "the water bottle"):
        assert pick(said, ITEMS, many=True) == [BOTTLE], said
    assert pick(ITEMS[BOTTLE], ITEMS, many=True) == [BOTTLE]  # a tap on the label


def test_both_of_one_item_is_no_word_for_every_item() -> None:
    said = "I want to return both water bottles and the toothbrush"
    assert pick(said, ITEMS, many=True) == [BOTTLE, BOTTLE, BRUSH]
    assert pick("return both the laptop and the toothbrush", ITEMS, True) == [LAPTOP, BRUSH]
    assert pick("all of them", ITEMS, many=True) == [LAPTOP, BOTTLE, BOTTLE, BRUSH]


def test_more_copies_than_held_are_passed_on_for_the_back_office_to_refuse() -> None:
    assert pick("return three water bottles", ITEMS, True) == [BOTTLE] * 3
    assert pick("return 2 laptops", ITEMS, True) == [LAPTOP, LAPTOP]


def test_the_quantity_asked_for_is_the_one_said_with_the_request() -> None:
    said = "I got two water bottles but I only want to return one of the water bottles"
    assert pick(said, ITEMS, many=True) == [BOTTLE]
    said = "No, I want to return both water bottles: only one water bottle is listed."
    assert pick(said, ITEMS, many=True) == [BOTTLE, BOTTLE]


def test_items_alike_with_one_name_are_still_told_apart_by_their_own_words() -> None:
    twins = (
        "Notebook (size A5) - $28.59",
        "Notebook (size A4) - $31.00",
        "Desk Lamp (color black) - $50.00",
    )
    assert pick("return both notebooks", twins, many=True) == [0, 1]


def test_the_scripted_customer_reads_a_counted_line_as_that_many_items() -> None:
    prop = read_proposal(
        "Here's the return I'd set up for order #W3977493:\n"
        "- 2 x Water Bottle (capacity 500ml, color green): $97.18 ($48.59 each)\n"
        "- Laptop (color space grey): $2520.52\n"
        "Refund: $2617.70 to your Mastercard ending 8337."
    )
    assert [line.name for line in prop.lines] == ["Water Bottle", "Water Bottle", "Laptop"]
    assert prop.lines[0].old == {"capacity": "500ml", "color": "green"}
    swap = read_proposal(
        "Here's the exchange I'd set up for order #W7532822:\n"
        "- 2 x T-Shirt: color black, size XL -> color purple, size XL ($51.05 -> $49.67 each)\n"
        "Price difference: $2.76 refunded to your PayPal."
    )
    assert len(swap.lines) == 2 and swap.lines[1].new == {"color": "purple", "size": "XL"}
