"""Round trips the storage layer saves: the holds in force read once for every turn that asks
at the same moment (and read again after a hold changes), and a pooled PostgreSQL connection
pinged on checkout only after it has been idle, and on PostgreSQL a turn's version bump, its
events and its analytics row written in one statement: five round trips a turn
(WARMLINE_TEST_POSTGRES_URL; those tests are skipped without it)."""

from __future__ import annotations

import asyncio
from asyncio import selector_events
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from warmline.analytics.outcomes import OutcomeRules
from warmline.domain.events import BotReplied, ConversationStarted, MessageReceived
from warmline.errors import ConflictError, ConversationNotFound
from warmline.services.analytics import Analytics
from warmline.storage.advisory_locks import AdvisoryLocks
from warmline.storage.analytics import AnalyticsRepository, Period
from warmline.storage.anomaly import AnomalyRepository, HoldRecord
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, ping_when_idle, session_factory
from warmline.storage.migrate import upgrade

from .conftest import POSTGRES_URL, empty_postgres

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _hold(action: str) -> HoldRecord:
    return HoldRecord("airline", action, "held", "proposed", 9.0, 2.0, 3.0, 3600, NOW)


@pytest.fixture
async def holds(tmp_path: Any) -> AsyncIterator[AnomalyRepository]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/holds.db")
    await upgrade(engine)
    yield AnomalyRepository(session_factory(engine), postgres=False)
    await engine.dispose()


async def test_concurrent_readers_of_the_holds_share_one_read(
    holds: AnomalyRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    await holds.hold(_hold("cancel_reservation"), window=1)
    reads = 0
    gate = asyncio.Event()
    read = holds._active

    async def counted(pack: str | None) -> list[HoldRecord]:
        nonlocal reads
        reads += 1
        await gate.wait()  # every caller arrives while the first read is under way
        return await read(pack)

    monkeypatch.setattr(holds, "_active", counted)
    callers = [asyncio.create_task(holds.active("airline")) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    found = await asyncio.gather(*callers)
    assert reads == 1
    assert all([h.action for h in f] == ["cancel_reservation"] for f in found)
    found[0].clear()  # each caller has a list of its own
    assert len(found[1]) == 1
    await holds.active("airline")  # the shared read is over: the next caller reads again
    assert reads == 2


async def test_a_read_begun_before_a_hold_changed_is_not_shared_after_it(
    holds: AnomalyRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = asyncio.Event()
    read = holds._active

    async def slow(pack: str | None) -> list[HoldRecord]:
        found = await read(pack)
        await gate.wait()
        return found

    monkeypatch.setattr(holds, "_active", slow)
    early = asyncio.create_task(holds.active("airline"))
    await asyncio.sleep(0.05)
    assert await holds.hold(_hold("change_flight"), window=1)
    monkeypatch.setattr(holds, "_active", read)
    later = await holds.active("airline")  # not the early read's answer
    assert [h.action for h in later] == ["change_flight"]
    gate.set()
    assert await early == []


async def test_a_failed_shared_read_fails_every_caller(
    holds: AnomalyRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(pack: str | None) -> list[HoldRecord]:
        await asyncio.sleep(0.01)
        raise RuntimeError("the database is away")

    monkeypatch.setattr(holds, "_active", broken)
    results = await asyncio.gather(
        holds.active("airline"), holds.active("airline"), return_exceptions=True
    )
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]


# --- PostgreSQL: the pool pings a connection only after it was idle ------------------------

postgres = pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set")


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


def _counting_pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    dialect = engine.sync_engine.dialect
    ping = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return pings


@postgres
async def test_a_connection_used_moments_ago_is_not_pinged(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(postgres_database)
    pings = _counting_pings(engine, monkeypatch)
    try:
        first = await _backend_pid(engine)
        assert await _backend_pid(engine) == first  # the same pooled connection
        assert pings == []
    finally:
        await engine.dispose()


@postgres
async def test_a_connection_closed_by_the_server_while_idle_is_replaced_on_checkout(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_async_engine(postgres_database, pool_size=1)
    ping_when_idle(engine, idle_s=0.0)  # every checkout after a checkin counts as idle
    pings = _counting_pings(engine, monkeypatch)
    other = create_async_engine(postgres_database)
    try:
        first = await _backend_pid(engine)
        async with other.connect() as connection:  # what a restart does to the pooled one
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        await asyncio.sleep(0.1)
        second = await _backend_pid(engine)  # answered, on a fresh connection
        assert second != first
        assert len(pings) == 1
    finally:
        await engine.dispose()
        await other.dispose()


# --- PostgreSQL: the version bump and the events in one statement ---------------------------


@postgres
async def test_the_append_in_one_statement_keeps_the_versioned_log(postgres_database: str) -> None:
    engine = create_engine(postgres_database)
    await empty_postgres(engine)
    await upgrade(engine)
    repo = ConversationRepository(session_factory(engine), single_writer=False)
    try:
        started = [ConversationStarted(at=NOW, pack="airline"), BotReplied(at=NOW, text="hi")]
        await repo.create("c1", "airline", None, "web", started, NOW)
        turn = [MessageReceived(at=NOW, text="où est ma valise ?"), BotReplied(at=NOW, text="x")]
        assert await repo.append("c1", 2, turn, NOW, status="escalated") == 4
        with pytest.raises(ConflictError):  # version 2 is gone: refused, nothing added
            await repo.append("c1", 2, [MessageReceived(at=NOW, text="racer")], NOW)
        with pytest.raises(ConversationNotFound):
            await repo.append("nobody", 0, [MessageReceived(at=NOW, text="?")], NOW)
        assert await repo.events("c1") == started + turn
        summary = await repo.get("c1")
        assert (summary.version, summary.status) == (4, "escalated")
        async with engine.connect() as connection:
            seqs = await connection.execute(text("SELECT seq FROM events ORDER BY id"))
            assert list(seqs.scalars()) == [1, 2, 3, 4]
    finally:
        await engine.dispose()


# --- PostgreSQL: a turn's round trips, the analytics row within the append -----------------


def _counting_sends(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per message batch sent to a server: asyncpg sends each call (a statement with
    its parameters, a ``BEGIN``, a ``COMMIT``) in one write and waits for its answer."""
    sends: list[int] = []
    transport = selector_events._SelectorSocketTransport
    write = transport.write

    def counted(self: Any, data: Any) -> None:
        sends.append(len(data))
        write(self, data)

    monkeypatch.setattr(transport, "write", counted)
    return sends


@postgres
async def test_a_turn_is_four_round_trips_with_its_analytics_row(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``BEGIN`` with the advisory lock (one message), the catch-up read, the bump with the
    events and the analytics row, ``COMMIT``: the row costs no round trip of its own."""
    engine = create_engine(postgres_database)
    await empty_postgres(engine)
    await upgrade(engine)
    analytics = Analytics(AnalyticsRepository(engine), OutcomeRules())
    repo = ConversationRepository(session_factory(engine), single_writer=False)
    repo.after_append = analytics.on_append
    locks = AdvisoryLocks(postgres_database)

    async def turn(version: int, n: int) -> int:
        async with locks.hold("c1"):
            await repo.events_after("c1", version)
            said = [MessageReceived(at=NOW, text=f"{n}"), BotReplied(at=NOW, text="x")]
            return await repo.append("c1", version, said, NOW, status="open")

    try:
        await repo.create(
            "c1", "airline", None, "web", [ConversationStarted(at=NOW, pack="airline")], NOW
        )
        version = await turn(await turn(1, 0), 1)  # every statement prepared on its connection
        sends = _counting_sends(monkeypatch)
        assert await turn(version, 2) == version + 2
        assert len(sends) == 4
        (row,) = await analytics.store.rows(Period(0.0))
        assert row["version"] == version + 2  # the row written, at the version appended
    finally:
        await locks.aclose()
        await engine.dispose()
