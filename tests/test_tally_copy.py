"""Folding events into an analytics tally (``analytics/outcomes.py``'s ``advance``) works on a
copy: the tally it starts from (the worker's copy, kept until the append commits) is never
changed, and the copy shares no dict, list or set with it, whatever fields ``Tally`` gains."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warmline.analytics.outcomes import Tally, advance, fold
from warmline.domain.events import (
    AnswerRated,
    ConversationStarted,
    Event,
    ExperimentAssigned,
    SegmentsNoted,
    Understood,
)
from warmline.domain.understanding import Understanding, WritingStyle

START = datetime(2026, 1, 1, tzinfo=UTC)


def _at(seconds: int) -> datetime:
    return START + timedelta(seconds=seconds)


FIRST: list[Event] = [
    ConversationStarted(at=_at(0), pack="airline", customer_id="c1"),
    ExperimentAssigned(at=_at(0), experiment="tone", arm="warm"),
    SegmentsNoted(at=_at(1), segments={"tier": "gold"}),
    AnswerRated(at=_at(2), reply=0, helpful=True),
]
LATER: list[Event] = [
    ExperimentAssigned(at=_at(3), experiment="length", arm="short"),
    SegmentsNoted(at=_at(4), segments={"tier": "silver", "region": "eu"}),
    AnswerRated(at=_at(5), reply=0, helpful=False),
    AnswerRated(at=_at(6), reply=1, helpful=True),
    Understood(
        at=_at(7),
        understanding=Understanding(
            text="hey u there", language="en", style=WritingStyle(formality="textspeak")
        ),
    ),
]


def test_advancing_leaves_the_tally_it_started_from_as_it_was() -> None:
    kept = fold("c", FIRST)
    before = kept.model_dump()
    moved = advance(kept, LATER)
    assert kept.model_dump() == before
    assert moved.arms == {"tone": "warm", "length": "short"}
    assert moved.attributes == {
        "tier": "silver",
        "region": "eu",
        "register": "textspeak",
        "dialect": "standard",
    }
    assert moved.thumbs == {0: False, 1: True}
    assert moved == fold("c", FIRST + LATER) and moved.version == len(FIRST + LATER)


def test_the_copy_shares_no_container_with_the_tally() -> None:
    kept = fold("c", FIRST)
    moved = advance(kept, [])
    assert moved == kept
    for name in Tally.model_fields:
        value = getattr(moved, name)
        if isinstance(value, dict | list | set):
            assert value is not getattr(kept, name), f"Tally.{name} is shared by the copy"
