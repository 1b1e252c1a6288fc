"""Register and dialect as analytics dimensions: a conversation's segments from its customer's
words (the first turn that shows one decides), the same from a refold, from the stored row and
after a rebuild; erased words give none; ``warmline report --by dialect`` and the check on a
dimension no conversation has; and the parity monitor flags a planted escalation gap for
``dialect=aae`` against ``standard``."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from warmline.analytics.facts import ConversationFacts
from warmline.analytics.outcomes import fold
from warmline.analytics.parity import ParitySettings, parity
from warmline.domain.events import (
    ConversationStarted,
    Escalated,
    Event,
    MessageReceived,
    Understood,
    event_from_json,
    event_to_json,
)
from warmline.domain.understanding import Understanding
from warmline.errors import InputError
from warmline.nlu.register import read_style
from warmline.privacy.events import forgotten
from warmline.services.analytics import Analytics
from warmline.services.report_dimensions import checked_report, known_dimensions
from warmline.storage.analytics import AnalyticsRepository
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, is_sqlite, session_factory
from warmline.storage.migrate import upgrade

from .parity_facts import planted
from .test_analytics import BACKENDS, RULES, T0, FixedClock

NOW = T0 + timedelta(hours=2)


def said(minutes: int, text: str) -> list[Event]:
    at = T0 + timedelta(minutes=minutes)
    reading = Understanding(text=text, language="en", style=read_style(text))
    return [MessageReceived(at=at, text=text), Understood(at=at, understanding=reading)]


def conversation(channel: str, *texts: str, escalate: bool = False) -> list[Event]:
    log: list[Event] = [ConversationStarted(at=T0, pack="retail", channel=channel)]
    for minute, words in enumerate(texts, start=1):
        log += said(minute, words)
    if escalate:
        log.append(Escalated(at=T0 + timedelta(minutes=9), trigger="customer_request"))
    return log


LOGS = {
    # the first turn decides both
    "a": conversation("web", "they be charging me fees every month", escalate=True),
    # "hi" reads neutral and standard; the second turn decides the register, none the dialect
    "b": conversation("web", "Hi", "can u check my order pls", "My order number is 4WQ150."),
    # standard and formal at first, then a variety's features: the dialect is decided later
    "c": conversation("sms", "Dear Sir, I would be grateful for help.", "I paid today itself."),
    # no customer words read: no register or dialect
    "d": [ConversationStarted(at=T0, pack="retail", channel="sms")],
}
EXPECTED = {
    "a": {"register": "neutral", "dialect": "aae"},
    "b": {"register": "textspeak", "dialect": "standard"},
    "c": {"register": "formal", "dialect": "indian_english"},
    "d": {},
}


def style_of(segments: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in segments.items() if k in ("register", "dialect")}


def test_the_fold_sets_register_and_dialect_from_the_first_deciding_turn() -> None:
    for cid, log in LOGS.items():
        assert style_of(fold(cid, log).segments()) == EXPECTED[cid], cid


def test_erased_words_give_no_register_or_dialect() -> None:
    """``warmline customers forget`` blanks every text of the events: the style of each turn
    becomes empty and the rebuilt projection keeps no segment value for it."""
    erased = [event_from_json(forgotten(event_to_json(e), "x")) for e in LOGS["a"]]
    reading = next(e for e in erased if isinstance(e, Understood)).understanding
    assert reading.style is not None and reading.style.formality == ""
    assert style_of(fold("a", erased).segments()) == {}


@pytest.fixture(params=BACKENDS)
async def analytics(request: pytest.FixtureRequest) -> AsyncIterator[Analytics]:
    """The four conversations appended event by event, the worker's copy of each tally
    forgotten before every append: each continues from the stored row. On SQLite, and on
    PostgreSQL when WARMLINE_TEST_POSTGRES_URL is set."""
    url: str = request.param
    if url == "postgres":
        url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    await upgrade(engine)
    if not is_sqlite(url):  # the run's database is shared by its tests
        async with engine.begin() as connection:
            await connection.execute(
                text("TRUNCATE analytics_facts, events, conversations CASCADE")
            )
    found = Analytics(AnalyticsRepository(engine), RULES, FixedClock(NOW))
    repo = ConversationRepository(session_factory(engine), single_writer=is_sqlite(url))
    repo.after_append = found.on_append
    for cid, log in LOGS.items():
        await repo.create(cid, "retail", None, "web", log[:1], T0)
        version = 1
        for event in log[1:]:
            found._recent.clear()
            version = await repo.append(cid, version, [event], event.at)
    yield found
    await engine.dispose()


async def test_the_projection_keeps_the_segments_from_the_stored_row(analytics: Analytics) -> None:
    facts = {f.conversation_id: f for f in await analytics.facts(T0 - timedelta(days=1))}
    assert {cid: style_of(f.segments) for cid, f in facts.items()} == EXPECTED
    await analytics.rebuild()
    again = {f.conversation_id: f for f in await analytics.facts(T0 - timedelta(days=1))}
    assert {cid: style_of(f.segments) for cid, f in again.items()} == EXPECTED


async def test_report_by_dialect_and_register(analytics: Analytics) -> None:
    since = T0 - timedelta(days=1)
    rows = {(r.group, r.metric): r for r in await checked_report(analytics, since, "dialect")}
    assert rows[("aae", "conversations")].value == 1.0
    assert rows[("aae", "escalation_rate")].value == 1.0
    assert rows[("standard", "escalation_rate")].value == 0.0
    assert rows[("(none)", "conversations")].value == 1.0  # "d": nothing read
    groups = {r.group for r in await checked_report(analytics, since, "register")}
    assert groups == {"neutral", "textspeak", "formal", "(none)"}


async def test_a_dimension_no_conversation_has_is_an_error_naming_those_there(
    analytics: Analytics,
) -> None:
    since = T0 - timedelta(days=1)
    with pytest.raises(InputError) as raised:
        await checked_report(analytics, since, "tire")
    assert "'tire'" in raised.value.message and "register, dialect" in raised.value.message
    known = await known_dimensions(analytics, since)
    assert known[:5] == ["pack", "channel", "language", "register", "dialect"]
    # a known dimension over a period without conversations is an empty report, no error
    assert await checked_report(analytics, NOW + timedelta(days=1), "dialect") == []


def as_dialect(facts: list[ConversationFacts]) -> list[ConversationFacts]:
    """``planted``'s conversations with their channel read as the dialect segment."""
    return [
        dataclasses.replace(
            f, segments={"dialect": f.segments["channel"], "pack": f.segments["pack"]}
        )
        for f in facts
    ]


def test_a_planted_escalation_gap_for_aae_is_flagged_against_standard() -> None:
    """aae texts the larger group (2 in 3 of 3,000): by size it would be the reference; the
    dialect's reference is ``standard`` whatever the sizes, so the gap is found."""
    facts = as_dialect(planted(
        5, conversations=3000, channels=("aae", "aae", "standard"), escalation=0.10,
        gaps={"aae": 0.05},
    ))  # fmt: skip
    rows = parity(facts)
    aae = next(
        r for r in rows if (r.metric, r.dimension, r.group) == ("escalation_rate", "dialect", "aae")
    )
    assert aae.reference_group == "standard" and aae.flagged
    standard = next(
        r
        for r in rows
        if (r.metric, r.dimension, r.group) == ("escalation_rate", "dialect", "standard")
    )
    assert standard.note == "reference" and not standard.flagged


def test_no_gap_no_flag_and_a_configured_reference_wins() -> None:
    facts = as_dialect(
        planted(6, conversations=3000, channels=("aae", "aae", "standard"), escalation=0.10)
    )
    assert not any(r.flagged for r in parity(facts))
    rows = parity(facts, ParitySettings(references={"dialect": "aae"}))
    assert {r.reference_group for r in rows if r.dimension == "dialect"} == {"aae"}
