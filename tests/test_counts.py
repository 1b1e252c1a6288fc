"""Counts said in words for choices that are counts ("0 bags" ... "5 bags"): a number word or
a bare number answers with the label that says that number first, never the option in that
place (``policy/choices.py``), and a total told in the request fills the question
(``policy/guided.py``)."""

from __future__ import annotations

import pytest

from warmline.policy.choices import resolve_choice
from warmline.policy.guided import counted

BAGS = (
    "0 bags",
    "1 bag (1 free)",
    "2 bags (2 free)",
    "3 bags (2 free, 1 at $50 each)",
    "4 bags (2 free, 2 at $50 each)",
    "5 bags (2 free, 3 at $50 each)",
)
CARDS = ("Visa ending 1234", "PayPal", "Gift card ($20 left)", "Mastercard ending 9876")


@pytest.mark.parametrize(
    ("said", "picked"),
    [("four", 4), ("4", 4), ("four bags", 4), ("zero", 0), ("the fourth one", 3), ("nine", None)],
)
def test_a_count_answers_with_the_label_that_says_it(said: str, picked: int | None) -> None:
    assert resolve_choice(said, BAGS) == picked


@pytest.mark.parametrize(("said", "picked"), [("four", 3), ("2", 1), ("second", 1)])
def test_a_number_is_a_position_among_labels_that_are_no_counts(said: str, picked: int) -> None:
    assert resolve_choice(said, CARDS) == picked


@pytest.mark.parametrize(
    ("text", "picked"),
    [
        ("I fly business next week and want three checked bags in total.", [3]),
        ("We have two bags.", [2]),
        ("No checked bags for me.", [0]),
        ("I want to add bags: five bags altogether.", [5]),
    ],
)
def test_a_total_told_in_the_request_fills_the_count(text: str, picked: list[int]) -> None:
    assert counted(text, BAGS) == picked


@pytest.mark.parametrize(
    "text",
    [
        "I want to add two bags.",
        "one bag for me and two bags for my wife",
        "I have three suitcases",
        "nine bags in total",
    ],
)
def test_bags_added_several_counts_or_no_count_of_the_labels_pick_nothing(text: str) -> None:
    assert counted(text, BAGS) == []


def test_labels_that_are_no_counts_are_never_picked_by_a_number() -> None:
    assert counted("I want two of them", CARDS) == []
