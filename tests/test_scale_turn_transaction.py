"""A turn's one transaction on PostgreSQL (WARMLINE_TEST_POSTGRES_URL; skipped without it): the
conversation's advisory lock is taken in the transaction that reads what the turn has not seen
and appends the turn, so the append's commit releases the lock; a turn that records nothing
releases it by rolling back; a second worker's turn waits for the first's commit and then reads
what it appended; a writer outside the lock is still refused by the versioned append."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from warmline.domain.events import BotReplied, ConversationStarted, MessageReceived
from warmline.errors import ConflictError
from warmline.storage.advisory_locks import AdvisoryLocks
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade
from warmline.storage.turn_transaction import bound

from .conftest import POSTGRES_URL, empty_postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
]
NOW = datetime(2026, 1, 1, tzinfo=UTC)
WAIT_S = 30.0  # guards against a hang; no test measures speed


@pytest.fixture
async def database(postgres_database: str) -> AsyncIterator[tuple[str, ConversationRepository]]:
    engine = create_engine(postgres_database)
    await empty_postgres(engine)  # the session's database, emptied for this test
    await upgrade(engine)
    repo = ConversationRepository(session_factory(engine), single_writer=False)
    await repo.create(
        "c1",
        "airline",
        None,
        "web",
        [ConversationStarted(at=NOW, pack="airline"), BotReplied(at=NOW, text="hi")],
        NOW,
    )
    yield postgres_database, repo
    await engine.dispose()


async def advisory_locks(url: str, granted: bool = True) -> int:
    """How many advisory locks are held (or, ``granted=False``, waited for) in the database."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted = $1"
        return int(await connection.fetchval(query, granted))
    finally:
        await connection.close()


async def until(check: object, what: str) -> None:
    for _ in range(int(WAIT_S * 10)):
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {what}")


def said(text: str) -> list[MessageReceived]:
    return [MessageReceived(at=NOW, text=text)]


async def test_the_append_commits_the_transaction_that_took_the_lock(
    database: tuple[str, ConversationRepository],
) -> None:
    url, repo = database
    locks = AdvisoryLocks(url)
    try:
        async with locks.hold("c1"):
            assert bound("c1") is not None and bound("c2") is None
            assert await advisory_locks(url) == 1
            assert await repo.events_after("c1", 2) == []
            assert await repo.append("c1", 2, said("hello"), NOW) == 3
            assert bound("c1") is None  # committed: what follows takes pooled connections
            assert await advisory_locks(url) == 0  # released with the commit, not at the end
            assert (await repo.get("c1")).version == 3
    finally:
        await locks.aclose()


async def test_a_turn_that_records_nothing_rolls_back_and_releases_its_lock(
    database: tuple[str, ConversationRepository],
) -> None:
    url, repo = database
    locks = AdvisoryLocks(url, pool_size=1)  # the next turn gets the same connection back
    try:
        with pytest.raises(RuntimeError):
            async with locks.hold("c1"):
                assert await repo.events_after("c1", 2) == []
                raise RuntimeError("the turn failed before recording")
        assert await advisory_locks(url) == 0
        async with locks.hold("c1"):  # the connection came back clean: a turn as ever
            assert await repo.append("c1", 2, said("next"), NOW) == 3
        assert [getattr(e, "text", None) for e in await repo.events("c1")][-1] == "next"
    finally:
        await locks.aclose()


async def test_a_writer_outside_the_lock_is_refused_by_the_versioned_append(
    database: tuple[str, ConversationRepository],
) -> None:
    url, repo = database
    locks = AdvisoryLocks(url)
    try:
        with pytest.raises(ConflictError):
            async with locks.hold("c1"):
                await repo.events_after("c1", 2)
                await asyncio.create_task(repo.append("c1", 2, said("racer"), NOW))
                await repo.append("c1", 2, said("turn"), NOW)
        assert await advisory_locks(url) == 0
        assert [getattr(e, "text", None) for e in await repo.events("c1")][-1] == "racer"
    finally:
        await locks.aclose()


async def test_another_workers_turn_waits_for_the_commit_and_reads_what_it_appended(
    database: tuple[str, ConversationRepository],
) -> None:
    url, repo = database
    first, second = AdvisoryLocks(url), AdvisoryLocks(url)
    appended = asyncio.Event()
    seen: list[str | None] = []

    async def later_turn() -> None:
        async with second.hold("c1"):
            assert appended.is_set()
            seen.extend(getattr(e, "text", None) for e in await repo.events_after("c1", 2))
            await repo.append("c1", 3, said("second"), NOW)

    try:
        async with first.hold("c1"):
            waiting = asyncio.create_task(later_turn())
            await until(lambda: _waiting(url), "the second worker waits for the lock")
            appended.set()
            await repo.append("c1", 2, said("first"), NOW)
        await asyncio.wait_for(waiting, WAIT_S)
    finally:
        await first.aclose()
        await second.aclose()
    assert seen == ["first"]
    assert [getattr(e, "text", None) for e in await repo.events("c1")][-2:] == ["first", "second"]


async def _waiting(url: str) -> bool:
    return await advisory_locks(url, granted=False) == 1


async def test_a_turn_begins_afresh_when_its_pooled_connection_was_closed_by_the_server(
    database: tuple[str, ConversationRepository],
) -> None:
    url, repo = database
    locks = AdvisoryLocks(url, pool_size=1)
    try:
        async with locks.hold("c1"):
            await repo.append("c1", 2, said("before"), NOW)
        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        admin = await asyncpg.connect(plain)
        try:  # what a restart of the server does to the pooled connection
            closed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        assert closed >= 1
        async with locks.hold("c1"):
            assert await repo.append("c1", 3, said("after"), NOW) == 4
    finally:
        await locks.aclose()


@pytest.mark.parametrize("settled", [True, False], ids=["closed", "closing"])
@pytest.mark.parametrize("where", ["append", "catch-up read"])
async def test_a_connection_lost_in_a_turn_is_a_storage_error_and_the_next_turn_works(
    database: tuple[str, ConversationRepository], where: str, settled: bool
) -> None:
    """The turn's statements go to the driver directly: when the database drops the turn's
    connection, the turn still fails with the storage error (a 503 problem), not the driver's
    or SQLAlchemy's own error raised by the rollback on the dead connection."""
    from sqlalchemy import text

    from warmline.errors import StorageError

    url, repo = database
    locks = AdvisoryLocks(url, pool_size=1)
    killer = create_engine(url)
    try:
        with pytest.raises(StorageError):
            async with locks.hold("c1"):
                connection = bound("c1")
                assert connection is not None
                pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar()
                async with killer.begin() as other:
                    await other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                driver = (await connection.get_raw_connection()).driver_connection
                for _ in range(int(WAIT_S / 0.01)):  # until the driver has seen the session end
                    if not settled or driver.is_closed():
                        break
                    await asyncio.sleep(0.01)
                if where == "append":
                    await repo.append("c1", 2, [MessageReceived(at=NOW, text="hi")], NOW)
                else:
                    await repo.events_after("c1", 0)
        async with locks.hold("c1"):  # the pool's one connection was replaced
            assert len(await repo.events_after("c1", 0)) == 2
    finally:
        await locks.aclose()
        await killer.dispose()
