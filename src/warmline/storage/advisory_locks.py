"""A conversation's lock across processes on PostgreSQL: a session-level advisory lock keyed by
a hash of the conversation id, held on a connection of its own for the whole turn.

The locks have an engine (a pool) of their own on the same database: a turn holds its lock's
connection while it reads and appends on the main pool, so lock holders can never take every
connection a turn needs. Should a worker die mid-turn, its connection closes and the server
releases the lock; a connection whose lock call failed or was cancelled is discarded, never
returned to the pool still holding (or about to be granted) a lock."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from warmline.storage.errors import map_storage_errors

_TIMEOUT = text("SELECT set_config('lock_timeout', :timeout, true)")
_LOCK = text("SELECT pg_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


def lock_key(conversation_id: str) -> int:
    """The advisory lock's key: 64 bits of a keyed hash of the id, as a signed bigint."""
    digest = hashlib.blake2b(
        conversation_id.encode("utf-8"), digest_size=8, person=b"warmline-turn"
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLocks:
    """``async with locks.hold(conversation_id):`` holds the conversation's advisory lock;
    waiting longer than ``timeout_s`` for it is a ``StorageError``."""

    def __init__(self, url: str, *, pool_size: int = 10, timeout_s: float = 30.0) -> None:
        # A fixed pool, no overflow: under a burst, turns wait here for a connection (up to
        # ``timeout_s``) instead of opening more than the server allows; with the main pool
        # (5 + 10) a worker holds at most 25 connections, four workers 100.
        self._engine = create_async_engine(
            url, pool_pre_ping=True, pool_size=pool_size, max_overflow=0, pool_timeout=timeout_s
        )
        self._timeout = f"{int(timeout_s * 1000)}ms"

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        key = lock_key(conversation_id)
        connection = await self._acquire(key)
        try:
            yield
        finally:
            await self._release(connection, key)

    async def _acquire(self, key: int) -> AsyncConnection:
        with map_storage_errors("take the conversation's lock"):
            connection = await self._engine.connect()
            try:
                await connection.execute(_TIMEOUT, {"timeout": self._timeout})
                await connection.execute(_LOCK, {"key": key})
                await connection.commit()  # the lock outlives the transaction; the setting not
            except BaseException:
                await _discard(connection)
                raise
            return connection

    async def _release(self, connection: AsyncConnection, key: int) -> None:
        try:
            await connection.execute(_UNLOCK, {"key": key})
            await connection.commit()
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
