"""Typed values: dates and money amounts found in text and normalised, through the extractor."""

from __future__ import annotations

from datetime import datetime

import pytest

from warmline.domain.pack import Entity
from warmline.nlu.entities import EntityExtractor
from warmline.nlu.values import find_amounts

NOW = datetime(2026, 11, 25, 10, 0)  # a Wednesday


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    return EntityExtractor(
        {
            "travel_date": Entity(kind="date", prefer="future"),
            "order_date": Entity(kind="date", prefer="past"),
            "refund": Entity(kind="amount", currency="CAD"),
        }
    )


@pytest.mark.parametrize(
    "text,value",
    [
        ("please move it to 2024-05-22", "2024-05-22"),
        ("book on 22/05/2024 please", "2024-05-22"),
        ("can I fly next friday", "2026-11-27"),
        ("change it to tomorrow", "2026-11-26"),
        ("a flight in 3 days", "2026-11-28"),
        ("I want to fly on May 22", "2027-05-22"),
    ],
)
def test_dates_are_read_as_iso_relative_to_the_turn(
    extractor: EntityExtractor, text: str, value: str
) -> None:
    found = [m for m in extractor.extract(text, NOW) if m.entity == "travel_date"]
    assert [m.value for m in found] == [value]
    assert text[found[0].start : found[0].end] == found[0].text


def test_a_day_without_a_year_follows_the_entitys_preference(extractor: EntityExtractor) -> None:
    mentions = extractor.extract("I ordered it on March 3", NOW)
    by_entity = {m.entity: m.value for m in mentions}
    assert by_entity == {"travel_date": "2027-03-03", "order_date": "2026-03-03"}


@pytest.mark.parametrize(
    "text", ["may I change my seat", "I want it now", "cancel my bag", "it cost 12,50 euros"]
)
def test_words_and_bare_numbers_are_not_dates(extractor: EntityExtractor, text: str) -> None:
    assert not [m for m in extractor.extract(text, NOW) if m.entity.endswith("_date")]


@pytest.mark.parametrize(
    "text,value",
    [
        ("refund $25.50 please", "25.50 CAD"),
        ("I paid 30 dollars", "30.00 CAD"),
        ("it cost €1,200.00", "1200.00 EUR"),
        ("12,50 euros were taken", "12.50 EUR"),
        ("charged GBP 7", "7.00 GBP"),
        ("30 usd", "30.00 USD"),
    ],
)
def test_amounts_carry_their_currency(extractor: EntityExtractor, text: str, value: str) -> None:
    assert [m.value for m in extractor.extract(text, NOW) if m.entity == "refund"] == [value]


def test_numbers_without_a_currency_are_not_amounts() -> None:
    assert find_amounts("order #W2378156 has 3 items") == []


def test_a_dollar_means_usd_for_a_pack_in_euros() -> None:
    assert [f.value for f in find_amounts("$10 and 5 euros", "EUR")] == ["10.00 USD", "5.00 EUR"]
