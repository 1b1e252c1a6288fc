"""In-process fan-out of new conversation events to live subscribers (the SSE stream)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from warmline.domain.events import Event

QUEUE_LIMIT = 256


class Broker:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)

    def publish(self, conversation_id: str, events: Sequence[Event]) -> None:
        for queue in list(self._subscribers.get(conversation_id, ())):
            for event in events:
                if queue.full():  # a subscriber that does not read loses the oldest, not us
                    queue.get_nowait()
                queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, conversation_id: str) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_LIMIT)
        self._subscribers[conversation_id].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[conversation_id].discard(queue)
            if not self._subscribers[conversation_id]:
                del self._subscribers[conversation_id]
