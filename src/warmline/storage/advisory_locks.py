"""A conversation's lock across processes on PostgreSQL: a transaction-level advisory lock
(``pg_advisory_xact_lock``) keyed by a hash of the conversation id, taken at the start of the
turn's one transaction on a connection of its own.

The turn reads the events it has not seen and appends its own in that same transaction
(``storage/turn_transaction.py`` binds the connection for the turn): the commit that records
the turn releases the lock, and a turn that records nothing rolls back and releases it. Per
turn that is four round trips (the begin with the lock, the catch-up read, the version bump
with the events and the analytics row in one statement, the commit) where a lock on a
connection of its own and a pooled connection per read and per append took about twenty.

The ``BEGIN`` and the lock go in one message (``_begin_with_lock``): two statements of the
simple query protocol, where the driver's adapter would send a ``BEGIN`` of its own and wait for
it before the lock's statement. asyncpg is then told that its transaction has begun, so that
SQLAlchemy's commit and rollback end it as ever; that uses two of asyncpg's private attributes
(a transaction's ``_state``, a connection's ``_top_xact``) and one of SQLAlchemy's (its asyncpg
adapter's ``_transaction``), checked when the locks open: a driver or SQLAlchemy without them
fails at start, not in a turn.

The locks have an engine (a pool) of their own on the same database, with ``lock_timeout`` set
on each of its connections once when it opens. Should a worker die mid-turn, its connection
closes and the server rolls back the turn and releases the lock; a connection whose lock call
failed or was cancelled is discarded, never returned to the pool inside a transaction."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from asyncpg.transaction import Transaction, TransactionState
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from warmline.errors import ConfigurationError
from warmline.storage.database import open_pool
from warmline.storage.errors import map_storage_errors
from warmline.storage.turn_transaction import binding


def lock_key(conversation_id: str) -> int:
    """The advisory lock's key: 64 bits of a keyed hash of the id, as a signed bigint."""
    digest = hashlib.blake2b(
        conversation_id.encode("utf-8"), digest_size=8, person=b"warmline-turn"
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLocks:
    """``async with locks.hold(conversation_id):`` holds the conversation's advisory lock in a
    transaction that the conversation's reads and append in the block share; waiting longer
    than ``timeout_s`` for it is a ``StorageError``."""

    def __init__(self, url: str, *, pool_size: int = 10, timeout_s: float = 30.0) -> None:
        # A fixed pool, no overflow: under a burst, turns wait here for a connection (up to
        # ``timeout_s``) instead of opening more than the server allows; with the main pool
        # (5 + 10) a worker holds at most 25 connections, four workers 100. No ping on checkout
        # (three round trips): a connection found dead when the turn begins is replaced once.
        check_driver()
        self._engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=timeout_s,
            connect_args={"server_settings": {"lock_timeout": f"{int(timeout_s * 1000)}ms"}},
        )

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        key = lock_key(conversation_id)
        connection = await self._acquire(key)
        try:
            with binding(conversation_id, connection):
                yield
        finally:
            await self._release(connection)

    async def _acquire(self, key: int) -> AsyncConnection:
        with map_storage_errors("take the conversation's lock"):
            try:
                return await self._begin_locked(key)
            except DBAPIError as exc:
                if not exc.connection_invalidated:  # a connection lost since its last use:
                    raise  # the pool has dropped it and its peers; once more on a fresh one
            return await self._begin_locked(key)

    async def _begin_locked(self, key: int) -> AsyncConnection:
        connection = await self._engine.connect()
        try:
            await _begin_with_lock(connection, key)
        except BaseException:
            await _discard(connection)
            raise
        return connection

    async def _release(self, connection: AsyncConnection) -> None:
        """Roll back what the turn did not commit (releasing the lock), and give the connection
        back to the pool."""
        try:
            if connection.in_transaction():
                await connection.rollback()
        except BaseException:
            await _discard(connection)  # closing the server session releases the lock
            raise
        await connection.close()

    async def open(self) -> int:
        """Open the pool's connections now (``storage/database.py``, ``open_pool``)."""
        return await open_pool(self._engine)

    async def aclose(self) -> None:
        await self._engine.dispose()


async def _begin_with_lock(connection: AsyncConnection, key: int) -> None:
    """Begin the turn's transaction and take the lock in one round trip. SQLAlchemy's
    transaction begins first (no statement: the dialect's begin is implicit), then the two
    statements go to asyncpg in one message, and the transaction they began is handed to
    SQLAlchemy's adapter as the one it would have begun itself. An error is SQLAlchemy's
    ``DBAPIError``, marked invalidated when the connection was lost (``_acquire`` then tries a
    fresh one)."""
    await connection.begin()
    fairy = await connection.get_raw_connection()
    driver: Any = fairy.driver_connection
    try:
        transaction = driver.transaction()  # refused at once on a connection known closed
        await driver.execute(f"BEGIN; SELECT pg_advisory_xact_lock({int(key)})")
    except Exception as exc:  # every driver error, as SQLAlchemy would have wrapped it
        lost = driver.is_closed() or not isinstance(exc, asyncpg.PostgresError)
        raise DBAPIError(None, None, exc, connection_invalidated=lost) from exc
    transaction._state = TransactionState.STARTED
    driver._top_xact = transaction
    adapter: Any = fairy.dbapi_connection
    adapter._transaction = transaction


def check_driver() -> None:
    """Fail at start when asyncpg or SQLAlchemy's adapter lacks what ``_begin_with_lock``
    relies on (declared slots: an attribute renamed would otherwise be set in vain)."""
    kept = (
        "_state" in Transaction.__slots__
        and "_top_xact" in asyncpg.Connection.__slots__
        and "_transaction" in getattr(AsyncAdapt_asyncpg_connection, "__slots__", ())
    )
    if not kept or not hasattr(TransactionState, "STARTED"):
        raise ConfigurationError(
            f"asyncpg {asyncpg.__version__} or SQLAlchemy's asyncpg adapter keeps its "
            "transactions' state otherwise: the turn's lock cannot begin its transaction in one "
            "round trip (storage/advisory_locks.py)"
        )


async def _discard(connection: AsyncConnection) -> None:
    """Close the connection for good (not back to the pool): the server drops its locks."""
    try:
        await connection.invalidate()
        await connection.close()
    except Exception:  # already broken: nothing more to release
        pass
