"""The back office's stock change events from NATS JetStream (with ``WARMLINE_NATS_URL``).

Every worker follows the stream ``WARMLINE_STOCK_NATS_STREAM`` on the subjects
``<WARMLINE_STOCK_NATS_SUBJECT>.>`` with an ordered push consumer that starts at new messages
(a figure older than the bound is read again anyway), and hands each event, decoded, to
``on_event``. A server that cannot be reached is tried again every ``RETRY_S`` seconds, and
the client reconnects for ever once in: while cut off, no figure is taken from events, so each
ages past the bound and is read again from the back office before it is used.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

log = logging.getLogger(__name__)
RETRY_S = 2.0

EventSink = Callable[[dict[str, Any]], object]


async def follow_stock_events(url: str, stream: str, subject: str, on_event: EventSink) -> None:
    """Follow the stock events until cancelled; a malformed message is logged and skipped."""

    async def handle(msg: Msg) -> None:
        try:
            event = json.loads(msg.data)
            if not isinstance(event, dict):
                raise ValueError("not a JSON object")
            on_event(event)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("stock event on %s skipped: %r", msg.subject, exc)

    while True:
        try:
            nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=-1)
        except (OSError, TimeoutError, nats.errors.Error) as exc:
            log.warning("stock events: NATS at %s unreachable (%r); trying again", url, exc)
            await asyncio.sleep(RETRY_S)
            continue
        try:
            js = nc.jetstream()
            await js.subscribe(
                f"{subject}.>",
                stream=stream,
                cb=handle,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.NEW,
            )
            await asyncio.Event().wait()  # until cancelled
        except nats.errors.Error as exc:  # no stream yet: the back office creates it
            log.warning("stock events: cannot follow %s (%r); trying again", stream, exc)
            await asyncio.sleep(RETRY_S)
        finally:
            await nc.close()
