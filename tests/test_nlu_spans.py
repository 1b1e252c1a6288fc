"""Entity spans: a mention inside a longer mention of another entity is not read on its own
(the name "Mia Li" holds no airport MIA; an email address holds no reservation code)."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_the_ontology_reads_a_turn_alike_first_and_after_its_words_were_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The matches kept per word (forgotten past ``MATCHED_WORDS``) read each turn as a
    fresh extractor does: the longest phrase first, misspellings too."""
    monkeypatch.setattr("warmline.nlu.entities.MATCHED_WORDS", 3)
    texts = [
        "I want to upgrade to busines class and add a checked bag",
        "remove the bag",
        "no travel insurence, economy please",
        "remove the bag",
    ]
    kept = EntityExtractor(load_pack(AIRLINE).entities)
    first = [kept.extract(t) for t in texts]
    again = [kept.extract(t) for t in texts]
    fresh = [EntityExtractor(load_pack(AIRLINE).entities).extract(t) for t in texts]
    assert first == again == fresh
    assert [(m.value, m.text) for m in first[0] if m.entity == "baggage"] == [
        ("checked_bag", "checked bag")
    ]
    assert any(m.entity == "cabin" and m.text == "busines class" for m in first[0])


_REPORTED = """
from pathlib import Path
from warmline.domain.pack_loader import load_pack
from warmline.nlu.entities import EntityExtractor
pack = load_pack(Path({path!r}))
extractor = EntityExtractor(pack.entities)
print([(m.entity, m.text) for m in extractor.extract({text!r})])
"""


def test_which_of_two_synonyms_is_reported_does_not_depend_on_the_process() -> None:
    """Two synonyms of one value in a turn: the mention reported is the same whatever the
    process's string hashing (the forms are tried in the pack's order, not a set's)."""
    import subprocess
    import sys

    code = _REPORTED.format(path=str(AIRLINE), text="my suitcase and my luggage, one duffel")
    seen = set()
    for seed in ("0", "1", "2", "3", "4", "5"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        seen.add(out)
    assert len(seen) == 1, seen
