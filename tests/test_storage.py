"""The event store: one transaction per append, optimistic versions, the same code on SQLite
and PostgreSQL (set WARMLINE_TEST_POSTGRES_URL to run the PostgreSQL half)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError, OperationalError

from warmline.domain.conversation import fold
from warmline.domain.events import (
    BotReplied,
    ConversationStarted,
    CustomerVerified,
    Disclosed,
    MessageReceived,
    Resolved,
)
from warmline.errors import ConflictError, ConversationNotFound, StorageError
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, is_sqlite, session_factory
from warmline.storage.migrate import current_revision, upgrade
from warmline.storage.tables import EventRow

from .conftest import POSTGRES_URL, empty_postgres

NOW = datetime(2026, 1, 1, tzinfo=UTC)

BACKENDS = [
    pytest.param("sqlite+aiosqlite:///:memory:", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
        ],
    ),
]


@pytest.fixture(params=BACKENDS)
async def repo(request: pytest.FixtureRequest) -> AsyncIterator[ConversationRepository]:
    url: str = request.param
    if url == "postgres":
        url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    if not is_sqlite(url):
        await empty_postgres(engine)
    await upgrade(engine)
    assert await current_revision(engine) == "0011"
    yield ConversationRepository(session_factory(engine), single_writer=is_sqlite(url))
    if not is_sqlite(url):
        await empty_postgres(engine)
    await engine.dispose()


async def _new(repo: ConversationRepository, cid: str = "c1") -> None:
    await repo.create(
        cid,
        "airline",
        "u1",
        "web",
        [
            ConversationStarted(at=NOW, pack="airline", customer_id="u1"),
            BotReplied(at=NOW, text="hi, I'm an AI"),
            Disclosed(at=NOW, how="greeting"),
        ],
        NOW,
    )


async def test_events_round_trip_and_fold(repo: ConversationRepository) -> None:
    await _new(repo)
    version = await repo.append("c1", 3, [MessageReceived(at=NOW, text="héllo ✈")], NOW)
    assert version == 4
    events = await repo.events("c1")
    state = fold(events)
    kinds = ["conversation_started", "bot_replied", "disclosed", "message_received"]
    assert [e.kind for e in events] == kinds
    assert state.transcript[-1].text == "héllo ✈" and state.disclosed and state.version == 4
    assert (await repo.get("c1")).version == 4


async def test_an_append_bumps_the_conversation_and_binds_a_verified_customer(
    repo: ConversationRepository,
) -> None:
    await repo.create("c2", "airline", None, "web", [], NOW)
    assert await repo.events("c2") == [] and (await repo.get("c2")).version == 0
    later = NOW.replace(minute=NOW.minute + 1)
    events = [CustomerVerified(at=later, customer_id="u9", method="email"), Resolved(at=later)]
    assert await repo.append("c2", 0, events, later, status="resolved") == 2
    summary = await repo.get("c2")
    assert (summary.version, summary.status, summary.customer_id) == (2, "resolved", "u9")
    assert summary.updated_at.replace(tzinfo=None) == later.replace(tzinfo=None)
    assert [e.kind for e in await repo.events_after("c2", 1)] == ["resolved"]
    assert [s.id for s in await repo.of_customer("u9")] == ["c2"]


async def test_a_stale_version_is_a_conflict_and_writes_nothing(
    repo: ConversationRepository,
) -> None:
    await _new(repo)
    await repo.append("c1", 3, [MessageReceived(at=NOW, text="first")], NOW)
    with pytest.raises(ConflictError):
        await repo.append("c1", 3, [MessageReceived(at=NOW, text="second")], NOW)
    assert [getattr(e, "text", None) for e in await repo.events("c1")][-1] == "first"


async def test_concurrent_appends_at_the_same_version_one_wins(
    repo: ConversationRepository,
) -> None:
    await _new(repo)
    results = await asyncio.gather(
        *[repo.append("c1", 3, [MessageReceived(at=NOW, text=str(i))], NOW) for i in range(5)],
        return_exceptions=True,
    )
    assert sum(1 for r in results if r == 4) == 1
    assert all(isinstance(r, ConflictError) for r in results if r != 4)
    assert len(await repo.events("c1")) == 4


async def test_unknown_conversation(repo: ConversationRepository) -> None:
    with pytest.raises(ConversationNotFound):
        await repo.events("nope")
    with pytest.raises(ConversationNotFound):
        await repo.append("nope", 0, [MessageReceived(at=NOW, text="x")], NOW)


async def test_sqlite_file_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/w.db")
    await upgrade(engine)
    async with engine.connect() as conn:
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
        fk = (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one()
    await engine.dispose()
    assert (mode, fk) == ("wal", 1)


async def test_a_refused_constraint_on_append_is_a_conflict_and_writes_nothing(
    repo: ConversationRepository,
) -> None:
    """A row already at the next ``seq`` (a writer the version check did not see) makes the
    database refuse the insert: the append is a conflict, and its version bump is rolled back."""
    await _new(repo)
    async with repo._sessions() as session, session.begin():
        stray = {"conversation_id": "c1", "seq": 4, "kind": "x", "at": NOW, "payload": {}}
        await session.execute(insert(EventRow), [stray])
    with pytest.raises(ConflictError) as caught:
        await repo.append("c1", 3, [MessageReceived(at=NOW, text="late")], NOW)
    assert isinstance(caught.value.__cause__, IntegrityError)
    assert (await repo.get("c1")).version == 3


async def test_creating_a_conversation_twice_is_a_storage_error(
    repo: ConversationRepository,
) -> None:
    await _new(repo)
    with pytest.raises(StorageError, match="could not create the conversation") as caught:
        await _new(repo)
    assert isinstance(caught.value.__cause__, IntegrityError)


async def test_a_database_that_refuses_connections_is_a_storage_error() -> None:
    """asyncpg lets ``ConnectionRefusedError`` through SQLAlchemy; it still lands in the tree."""
    with socket.socket() as closed:  # bound, never listening: connecting is refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        engine = create_engine(f"postgresql+asyncpg://warmline@127.0.0.1:{port}/none")
        repo = ConversationRepository(session_factory(engine), single_writer=False)
        with pytest.raises(StorageError, match="could not read the conversation") as caught:
            await repo.events("c1")
        await engine.dispose()
    assert isinstance(caught.value.__cause__, OSError)


async def test_a_failing_statement_is_a_storage_error() -> None:
    engine = create_engine("sqlite+aiosqlite:///:memory:")  # no schema: every statement fails
    repo = ConversationRepository(session_factory(engine), single_writer=True)
    with pytest.raises(StorageError, match="could not record the turn") as caught:
        await repo.append("c1", 3, [MessageReceived(at=NOW, text="x")], NOW)
    await engine.dispose()
    assert isinstance(caught.value.__cause__, OperationalError)


async def test_migrating_an_unreachable_database_or_to_no_revision_is_a_clear_error(
    tmp_path: Path,
) -> None:
    from warmline.errors import ConfigurationError

    (tmp_path / "db.sqlite").mkdir()  # a folder where the database file should be
    unreachable = create_engine(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite")
    with pytest.raises(StorageError, match="could not migrate the database"):
        await upgrade(unreachable)
    await unreachable.dispose()
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    with pytest.raises(ConfigurationError, match="cannot migrate to 'nope'"):
        await upgrade(engine, "nope")
    await engine.dispose()
