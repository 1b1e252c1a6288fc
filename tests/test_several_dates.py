"""Two dates of a move told apart (``policy/several.py`` ``moved_to``): the day a flight is on
now is left out of the words a new date is picked by."""

from __future__ import annotations

from warmline.policy.labels import pick
from warmline.policy.several import moved_to

DAYS = tuple(f"2024-05-{day}" for day in range(15, 31))


def _picked(text: str) -> list[str]:
    return [DAYS[i] for i in pick(moved_to(text), DAYS, many=False)]


def test_a_move_from_one_date_to_another_picks_the_second() -> None:
    assert _picked("move my flight from May 20 to May 22") == ["2024-05-22"]
    assert _picked("change the May 20 flight to May 22") == ["2024-05-22"]
    assert _picked("please move my booking from May 20 to May 22") == ["2024-05-22"]
    assert _picked("reschedule my May 20 trip to the 22nd of May") == ["2024-05-22"]
    assert _picked("change my flight from 2024-05-19 to 2024-05-21") == ["2024-05-21"]


def test_the_day_it_is_on_then_the_day_wanted_instead() -> None:
    said = "My flight is on May 17 and a meeting got moved, so I want to fly on May 19 instead."
    assert _picked(said) == ["2024-05-19"]
    assert _picked("I fly on May 17, so I need to move it to May 19") == ["2024-05-19"]


def test_a_booking_or_the_flight_back_keeps_both_dates() -> None:
    assert moved_to("book a round trip from May 20 to May 24") == (
        "book a round trip from May 20 to May 24"
    )
    said = "I want to change plans and book a flight from May 20 to May 24"
    assert moved_to(said) == said
    said = "change my return flight from May 21 to May 23"
    assert moved_to(said) == said
    assert moved_to("a flight from May 20 to May 22") == "a flight from May 20 to May 22"
