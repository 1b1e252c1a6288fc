"""On SQLite, an append's statements in one call on the driver's thread: aiosqlite runs every
call of SQLAlchemy's (a cursor, its statement, its close) on a thread of its own and waits for
each, about three hops between the event loop and that thread a statement; the version bump,
the events and the analytics row were nine. Here they are one function run on the thread
(``_execute``, aiosqlite's own way of running a call there), in the transaction SQLAlchemy
began, which SQLAlchemy commits.

Each statement is compiled once by SQLAlchemy for the connection's dialect: the same SQL, the
same order of parameters and each value converted as SQLAlchemy converts it (a time as
SQLite's text, JSON serialised), so the stored rows are the same."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection


class Compiled:
    """A statement compiled once for positional parameters, with SQLAlchemy's conversions."""

    def __init__(self, statement: Any, dialect: Any, keys: Sequence[str] | None = None) -> None:
        compiled: Any = statement.compile(dialect=dialect, column_keys=keys)
        self.sql: str = compiled.string
        self._names = list(compiled.positiontup)
        self._processors = dict(compiled._bind_processors)

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """The values in the statement's order, each converted as SQLAlchemy converts it
        (``None`` included: a JSON column's processor decides what ``None`` stores)."""
        values = []
        for name in self._names:
            processor = self._processors.get(name)
            value = params[name]
            values.append(value if processor is None else processor(value))
        return values


_COMPILED: dict[tuple[int, tuple[str, ...]], Compiled] = {}


def compiled(statement: Any, dialect: Any, keys: Sequence[str] | None = None) -> Compiled:
    """``statement`` compiled for ``dialect`` (and the columns ``keys`` of an insert), once."""
    key = (id(statement), tuple(keys or ()))
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = Compiled(statement, dialect, keys)
    return found


async def append_in_one_call(
    connection: AsyncConnection,
    bump: tuple[Any, Mapping[str, Any]],
    events: tuple[Any, Sequence[Mapping[str, Any]]],
    row: tuple[Any, Mapping[str, Any]] | None,
) -> bool:
    """Run the version bump, then (when it found the version expected) the events'
    ``executemany`` and the analytics row's upsert, each a (statement, parameters), in one call
    on the driver's thread, in the connection's transaction. Whether the bump found it."""
    dialect = connection.dialect
    bump_sql = compiled(bump[0], dialect)
    bump_args = bump_sql.arguments(bump[1])
    rows = events[1]
    events_sql = compiled(events[0], dialect, list(rows[0]))
    events_args = [events_sql.arguments(r) for r in rows]
    row_sql = None if row is None else compiled(row[0], dialect, list(row[1]))
    row_args = None if row is None or row_sql is None else row_sql.arguments(row[1])

    def work(raw: sqlite3.Connection) -> bool:
        if raw.execute(bump_sql.sql, bump_args).rowcount != 1:
            return False
        raw.executemany(events_sql.sql, events_args)
        if row_sql is not None and row_args is not None:
            raw.execute(row_sql.sql, row_args)
        return True

    driver: Any = (await connection.get_raw_connection()).driver_connection
    with sqlite_errors():
        return bool(await driver._execute(work, driver._conn))


@contextmanager
def sqlite_errors() -> Iterator[None]:
    """sqlite3's errors as SQLAlchemy would have raised them, for ``map_storage_errors``."""
    try:
        yield
    except sqlite3.Error as exc:  # IntegrityError, OperationalError, ... by the error's class
        raise DBAPIError.instance(None, None, exc, sqlite3.Error) from exc
