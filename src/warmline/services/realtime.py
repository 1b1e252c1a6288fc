"""In-process fan-out of new conversation events to live subscribers (the SSE stream).

A subscriber reads events from its queue; ``None`` means the live feed broke (the broker
between workers lost its server, or got it back): the subscriber ends its stream, the client
reconnects and reads what it missed from the database. The in-process broker never breaks;
``services/realtime_nats.py`` shares the events between workers and may."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from warmline.domain.events import Event

QUEUE_LIMIT = 256


class Broker:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Event | None]]] = defaultdict(set)

    def publish(
        self,
        conversation_id: str,
        events: Sequence[Event],
        forms: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        """Hand ``events`` to the conversation's subscribers. ``forms``, when the caller has
        them, are the events' storage forms (``event_to_json`` of each, as the record stage
        dumped them once for the append): a broker that sends events on sends those instead
        of dumping the events again."""
        for queue in list(self._subscribers.get(conversation_id, ())):
            for event in events:
                _put(queue, event)

    def interrupt(self) -> None:
        """Tell every subscriber that the live feed broke (each reads ``None``)."""
        for queues in list(self._subscribers.values()):
            for queue in list(queues):
                _put(queue, None)

    @asynccontextmanager
    async def subscribe(self, conversation_id: str) -> AsyncIterator[asyncio.Queue[Event | None]]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_LIMIT)
        self._subscribers[conversation_id].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[conversation_id].discard(queue)
            if not self._subscribers[conversation_id]:
                del self._subscribers[conversation_id]

    async def aclose(self) -> None:
        """Nothing to close in the process."""


def _put(queue: asyncio.Queue[Event | None], item: Event | None) -> None:
    if queue.full():  # a subscriber that does not read loses the oldest, not us
        queue.get_nowait()
    queue.put_nowait(item)
