"""The database pools open their connections before the first turn (PostgreSQL,
WARMLINE_TEST_POSTGRES_URL; skipped without it): a burst of as many turns as a pool keeps then
opens no server connection, each of which costs a server process's start and its setup; a
server on PostgreSQL holds its main pool's and its locks' connections open when it says it is
ready (a command, which runs once, opens none ahead). SQLite opens nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.app import create_app
from warmline.nlu.embeddings import Encoder
from warmline.services.runtime import Runtime
from warmline.storage.advisory_locks import AdvisoryLocks
from warmline.storage.database import create_engine, open_pool

from .conftest import POSTGRES_URL, test_settings

postgres = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
]


def connects(engine: AsyncEngine) -> list[int]:
    """A list that grows by one each time ``engine``'s pool opens a server connection."""
    opened: list[int] = []

    def on_connect(*_: Any) -> None:
        opened.append(1)

    event.listen(engine.sync_engine.pool, "connect", on_connect)
    return opened


async def burst(engine: AsyncEngine, count: int) -> None:
    """``count`` connections checked out at once, as many turns arriving together do."""
    held = await asyncio.gather(*(engine.connect() for _ in range(count)))
    for connection in held:
        await connection.close()


@pytest.mark.parametrize("_", [pytest.param(None, marks=postgres, id="postgres")])
async def test_an_opened_pool_meets_a_burst_of_its_size_without_opening_a_connection(
    _: None, postgres_database: str
) -> None:
    engine = create_engine(postgres_database)
    opened = connects(engine)
    try:
        size = engine.sync_engine.pool.size()  # type: ignore[attr-defined]
        assert await open_pool(engine) == size == len(opened)
        await burst(engine, size)
        assert len(opened) == size  # none more
        await burst(engine, size + 1)
        assert len(opened) == size + 1  # beyond the pool's size: opened then, as before
    finally:
        await engine.dispose()


@pytest.mark.parametrize("_", [pytest.param(None, marks=postgres, id="postgres")])
async def test_the_locks_open_their_whole_pool(_: None, postgres_database: str) -> None:
    locks = AdvisoryLocks(postgres_database, pool_size=4)
    try:
        assert await locks.open() == 4
    finally:
        await locks.aclose()


async def test_sqlite_opens_nothing(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    opened = connects(engine)
    try:
        assert await open_pool(engine) == 0 and opened == []
    finally:
        await engine.dispose()


async def server_sessions(url: str) -> int:
    """Connections the server has open to the database of ``url`` (this one's not counted)."""
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin)
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            parsed.database,
        )
    finally:
        await connection.close()
    return int(count)


@pytest.mark.parametrize("_", [pytest.param(None, marks=postgres, id="postgres")])
async def test_a_server_on_postgresql_is_ready_with_its_pools_open_and_a_command_opens_none(
    _: None, encoder: Encoder, model_cache: Path, postgres_database: str
) -> None:
    settings = test_settings(model_cache, database_url=postgres_database)
    app = create_app(settings)
    async with app.router.lifespan_context(app):  # what uvicorn runs before it says ready
        # the main pool keeps 5, the locks' pool 10 (storage/advisory_locks.py)
        assert await server_sessions(postgres_database) >= 15
    assert await server_sessions(postgres_database) == 0
    built = await Runtime.build(settings, encoder=encoder)  # a command's runtime (cli.py)
    try:
        assert await server_sessions(postgres_database) <= 1  # the migration's, if kept
    finally:
        await built.aclose()
