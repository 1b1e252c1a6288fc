"""One turn at a time per conversation: a lock per conversation id within this process, dropped
once nobody holds or waits for it; with several workers on PostgreSQL, also the conversation's
advisory lock in the database (``storage/advisory_locks.py``), taken once the process's own lock
is held, so a worker waits for the database lock with at most one turn per conversation. The
database lock opens the turn's one transaction: the turn's catch-up read and its append run in
it, and the append's commit releases the lock. The event store's versioned append
(``storage/conversations.py``) still refuses any writer that raced another."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from warmline.storage.advisory_locks import AdvisoryLocks


class ConversationLocks:
    def __init__(self, shared: AdvisoryLocks | None = None) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.shared = shared

    def local(self, conversation_id: str) -> asyncio.Lock:
        """The conversation's lock in this process."""
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        return lock

    def hold(self, conversation_id: str) -> AbstractAsyncContextManager[object]:
        """The conversation's lock (``async with locks.hold(id):``): this process's, and the
        database's when the locks are shared."""
        if self.shared is None:
            return self.local(conversation_id)
        return self._both(conversation_id)

    @asynccontextmanager
    async def _both(self, conversation_id: str) -> AsyncIterator[None]:
        assert self.shared is not None
        async with self.local(conversation_id), self.shared.hold(conversation_id):
            yield

    async def open(self) -> None:
        """Open the shared locks' connections before the first turn needs one."""
        if self.shared is not None:
            await self.shared.open()

    async def aclose(self) -> None:
        if self.shared is not None:
            await self.shared.aclose()
