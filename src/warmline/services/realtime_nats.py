"""Live events shared by every worker through NATS JetStream (``WARMLINE_NATS_URL``).

Each recorded turn is published to the stream ``WARMLINE_NATS_STREAM`` on the subject
``warmline.conv.<conversation id>`` (the stream is created on start if missing, and its limits
kept: ``nats_max_age_s``, ``nats_max_bytes``). A worker delivers its own events to its own
subscribers at once, as the in-process broker does, and those of other workers from a NATS
subscription per conversation somebody on this worker watches.

A turn's events are one plain NATS publish, written to the connection without waiting for the
stream's acknowledgement (a round trip, and the server's CPU to answer it, a turn): the stream
stores the message as it stores any published on its subjects.

Outages: publishing never fails a turn (the events are in the database already); a failed
publish (the connection down: nothing is buffered meanwhile) is logged and counted
(``failed_publishes``). When the connection drops, and again when
it comes back, every subscriber reads ``None``: its stream ends, the client reconnects and reads
what it missed from the database (``api/streams.py``, docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from warmline.domain.events import Event, EventForms, event_from_json, event_to_json
from warmline.errors import ConfigurationError
from warmline.services.realtime import Broker

log = logging.getLogger("warmline.realtime")
SUBJECT_PREFIX = "warmline.conv."
PUBLISH_TIMEOUT_S = 2.0
START_ATTEMPTS = 3  # connecting at start, a second apart; afterwards reconnecting never stops
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")


def subject_of(conversation_id: str) -> str:
    """The conversation's subject: its id when it is one plain token (the service's ids are
    UUIDs), else the id's hex (a dot, a space or a wildcard would change the subject)."""
    token = conversation_id if _PLAIN.fullmatch(conversation_id) else conversation_id.encode().hex()
    return SUBJECT_PREFIX + token


class NatsBroker(Broker):
    """The in-process broker, with every publication also sent to the other workers."""

    def __init__(self, stream: str) -> None:
        super().__init__()
        self.stream = stream
        self.origin = uuid.uuid4().hex
        self.failed_publishes = 0
        self.connected = False
        self._nc: Client | None = None
        self._watched: dict[str, Subscription] = {}
        self._watchers: Counter[str] = Counter()
        self._sending: set[asyncio.Task[None]] = set()
        self._closing = False

    @classmethod
    async def connect(
        cls, url: str, *, stream: str, max_age_s: float, max_bytes: int
    ) -> NatsBroker:
        """Connect (reconnecting for ever after), and create or update the stream. A server
        unreachable at start is a ``ConfigurationError``: a worker never starts cut off."""
        broker = cls(stream)
        try:
            broker._nc = await nats.connect(
                url,
                name=f"warmline-{broker.origin[:8]}",
                connect_timeout=2,
                max_reconnect_attempts=START_ATTEMPTS,
                reconnect_time_wait=1,
                pending_size=0,  # no buffering while cut off: a publish fails at once
                no_echo=True,  # this worker's own events are delivered in the process
                error_cb=broker._on_error,
                disconnected_cb=broker._on_disconnected,
                reconnected_cb=broker._on_reconnected,
            )
            broker._nc.options["max_reconnect_attempts"] = -1  # once in: reconnect for ever
            await broker._ensure_stream(max_age_s, max_bytes)
        except (OSError, TimeoutError, nats.errors.Error) as exc:
            await broker.aclose()
            raise ConfigurationError(f"cannot use NATS at {url}: {exc!r}") from None
        broker.connected = True
        return broker

    async def _ensure_stream(self, max_age_s: float, max_bytes: int) -> None:
        assert self._nc is not None
        js = self._nc.jetstream()
        config = StreamConfig(
            name=self.stream,
            subjects=[SUBJECT_PREFIX + ">"],
            max_age=max_age_s,
            max_bytes=max_bytes,
            discard=DiscardPolicy.OLD,
            storage=StorageType.FILE,
        )
        try:
            await js.add_stream(config)
        except BadRequestError:  # it exists with other limits: ours are the configured ones
            await js.update_stream(config)

    def publish(
        self,
        conversation_id: str,
        events: Sequence[Event],
        forms: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        super().publish(conversation_id, events, forms)
        if not events:
            return
        task = asyncio.get_running_loop().create_task(self._send(conversation_id, events, forms))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    def message(
        self,
        conversation_id: str,
        events: Sequence[Event],
        forms: Sequence[dict[str, Any]] | None = None,
    ) -> bytes:
        """The NATS message of a turn's events: ``json.dumps`` of ``{"origin", "conversation_id",
        "events"}``, byte for byte, written around each event's JSON text, the text the append
        stored when ``forms`` are the record stage's ``EventForms`` (encoded once for both)."""
        if not isinstance(forms, EventForms):
            forms = EventForms(forms if forms is not None else [event_to_json(e) for e in events])
        head = f'{{"origin": {json.dumps(self.origin)}, '
        head += f'"conversation_id": {json.dumps(conversation_id)}, "events": ['
        return (head + ", ".join(forms.texts()) + "]}").encode()

    async def _send(
        self,
        conversation_id: str,
        events: Sequence[Event],
        forms: Sequence[dict[str, Any]] | None,
    ) -> None:
        """Publish a turn's events (``message``) to the other workers."""
        try:
            data = self.message(conversation_id, events, forms)
            # A plain publish, no JetStream acknowledgement awaited: the stream stores what is
            # published on its subjects all the same, the other workers receive it from their
            # plain subscriptions, and the events are in the database already. While the
            # connection is down (no buffering) the publish fails at once and is counted.
            assert self._nc is not None
            await self._nc.publish(subject_of(conversation_id), data)
        except Exception as exc:  # the events are recorded; only the live copy is lost
            self.failed_publishes += 1
            log.warning(
                "live events of a turn not shared with other workers (%s failed so far): %r",
                self.failed_publishes,
                exc,
            )

    @asynccontextmanager
    async def subscribe(self, conversation_id: str) -> AsyncIterator[asyncio.Queue[Event | None]]:
        async with super().subscribe(conversation_id) as queue:
            try:
                await self._watch(conversation_id)
                yield queue
            finally:
                await self._unwatch(conversation_id)

    async def _watch(self, conversation_id: str) -> None:
        """Subscribe to the conversation's subject (once per worker), and make sure the server
        has the subscription before the caller says it is ready."""
        self._watchers[conversation_id] += 1
        if conversation_id in self._watched or self._nc is None:
            return
        subject = subject_of(conversation_id)
        try:
            self._watched[conversation_id] = await self._nc.subscribe(subject, cb=self._on_message)
            await self._nc.flush(timeout=int(PUBLISH_TIMEOUT_S))
        except Exception as exc:  # cut off: renewed on reconnect, this worker's events meanwhile
            log.warning("live events from other workers paused: %r", exc)

    async def _unwatch(self, conversation_id: str) -> None:
        self._watchers[conversation_id] -= 1
        if self._watchers[conversation_id] > 0:
            return
        del self._watchers[conversation_id]
        subscription = self._watched.pop(conversation_id, None)
        if subscription is not None:
            # cut off or closed: the server forgets the subscription with the connection
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _on_message(self, msg: Msg) -> None:
        try:
            data: dict[str, Any] = json.loads(msg.data)
            if data.get("origin") == self.origin:
                return
            events = [event_from_json(e) for e in data["events"]]
            Broker.publish(self, str(data["conversation_id"]), events)
        except Exception:
            log.warning("a malformed live event on %s was dropped", msg.subject, exc_info=True)

    async def _on_error(self, exc: Exception) -> None:
        log.warning("NATS: %r", exc)

    async def _on_disconnected(self) -> None:
        if self._closing:
            return
        if self.connected:
            log.warning("NATS connection lost: live updates between workers paused")
        self.connected = False
        self.interrupt()

    async def _on_reconnected(self) -> None:
        log.warning("NATS connection back: live updates between workers resumed")
        self.connected = True
        self.interrupt()  # each subscriber reads what it missed, then follows live again

    async def aclose(self) -> None:
        self._closing = True
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=PUBLISH_TIMEOUT_S)
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):  # what was published reaches the server
                await self._nc.flush(timeout=int(PUBLISH_TIMEOUT_S))
            await self._nc.close()
