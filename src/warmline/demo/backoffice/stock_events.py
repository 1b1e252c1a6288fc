"""Stock change events, sent out as the stock book tells them (``stock.py``).

Each event is JSON: ``{"type": "stock.changed", "seq", "epoch", "item_id", "product_id", "stock",
"held", "free", "at"}``. With a NATS URL it is published to JetStream on the subject
``<subject>.<item_id>`` of the stream ``stream`` (created when missing); to every webhook URL it
is POSTed with ``X-Stock-Signature: sha256=<hex HMAC-SHA256 of the body under the shared
secret>``. Delivery runs in the background, in the order of ``seq`` per destination; a failed
delivery is counted (``failed``) and logged, never retried: a reader that missed one re-reads
the figure once it is older than its bound (``GET /retail/stock``), so nothing is promised on
it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Stock-Signature"
DELIVERY_TIMEOUT_S = 5.0


def signature(secret: str, body: bytes) -> str:
    """The value of ``X-Stock-Signature`` for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class StockEvents:
    """Sends each stock change to NATS JetStream and the webhooks (none configured: nothing)."""

    def __init__(
        self,
        *,
        nats_url: str | None = None,
        stream: str = "BACKOFFICE_STOCK",
        subject: str = "backoffice.stock",
        webhook_urls: list[str] | None = None,
        webhook_secret: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.nats_url, self.stream, self.subject = nats_url, stream, subject
        self.webhook_urls = list(webhook_urls or [])
        self.webhook_secret = webhook_secret
        self.transport = transport
        self.sent = 0
        self.failed = 0
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._nc: Any = None

    @property
    def configured(self) -> bool:
        return bool(self.nats_url or self.webhook_urls)

    def __call__(self, event: dict[str, Any]) -> None:
        """Queue ``event`` (a listener of the stock book; called inside the app's loop)."""
        if not self.configured:
            return
        if self._queue is None:
            self._queue = asyncio.Queue()
        self._queue.put_nowait(event)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._deliver())

    async def drain(self) -> None:
        """Wait until every queued event was sent (or failed)."""
        if self._queue is not None:
            await self._queue.join()

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        if self._nc is not None:
            await self._nc.close()

    async def _deliver(self) -> None:
        assert self._queue is not None
        async with httpx.AsyncClient(
            transport=self.transport, timeout=DELIVERY_TIMEOUT_S
        ) as client:
            while True:
                event = await self._queue.get()
                try:
                    body = json.dumps(event, sort_keys=True).encode()
                    await self._send(client, event, body)
                finally:
                    self._queue.task_done()
                if self._queue.empty():
                    return

    async def _send(self, client: httpx.AsyncClient, event: dict[str, Any], body: bytes) -> None:
        if self.nats_url:
            try:
                js = await self._jetstream()
                await js.publish(f"{self.subject}.{event['item_id']}", body, stream=self.stream)
                self.sent += 1
            except Exception as exc:  # the figure is still read by GET /retail/stock
                self.failed += 1
                log.warning("stock event %s not published to NATS: %r", event["seq"], exc)
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: signature(self.webhook_secret, body),
        }
        for url in self.webhook_urls:
            try:
                response = await client.post(url, content=body, headers=headers)
                response.raise_for_status()
                self.sent += 1
            except httpx.HTTPError as exc:
                self.failed += 1
                log.warning("stock event %s not delivered to %s: %r", event["seq"], url, exc)

    async def _jetstream(self) -> Any:
        import nats
        from nats.js.api import StreamConfig
        from nats.js.errors import BadRequestError

        if self._nc is None:
            assert self.nats_url is not None
            self._nc = await nats.connect(self.nats_url, connect_timeout=2)
            js = self._nc.jetstream()
            config = StreamConfig(name=self.stream, subjects=[f"{self.subject}.>"])
            try:
                await js.add_stream(config)
            except BadRequestError:
                await js.update_stream(config)
        return self._nc.jetstream()
