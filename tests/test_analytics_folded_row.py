"""The analytics row the append writes itself (on PostgreSQL within the append's one statement,
on SQLite right after its events) is, column for column and byte for byte in its JSON, the row
the projection hook wrote with its own upsert after the append: the six conversations of
``test_analytics.py`` appended both ways, two events at a time as turns do, compared."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import JSON, String, cast, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.domain.events import ConversationStarted, Event
from warmline.errors import ConflictError
from warmline.services.analytics import Analytics
from warmline.storage.advisory_locks import AdvisoryLocks
from warmline.storage.analytics import FACTS, AnalyticsRepository
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, is_sqlite, session_factory
from warmline.storage.migrate import upgrade

from .test_analytics import BACKENDS, RULES, seeded

Append = Callable[[ConversationRepository, Analytics, str, int, list[Event]], Any]


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    url: str = request.param
    if url == "postgres":
        url = request.getfixturevalue("postgres_database")
    found = create_engine(url)
    await upgrade(found)
    await _empty(found)
    yield found
    await found.dispose()


async def _empty(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        for table in ("analytics_facts", "events", "conversations"):
            await connection.execute(text(f"DELETE FROM {table}"))


async def _rows(engine: AsyncEngine) -> dict[str, tuple[Any, ...]]:
    """Every stored row, its JSON columns as the text stored."""
    columns = [cast(c, String) if isinstance(c.type, JSON) else c for c in FACTS.c]
    async with engine.connect() as connection:
        found = await connection.execute(select(*columns))
        return {row[0]: tuple(row) for row in found}


async def _seed(engine: AsyncEngine, append: Append, *, forget: bool = False) -> None:
    """The six conversations, two events an append; ``forget``: the worker's copy of each
    tally dropped before every append (the row is read back instead)."""
    analytics = Analytics(AnalyticsRepository(engine), RULES)
    repo = ConversationRepository(session_factory(engine), single_writer=is_sqlite(str(engine.url)))
    for cid, log in seeded().items():
        first = log[0]
        assert isinstance(first, ConversationStarted)
        await append(repo, analytics, cid, 0, log[:1])
        for start in range(1, len(log), 2):
            if forget:
                analytics._recent.clear()
            await append(repo, analytics, cid, start, log[start : start + 2])


async def _by_the_append(
    repo: ConversationRepository, analytics: Analytics, cid: str, after: int, events: list[Event]
) -> None:
    """The append writes the row the hook folds (as the runtime wires it)."""
    repo.after_append = analytics.on_append
    if after == 0:
        first = events[0]
        assert isinstance(first, ConversationStarted)
        await repo.create(cid, "airline", first.customer_id, first.channel, events, first.at)
    else:
        await repo.append(cid, after, events, events[-1].at)


async def _by_the_hook(
    repo: ConversationRepository, analytics: Analytics, cid: str, after: int, events: list[Event]
) -> None:
    """The way before: the append writes the events only, then the hook folds and upserts the
    row itself (``INSERT ... ON CONFLICT``) in a transaction of the same writes."""
    repo.after_append = None
    if after == 0:
        first = events[0]
        assert isinstance(first, ConversationStarted)
        await repo.create(cid, "airline", first.customer_id, first.channel, events, first.at)
    else:
        await repo.append(cid, after, events, events[-1].at)
    async with analytics.store.begin() as connection:
        await analytics.on_append(connection, cid, after, events)


async def test_the_append_writes_the_row_the_hook_wrote(engine: AsyncEngine) -> None:
    await _seed(engine, _by_the_hook)
    before = await _rows(engine)
    await _empty(engine)
    await _seed(engine, _by_the_append)
    assert await _rows(engine) == before
    assert len(before) == 6
    assert before["c1"][FACTS.c.keys().index("next_contact_s")] is not None  # c4 came back


async def test_the_same_row_when_the_tally_is_read_back_from_the_row(engine: AsyncEngine) -> None:
    await _seed(engine, _by_the_hook)
    before = await _rows(engine)
    await _empty(engine)
    await _seed(engine, _by_the_append, forget=True)
    assert await _rows(engine) == before


async def test_a_refused_append_writes_no_row_and_keeps_the_tally(engine: AsyncEngine) -> None:
    await _seed(engine, _by_the_append)
    before = await _rows(engine)
    analytics = Analytics(AnalyticsRepository(engine), RULES)
    repo = ConversationRepository(session_factory(engine), single_writer=is_sqlite(str(engine.url)))
    repo.after_append = analytics.on_append
    log = seeded()["c3"]
    await repo.append("c3", len(log), log[-1:], log[-1].at)  # c3 moves on, as another worker
    moved = await _rows(engine)
    assert moved["c3"] != before["c3"]
    cached = analytics._recent["c3"]
    with pytest.raises(ConflictError):  # a stale version: refused, the row not written
        await repo.append("c3", len(log), log[-1:], log[-1].at)
    assert await _rows(engine) == moved
    assert analytics._recent["c3"] is cached


# --- PostgreSQL: the same within a turn's transaction, whose statements go to asyncpg itself ---


@pytest.fixture
async def pg_engine(postgres_database: str) -> AsyncIterator[AsyncEngine]:
    found = create_engine(postgres_database)
    await upgrade(found)
    await _empty(found)
    yield found
    await found.dispose()


def _in_turns(locks: AdvisoryLocks) -> Append:
    async def append(
        repo: ConversationRepository,
        analytics: Analytics,
        cid: str,
        after: int,
        events: list[Event],
    ) -> None:
        if after == 0:
            await _by_the_append(repo, analytics, cid, after, events)
            return
        repo.after_append = analytics.on_append
        async with locks.hold(cid):  # the lock, the catch-up read and the append: one transaction
            assert await repo.events_after(cid, after) == []
            assert len(await repo.events_after(cid, after - 1)) == 1
            await repo.append(cid, after, events, events[-1].at)

    return append


@pytest.mark.postgres
async def test_a_turns_append_writes_the_row_the_hook_wrote(
    pg_engine: AsyncEngine, postgres_database: str
) -> None:
    locks = AdvisoryLocks(postgres_database)
    try:
        await _seed(pg_engine, _by_the_hook)
        before = await _rows(pg_engine)
        await _empty(pg_engine)
        await _seed(pg_engine, _in_turns(locks))
        assert await _rows(pg_engine) == before
        repo = ConversationRepository(session_factory(pg_engine), single_writer=False)
        assert await repo.events("c1") == seeded()["c1"]
    finally:
        await locks.aclose()


@pytest.mark.postgres
async def test_a_turns_stale_append_is_refused_and_writes_nothing(
    pg_engine: AsyncEngine, postgres_database: str
) -> None:
    locks = AdvisoryLocks(postgres_database)
    try:
        await _seed(pg_engine, _in_turns(locks))
        before = await _rows(pg_engine)
        repo = ConversationRepository(session_factory(pg_engine), single_writer=False)
        repo.after_append = Analytics(AnalyticsRepository(pg_engine), RULES).on_append
        log = seeded()["c3"]
        with pytest.raises(ConflictError):
            async with locks.hold("c3"):
                await repo.append("c3", len(log) - 1, log[-1:], log[-1].at)
        assert await _rows(pg_engine) == before
        assert await repo.events("c3") == log
    finally:
        await locks.aclose()
