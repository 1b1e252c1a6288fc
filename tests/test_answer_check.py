"""The shipped answer check (knowledge/answer_check.py): it loads, and it scores a passage that
holds the fact asked above a passage of the same topic that does not."""

from __future__ import annotations

from warmline.knowledge import answer_check
from warmline.knowledge.answer_check import passage_text

QUESTION = "How many free checked bags does an economy passenger get?"
HOLDS = passage_text(
    ("Checked baggage allowance", "Free checked bags"),
    "Each passenger gets: basic economy 0 free checked bags, economy 1 free checked bag, "
    "business 2 free checked bags.",
)
SAME_TOPIC = passage_text(
    ("Checked baggage allowance", "Damaged bags"),
    "If a checked bag arrives damaged, report it at the airport before leaving the baggage "
    "hall. Photos of the damage help the claim.",
)


def test_the_passage_holding_the_fact_scores_above_a_same_topic_one() -> None:
    assert answer_check.score(QUESTION, HOLDS) > answer_check.score(QUESTION, SAME_TOPIC)


def test_the_model_is_loaded_once_per_process() -> None:
    assert answer_check.shipped() is answer_check.shipped()


def test_a_passage_is_read_with_its_headings_first() -> None:
    assert (
        passage_text(("Baggage", "Fees"), "A bag\n costs  $35.")
        == "Baggage / Fees. A bag costs $35."
    )
