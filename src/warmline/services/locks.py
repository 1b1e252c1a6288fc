"""One turn at a time per conversation, within this process: a lock per conversation id,
dropped once nobody holds or waits for it. Across processes the event store's versioned append
decides (``storage/conversations.py``)."""

from __future__ import annotations

import asyncio
import weakref


class ConversationLocks:
    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def hold(self, conversation_id: str) -> asyncio.Lock:
        """The conversation's lock (``async with locks.hold(id):``)."""
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        return lock
