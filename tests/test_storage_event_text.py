"""On PostgreSQL the append sends each event's JSON text as its payload; handed the record
stage's ``EventForms`` it sends their text, made once and kept for the live copy's NATS message
(``services/realtime_nats.py``): the payload stored is that text, byte for byte. Elsewhere the
forms are stored as before. Set WARMLINE_TEST_POSTGRES_URL to run the PostgreSQL half."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.domain.events import (
    BotReplied,
    ConversationStarted,
    EventForms,
    MessageReceived,
    event_to_json,
)
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, is_sqlite, session_factory
from warmline.storage.migrate import upgrade

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
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    url: str = request.param
    if url == "postgres":
        url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    if not is_sqlite(url):
        await empty_postgres(engine)
    await upgrade(engine)
    yield engine
    if not is_sqlite(url):
        await empty_postgres(engine)
    await engine.dispose()


async def _payloads(engine: AsyncEngine) -> list[Any]:
    cast = "payload" if engine.dialect.name == "sqlite" else "payload::text"
    async with engine.connect() as connection:
        rows = await connection.execute(text(f"SELECT {cast} FROM events ORDER BY seq"))
        return [row[0] for row in rows]


async def test_the_payload_stored_is_the_text_the_live_copy_sends(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = ConversationRepository(session_factory(engine), single_writer=is_sqlite(str(engine.url)))
    started = [ConversationStarted(at=NOW, pack="airline", customer_id="u1")]
    await repo.create("c1", "airline", "u1", "web", started, NOW)
    events = [
        MessageReceived(at=NOW, text='où est "4WQ150" ?\n', idempotency_key="k"),
        BotReplied(at=NOW, text="DFW → LAX", choices=["yes"]),
    ]
    forms = EventForms(event_to_json(e) for e in events)
    await repo.append("c1", 1, events, NOW, forms=forms)
    dumped: list[Any] = []
    original = json.dumps
    monkeypatch.setattr(json, "dumps", lambda v, *a, **k: dumped.append(v) or original(v, *a, **k))
    texts = forms.texts()
    stored = (await _payloads(engine))[1:]
    assert [json.loads(s) for s in stored] == list(forms)
    if engine.dialect.name == "postgresql":
        assert dumped == []  # made by the append: the live copy encodes nothing again
        assert stored == texts  # the same bytes as the NATS message holds
    assert await repo.events("c1") == started + events
