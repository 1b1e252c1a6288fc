"""A turn's statements on PostgreSQL reach asyncpg from the connection SQLAlchemy holds, read as
an attribute, not through ``get_raw_connection`` (a greenlet per statement): the same asyncpg
connection, the same rows (``storage/turn_transaction.py``). WARMLINE_TEST_POSTGRES_URL; skipped
without it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from warmline.domain.events import BotReplied, ConversationStarted, MessageReceived
from warmline.storage.advisory_locks import AdvisoryLocks
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade
from warmline.storage.turn_transaction import _driver, bound

from .conftest import POSTGRES_URL, empty_postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def database(postgres_database: str) -> AsyncIterator[tuple[str, ConversationRepository]]:
    engine = create_engine(postgres_database)
    await empty_postgres(engine)
    await upgrade(engine)
    repo = ConversationRepository(session_factory(engine), single_writer=False)
    started = [ConversationStarted(at=NOW, pack="airline"), BotReplied(at=NOW, text="hi")]
    await repo.create("c1", "airline", None, "web", started, NOW)
    yield postgres_database, repo
    await engine.dispose()


async def test_a_turns_read_and_append_take_no_greenlet_for_the_driver(
    database: tuple[str, ConversationRepository], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, repo = database
    locks = AdvisoryLocks(url, pool_size=1)
    raw: list[Any] = []
    original = AsyncConnection.get_raw_connection

    async def counted(self: AsyncConnection) -> Any:
        raw.append(self)
        return await original(self)

    try:
        async with locks.hold("c1"):
            turn = bound("c1")
            assert turn is not None
            through_greenlet = (await original(turn)).driver_connection
            monkeypatch.setattr(AsyncConnection, "get_raw_connection", counted)
            assert await _driver(turn) is through_greenlet  # the same asyncpg connection
            assert await repo.events_after("c1", 2) == []
            assert await repo.append("c1", 2, [MessageReceived(at=NOW, text="hello")], NOW) == 3
            assert raw == []
        assert [getattr(e, "text", None) for e in await repo.events("c1")][-1] == "hello"
    finally:
        await locks.aclose()
