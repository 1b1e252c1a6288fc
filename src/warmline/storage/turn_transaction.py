"""A turn's one transaction on PostgreSQL: the connection that holds a conversation's advisory
lock (``storage/advisory_locks.py``), bound for the turn's task, so that the event store
(``storage/conversations.py``) reads the state and appends the turn on it, in the transaction
that took the lock, instead of on connections of its own. There, the turn's catch-up read and
its append go to asyncpg directly (``DriverStatement``), without SQLAlchemy's execution layer.

The binding names its conversation and its task: a read or an append of another conversation,
or from another task (one the turn started), takes a pooled connection as ever. Once the append
commits, the lock is released with the transaction and the binding serves nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import asyncpg
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

_BOUND: ContextVar[tuple[str, AsyncConnection, asyncio.Task[object] | None] | None] = ContextVar(
    "warmline_turn_transaction", default=None
)


@contextmanager
def binding(conversation_id: str, connection: AsyncConnection) -> Iterator[None]:
    """Within the block, ``bound(conversation_id)`` in this task is ``connection``."""
    token = _BOUND.set((conversation_id, connection, asyncio.current_task()))
    try:
        yield
    finally:
        _BOUND.reset(token)


def bound(conversation_id: str) -> AsyncConnection | None:
    """The open transaction that holds ``conversation_id``'s lock in this task, if any."""
    found = _BOUND.get()
    if found is None:
        return None
    held, connection, task = found
    if held != conversation_id or task is not asyncio.current_task():
        return None
    return connection if connection.in_transaction() else None


class DriverStatement:
    """A statement of the turn's transaction on PostgreSQL sent through asyncpg itself, without
    SQLAlchemy's execution layer (about 0.13 ms of CPU a statement saved; asyncpg prepares it
    once per connection and reuses it from its own cache). Compiled once by SQLAlchemy for the
    connection's dialect: the same SQL, the same order of parameters and the same conversion of
    each value (the JSON ones serialised as SQLAlchemy does). Only in a turn's transaction,
    which the lock's statement began through SQLAlchemy; its errors are asyncpg's own
    (``driver_errors`` translates them)."""

    def __init__(self, statement: Any) -> None:
        self._statement = statement
        self._compiled: tuple[str, list[str], dict[str, Any]] | None = None

    def _sql(self, connection: AsyncConnection) -> tuple[str, list[str], dict[str, Any]]:
        if self._compiled is None:
            compiled: Any = self._statement.compile(dialect=connection.dialect)
            processors = dict(compiled._bind_processors)
            self._compiled = (compiled.string, list(compiled.positiontup), processors)
        return self._compiled

    def _arguments(
        self, connection: AsyncConnection, params: dict[str, Any]
    ) -> tuple[str, list[Any]]:
        sql, names, processors = self._sql(connection)
        values = [params[name] for name in names]
        for i, name in enumerate(names):
            if name in processors:  # ``None`` too, as SQLAlchemy does
                values[i] = processors[name](values[i])
        return sql, values

    async def rowcount(self, connection: AsyncConnection, params: dict[str, Any]) -> int:
        """Run it; the number of rows it wrote (from the command's status, ``INSERT 0 3``)."""
        status = await self._run(connection, params, "execute")
        return int(status.rsplit(" ", 1)[-1])

    async def column(self, connection: AsyncConnection, params: dict[str, Any]) -> list[Any]:
        """Run it; the first column of every row (JSON decoded by the connection's codec)."""
        return [row[0] for row in await self._run(connection, params, "fetch")]

    async def _run(self, connection: AsyncConnection, params: dict[str, Any], how: str) -> Any:
        """The driver's ``execute`` or ``fetch`` of the statement with ``params``."""
        sql, values = self._arguments(connection, params)
        driver = await _driver(connection)
        try:
            return await getattr(driver, how)(sql, *values)
        except BaseException as exc:
            await _invalidate_if_lost(connection, driver, exc)
            raise


async def _driver(connection: AsyncConnection) -> Any:
    """The asyncpg connection under ``connection``: read from the connection SQLAlchemy holds
    (a turn's transaction is open on it, nothing to reconnect: an attribute read, about 0.3
    microseconds), not through ``get_raw_connection`` (the same read run in a greenlet, about
    9); one closed or invalidated goes that way, as before, and fails as it did."""
    sync = connection.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        return sync.connection.driver_connection
    return (await connection.get_raw_connection()).driver_connection


async def _invalidate_if_lost(connection: AsyncConnection, driver: Any, exc: BaseException) -> None:
    """A statement sent past SQLAlchemy failed: unless the server answered it with an error (the
    connection then stays usable), the connection is lost or its state unknown, so SQLAlchemy is
    told, as it would have told itself: the turn's rollback then makes no call on the dead
    connection (which would raise its own error in place of the storage error) and the pool
    drops it."""
    if driver.is_closed() or not isinstance(exc, asyncpg.PostgresError):
        await connection.invalidate()


@contextmanager
def driver_errors() -> Iterator[None]:
    """asyncpg's errors as SQLAlchemy would have raised them, for ``map_storage_errors``: a
    refused constraint an ``IntegrityError``, any other a ``DBAPIError``."""
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(None, None, exc) from exc
    except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
        raise DBAPIError(None, None, exc) from exc  # the last: a message the connection did not
    except OSError as exc:  # expect, as when the server ends the session under a statement
        raise DBAPIError(None, None, exc, connection_invalidated=True) from exc
