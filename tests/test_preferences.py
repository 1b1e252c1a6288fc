"""A customer's preference among offered flights (``policy/preferences.py``)."""

from __future__ import annotations

from warmline.policy.preferences import preferred, wish

FLIGHTS = (
    "HAT039 22:00, nonstop, arrives 03:00 +1 day, economy $118",
    "HAT133 02:00, nonstop, arrives 07:00, economy $132",
    "HAT239 08:00, nonstop, arrives 13:00, economy $146",
    "HAT004 14:00 -> HAT099 16:00, 1 stop in DFW, arrives 20:00, economy $297",
    "HAT297 12:00 -> HAT099 16:00, 1 stop in DFW, arrives 20:00, economy $247",
)


def test_the_cheapest_comes_first_and_nonstop_only_leaves_out_connections() -> None:
    assert preferred("whatever is cheapest", FLIGHTS) == [0, 1, 2, 4, 3]
    assert preferred("a nonstop please, the cheapest one", FLIGHTS) == [0, 1, 2]
    assert preferred("nonstop only", FLIGHTS) == [0, 1, 2]


def test_a_time_said_keeps_the_flights_that_leave_then() -> None:
    assert preferred("the earliest flight after 11am", FLIGHTS) == [4, 3, 0]
    assert preferred("the nonstop that leaves at 8 in the morning", FLIGHTS) == [2]
    assert preferred("something in the afternoon", FLIGHTS) == [3, 4]
    assert preferred("the last flight before noon", FLIGHTS) == [2, 1]


def test_after_a_time_leaves_out_a_flight_that_leaves_at_that_time() -> None:
    at_noon = ("HAT297 12:00, nonstop, arrives 15:00, economy $99", *FLIGHTS[:1])
    assert preferred("a flight that leaves after noon", at_noon) == [1]
    assert preferred("a flight that leaves after 12pm", at_noon) == [1]
    assert preferred("a flight no earlier than noon", at_noon) == [0, 1]


def test_a_morning_that_names_the_day_is_no_time_to_leave() -> None:
    said = "I have a meeting that morning, so the cheapest nonstop that leaves after 11am"
    assert preferred(said, FLIGHTS) == [0]
    assert preferred("a flight in the morning", FLIGHTS) == [1, 2]


def test_a_time_to_arrive_by_bounds_the_arrival_not_the_departure() -> None:
    said = "I must be in Seattle before 9pm; among the flights that arrive before 9pm, the cheapest"
    late = (*FLIGHTS, "HAT300 20:00, nonstop, arrives 23:30, economy $90")
    # the 20:00 leaves before 9pm but lands at 23:30; the 22:00 lands at 03:00 the next day
    assert preferred(said, late) == [1, 2, 4, 3]
    assert preferred("a flight that lands by 7am", FLIGHTS) == [1]
    assert wish("the cheapest flight before 9pm") == wish(
        "the cheapest flight that leaves before 9pm"
    )


def test_a_stop_said_to_be_fine_or_no_nonstop_is_no_wish_for_nonstop() -> None:
    assert preferred("there is no nonstop, so a connection is fine; the cheapest", FLIGHTS) == [
        0,
        1,
        2,
        4,
        3,
    ]
    said = "I prefer direct flights but one stop is fine"
    assert wish(said) is None or not wish(said).nonstop  # type: ignore[union-attr]


def test_words_that_state_no_preference_leave_the_choices_as_they_are() -> None:
    assert preferred("good morning, I'd like to book a flight", FLIGHTS) is None
    assert preferred("after the 20th of May, before 2024-05-30", FLIGHTS) is None
    assert preferred("the cheapest", ("Visa ending 1234", "gift card ($50 left)")) is None
    # nothing leaves in the evening but the 22:00: a wish no flight fits keeps them all
    assert preferred("a nonstop in the evening", FLIGHTS) == [0]
    assert preferred("a connection at night", FLIGHTS[3:]) == [0, 1]


def test_a_wish_for_the_way_back_alone_is_not_read_for_every_flight() -> None:
    assert wish("out on the 20th, and back on the cheapest nonstop") is None
    assert wish("the cheapest nonstop both ways, back on the 24th") is not None
    assert wish("the cheapest nonstop, back on 2024-05-24") is not None
