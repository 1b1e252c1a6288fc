"""Engine and session factory. SQLite gets WAL and foreign keys; PostgreSQL is another URL."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

log = logging.getLogger("warmline.storage")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``; creates the SQLite file's folder if needed."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if is_sqlite(url):
        database = parsed.database or ""
        if database in ("", ":memory:"):
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        ping_when_idle(engine)
    return engine


async def open_pool(engine: AsyncEngine, count: int | None = None) -> int:
    """Open ``count`` connections of ``engine``'s pool at once (default: the pool's size, the
    ones it keeps) and put them back: the first turns after a start, or the first burst, take
    open connections instead of each opening one (a server process forked, authenticated and
    set up: 10-60 ms here, and its CPU on both sides). SQLite opens nothing. How many the pool
    holds open afterwards."""
    if is_sqlite(str(engine.url)):
        return 0
    pool: Any = engine.sync_engine.pool
    wanted = pool.size() if count is None else count
    with_errors = await asyncio.gather(
        *(engine.connect() for _ in range(wanted)), return_exceptions=True
    )
    opened = [c for c in with_errors if not isinstance(c, BaseException)]
    for connection in opened:
        await connection.close()  # back to the pool, open
    if len(opened) < wanted:  # a server refusing more: turns open them later, as before
        failed = next(c for c in with_errors if isinstance(c, BaseException))
        log.warning("opened %d of %d pooled connections: %r", len(opened), wanted, failed)
    return int(pool.checkedin())


PING_IDLE_S = 5.0
"""A pooled connection idle longer than this is pinged when it is checked out."""


def ping_when_idle(engine: AsyncEngine, idle_s: float = PING_IDLE_S) -> None:
    """Ping a pooled connection on checkout only when it has been idle more than ``idle_s``
    (one round trip), not on every checkout as ``pool_pre_ping`` does: under load a connection
    goes back and out many times a second and a ping each time is a round trip more for every
    read. A connection the server closed while it was idle (a restart, an idle timeout) is
    found by the ping and replaced; one closed within ``idle_s`` of its last use fails the
    statement, and the pool then replaces every connection opened before the failure."""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["warmline_idle_since"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("warmline_idle_since")
        if since is None or time.monotonic() - since <= idle_s:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool discards it and checks out another
            raise DisconnectionError(f"pooled connection lost while idle: {exc!r}") from exc

    event.listen(pool, "checkin", checkin)
    event.listen(pool, "checkout", checkout)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Checkpoints (copying the WAL into the database, with an fsync) run in the background
    # (``checkpoint_forever``), not inside whichever customer's commit happens to cross the
    # threshold, where they stall every writer behind that one.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


async def checkpoint_forever(engine: AsyncEngine, interval_s: float = 1.0) -> None:
    """Move the SQLite write-ahead log into the database now and then, without blocking
    writers (a PASSIVE checkpoint). Runs until cancelled."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            async with engine.connect() as connection:
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # a failed checkpoint is retried; the log keeps the data safe
            log.warning("SQLite checkpoint failed; retrying", exc_info=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)
