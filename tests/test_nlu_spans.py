"""Entity spans: a mention inside a longer mention of another entity is not read on its own
(the name "Mia Li" holds no airport MIA; an email address holds no reservation code)."""

from __future__ import annotations

from pathlib import Path

from warmline.domain.pack_loader import load_pack
from warmline.nlu.entities import EntityExtractor

AIRLINE = Path(__file__).parents[1] / "src/warmline/demo/packs/airline.yaml"


def kinds(text: str) -> set[str]:
    extractor = EntityExtractor(load_pack(AIRLINE).entities)
    return {m.entity for m in extractor.extract(text)}


def test_a_name_holds_no_airport() -> None:
    assert kinds("Mia Li") == {"passenger_name"}
    assert kinds("the passenger is Mia Li") == {"passenger_name"}


def test_an_email_address_holds_no_reservation_code_or_airport() -> None:
    assert kinds("mia.li3818@example.com") == {"email"}


def test_an_airport_said_as_such_is_still_read() -> None:
    assert kinds("from jfk to mia") == {"origin_airport", "destination_airport"}
