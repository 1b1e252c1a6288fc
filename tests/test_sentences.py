"""Long turns read sentence by sentence (``nlu/sentences.py``): which sentences ask for
something, which one decides the intent, and that a turn of one sentence is read as before.
The classifier is a stub whose readings are given per sentence, so each rule is checked on its
own; the demo packs' figures on long openings are in ``benchmarks/long_openings.py`` and
``tests/scenarios/long_openings.yaml``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from warmline.domain.understanding import IntentScore, Zone
from warmline.nlu.intents import Ranking
from warmline.nlu.sentences import is_request, read_request, split
from warmline.nlu.zones import ZoneThresholds, zone_for

THRESHOLDS = ZoneThresholds(confident=0.55, clarify=0.25)


def ranking(intent: str, probability: float) -> Ranking:
    rest = "oos" if intent != "oos" else "greet"
    return Ranking(
        scores=[
            IntentScore(intent=intent, probability=probability),
            IntentScore(intent=rest, probability=1 - probability),
        ],
        nearest_similarity=0.9,
        oos_score=0.0,
    )


class StubClassifier:
    """Reads each sentence as ``readings`` says; anything else as the reject class."""

    def __init__(self, readings: dict[str, tuple[str, float]]) -> None:
        self.readings = readings
        self.asked: list[str] = []

    def rank(self, texts: Sequence[str]) -> list[Ranking]:
        self.asked.extend(texts)
        return [ranking(*self.readings.get(t, ("oos", 0.9))) for t in texts]


def zone_of(r: Ranking) -> tuple[Zone, str]:
    return zone_for(r, THRESHOLDS)


def read(text: str, readings: dict[str, tuple[str, float]], whole: tuple[str, float]) -> Any:
    whole_ranking = ranking(*whole)
    stub: Any = StubClassifier(readings)
    return read_request(stub, zone_of, text, whole_ranking, zone_of(whole_ranking)[0])


OPENING = (
    "I and Amelia Muller fly business class from Las Vegas to Orlando on May 25, with no "
    "checked bags booked yet. I want five checked bags in total."
)
CONTEXT, REQUEST = (
    "I and Amelia Muller fly business class from Las Vegas to Orlando on May 25, with no "
    "checked bags booked yet.",
    "I want five checked bags in total.",
)


def test_a_turn_splits_into_sentences_and_its_request_is_marked() -> None:
    sentences = split(OPENING)
    assert [s.text for s in sentences] == [CONTEXT, REQUEST]
    assert [s.request for s in sentences] == [False, True]


def test_a_clause_that_asks_is_read_apart_and_a_short_one_stays_with_its_sentence() -> None:
    parts = split("I have a flight to Denver on May 23, so I want to know whether it is on time")
    assert [p.text for p in parts] == [
        "I have a flight to Denver on May 23",
        "so I want to know whether it is on time",
    ]
    assert len(split("I don't need the bag anymore, please remove it.")) == 1
    assert [s.text for s in split("Hi. I need to cancel my trip. Thanks!")] == [
        "Hi. I need to cancel my trip. Thanks!"
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "I want five checked bags in total.",
        "Can you tell me when it will depart now?",
        "Please move his flight to May 27.",
        "I'd like to upgrade the whole trip to business.",
        "cancel the return flight and refund it",
        "For my expense report I need to know how much I paid",
    ],
)
def test_requests_carry_a_cue_of_asking(sentence: str) -> None:
    assert is_request(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "I have a business class flight from Dallas to New York on May 23.",
        "I do not want to cancel anything.",
        "Please don't change the date.",
        "We no longer need the bag, can you remove it",
        "Harper stays as she is.",
    ],
)
def test_context_and_refusals_are_no_requests(sentence: str) -> None:
    assert not is_request(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Use PayPal for any difference, not my gift card.",
        "Put the difference on my Visa ending in 6367, not the Mastercard I paid with.",
        "Any price difference should go through my PayPal.",
        "Please refund the difference to my gift card.",
        "I'd like to pay the difference with the card ending in 1234.",
    ],
)
def test_how_a_difference_is_paid_is_a_detail_never_a_request(sentence: str) -> None:
    assert not is_request(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Please exchange the lamp for the black one and put the difference on my Visa.",
        "I want to pay for the order with PayPal instead.",
        "What's the difference between the two kettles?",
    ],
)
def test_a_request_that_also_says_how_a_difference_is_paid_stays_one(sentence: str) -> None:
    assert is_request(sentence)


def test_the_request_sentence_decides_a_long_turn() -> None:
    reading = read(
        OPENING,
        {CONTEXT: ("book_flight", 0.8), REQUEST: ("add_bag", 0.7)},
        whole=("remove_bag", 0.45),
    )
    assert reading is not None
    assert (reading.zone, reading.ranking.scores[0].intent) == ("confident", "add_bag")
    request = reading.request
    assert (request.index, request.sentences, request.text) == (2, 2, REQUEST)
    assert (request.probability, request.whole_intent, request.whole_zone) == (
        0.7,
        "remove_bag",
        "clarify",
    )


def test_a_confident_request_sentence_overrules_a_confident_whole_turn() -> None:
    reading = read(OPENING, {REQUEST: ("add_bag", 0.7)}, whole=("book_flight", 0.8))
    assert reading is not None and reading.request.intent == "add_bag"


def test_nothing_changes_when_the_whole_turn_is_confident_of_the_same_intent() -> None:
    assert read(OPENING, {REQUEST: ("add_bag", 0.7)}, whole=("add_bag", 0.6)) is None


def test_only_request_sentences_are_read_and_context_never_decides() -> None:
    stub: Any = StubClassifier({CONTEXT: ("book_flight", 0.95), REQUEST: ("oos", 0.8)})
    whole = ranking("add_bag", 0.4)
    assert read_request(stub, zone_of, OPENING, whole, "clarify") is None
    assert stub.asked == [REQUEST]


def test_an_unsure_request_sentence_replaces_only_a_less_sure_whole_turn() -> None:
    unsure = {REQUEST: ("add_bag", 0.45)}
    reading = read(OPENING, unsure, whole=("remove_bag", 0.3))
    assert reading is not None
    assert (reading.zone, reading.ranking.scores[0].intent) == ("clarify", "add_bag")
    assert read(OPENING, unsure, whole=("remove_bag", 0.5)) is None
    assert read(OPENING, unsure, whole=("remove_bag", 0.6)) is None  # confident whole stands


def test_an_out_of_scope_whole_turn_is_clarified_among_the_request_sentences_intents() -> None:
    reading = read(OPENING, {REQUEST: ("add_bag", 0.4)}, whole=("oos", 0.6))
    assert reading is not None and reading.zone == "clarify"


def test_the_first_confident_request_decides_and_small_talk_never_does() -> None:
    text = "Thanks so much in advance! I want to book a round trip. Both ways I want the cheapest."
    readings = {
        "Thanks so much in advance!": ("thanks", 0.9),
        "I want to book a round trip.": ("book_flight", 0.7),
        "Both ways I want the cheapest.": ("change_flight", 0.9),
    }
    reading = read(text, readings, whole=("change_flight", 0.4))
    assert reading is not None
    assert (reading.request.intent, reading.request.index) == ("book_flight", 2)


def test_a_turn_of_one_sentence_is_read_as_before() -> None:
    stub: Any = StubClassifier({"I want five checked bags in total.": ("add_bag", 0.9)})
    whole = ranking("remove_bag", 0.4)
    assert (
        read_request(stub, zone_of, "I want five checked bags in total.", whole, "clarify") is None
    )
    assert stub.asked == []
