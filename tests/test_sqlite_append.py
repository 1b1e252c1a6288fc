"""On SQLite, an append's statements run in one call on aiosqlite's thread
(``storage/sqlite_append.py``): what it stores is what SQLAlchemy's own statements stored,
value for value as SQLite keeps it (times and JSON as text), and it takes a few hops between
the event loop and the driver's thread where it took a dozen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.analytics.outcomes import OutcomeRules
from warmline.domain.events import BotReplied, ConversationStarted, Decided, MessageReceived
from warmline.errors import ConflictError
from warmline.services.analytics import Analytics
from warmline.storage.analytics import AnalyticsRepository
from warmline.storage.conversations import _INSERT_EVENTS, ConversationRepository, _event_rows
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade

AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
async def engine(tmp_path: Any) -> AsyncIterator[AsyncEngine]:
    found = create_engine(f"sqlite+aiosqlite:///{tmp_path}/append.db")
    await upgrade(found)
    yield found
    await found.dispose()


def _turn() -> list[Any]:
    from warmline.domain.decision import Decision

    return [
        MessageReceived(at=AT, text='où est ma valise ? \u2014 "vite"', idempotency_key="k1"),
        Decided(at=AT, decision=Decision(kind="answer", template="greet", reasons=[])),
        BotReplied(at=AT, text="Je regarde.", choices=["a", "b"]),
    ]


async def _stored(engine: AsyncEngine, cid: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        found = await connection.execute(
            text(
                "SELECT seq, kind, CAST(at AS TEXT), CAST(payload AS TEXT) FROM events "
                "WHERE conversation_id = :cid ORDER BY seq"
            ),
            {"cid": cid},
        )
        return [tuple(row) for row in found]


async def test_the_one_call_stores_what_sqlalchemys_statements_stored(
    engine: AsyncEngine,
) -> None:
    repo = ConversationRepository(session_factory(engine), single_writer=True)
    started = [ConversationStarted(at=AT, pack="airline")]
    for cid in ("one", "two"):
        await repo.create(cid, "airline", None, "web", started, AT)
    assert await repo.append("one", 1, _turn(), AT, status="escalated") == 4
    async with engine.begin() as connection:  # the same events through SQLAlchemy's insert
        await connection.execute(_INSERT_EVENTS, _event_rows("two", 1, _turn()))
    assert await _stored(engine, "one") == (await _stored(engine, "two"))
    assert len(await _stored(engine, "one")) == 4
    assert await repo.events("one") == started + _turn()
    summary = await repo.get("one")
    assert (summary.version, summary.status) == (4, "escalated")
    assert summary.updated_at.replace(tzinfo=UTC) == AT  # SQLite keeps UTC, without its zone
    with pytest.raises(ConflictError):  # a stale version: refused, nothing added
        await repo.append("one", 1, _turn(), AT)
    assert len(await _stored(engine, "one")) == 4


async def test_an_append_with_its_analytics_row_is_few_hops(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one call, the commit, and the pool's reset of the connection it gets back."""
    repo = ConversationRepository(session_factory(engine), single_writer=True)
    repo.after_append = Analytics(AnalyticsRepository(engine), OutcomeRules()).on_append
    await repo.create(
        "one", "airline", None, "web", [ConversationStarted(at=AT, pack="airline")], AT
    )
    hops: list[str] = []
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(fn, "__name__", "?"))
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    assert await repo.append("one", 1, _turn(), AT) == 4
    assert len(hops) <= 3, hops
