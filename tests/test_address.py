"""The postal address reader: complete addresses become the back office's fields; anything less
is no address (asked for again, never guessed)."""

from __future__ import annotations

import pytest

from warmline.nlu.address import read_address


def test_an_address_written_on_one_line_fills_every_field() -> None:
    found = read_address("320 Cedar Avenue, Suite 116, San Antonio, TX 78219, USA")
    assert found == {
        "address1": "320 Cedar Avenue",
        "address2": "Suite 116",
        "city": "San Antonio",
        "state": "TX",
        "country": "USA",
        "zip": "78219",
    }


def test_the_words_before_the_house_number_are_not_part_of_the_address() -> None:
    found = read_address("please change it to 12 Oak Street apt 4, Springfield, IL 62701")
    assert found is not None
    assert found["address1"] == "12 Oak Street"
    assert found["address2"] == "apt 4"
    assert (found["city"], found["state"], found["zip"]) == ("Springfield", "IL", "62701")


def test_an_address_without_a_unit_has_an_empty_second_line() -> None:
    found = read_address("953 Park Avenue, New York, NY 10064")
    assert found is not None
    assert found["address2"] == ""
    assert found["country"] == "USA"


@pytest.mark.parametrize(
    "text",
    [
        "change the address on my order",
        "320 Cedar Avenue",  # no city, state or zip
        "320 Cedar Avenue, San Antonio, TX",  # no zip
        "order W2378156 please",
    ],
)
def test_an_incomplete_address_is_none(text: str) -> None:
    assert read_address(text) is None


def test_an_address_entity_of_a_pack_is_the_json_object_of_its_fields() -> None:
    import json

    from warmline.domain.pack import Entity
    from warmline.nlu.entities import EntityExtractor

    extractor = EntityExtractor({"new_address": Entity(kind="address")})
    mentions = extractor.extract("ship it to 953 Park Avenue, Suite 613, New York, NY 10064")
    assert [m.entity for m in mentions] == ["new_address"]
    assert json.loads(mentions[0].value)["address2"] == "Suite 613"
    assert extractor.extract("ship it to my office") == []
