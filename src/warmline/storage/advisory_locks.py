"""A conversation's lock across processes on PostgreSQL: a transaction-level advisory lock
(``pg_advisory_xact_lock``) keyed by a hash of the conversation id, taken at the start of the
turn's one transaction on a connection of its own.

The turn reads the events it has not seen and appends its own in that same transaction
(``storage/turn_transaction.py`` binds the connection for the turn): the commit that records
the turn releases the lock, and a turn that records nothing rolls back and releases it. Per
turn that is five round trips (begin, lock, catch-up read, the version bump with the events and
the analytics row in one statement, commit) where a lock on a connection of its own and a
pooled connection per read and per append took about twenty.

The locks have an engine (a pool) of their own on the same database, with ``lock_timeout`` set
on each of its connections once when it opens. Should a worker die mid-turn, its connection
closes and the server rolls back the turn and releases the lock; a connection whose lock call
failed or was cancelled is discarded, never returned to the pool inside a transaction."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from warmline.storage.errors import map_storage_errors
from warmline.storage.turn_transaction import binding

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


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
            await connection.execute(_LOCK, {"key": key})  # begins the turn's transaction
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

    async def aclose(self) -> None:
        await self._engine.dispose()


async def _discard(connection: AsyncConnection) -> None:
    """Close the connection for good (not back to the pool): the server drops its locks."""
    try:
        await connection.invalidate()
        await connection.close()
    except Exception:  # already broken: nothing more to release
        pass
