"""A turn's one transaction on PostgreSQL: the connection that holds a conversation's advisory
lock (``storage/advisory_locks.py``), bound for the turn's task, so that the event store
(``storage/conversations.py``) reads the state and appends the turn on it, in the transaction
that took the lock, instead of on connections of its own.

The binding names its conversation and its task: a read or an append of another conversation,
or from another task (one the turn started), takes a pooled connection as ever. Once the append
commits, the lock is released with the transaction and the binding serves nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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
