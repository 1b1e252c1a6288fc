"""Stock events over NATS JetStream (a real server, ``WARMLINE_TEST_NATS_URL``): the back
office publishes each change of a variant's free units, warmline's consumer hands them to the
stock view, and the figure the guide would use is the one just published."""

from __future__ import annotations

import asyncio
import os
import uuid

import httpx
import nats
import pytest

from warmline.connectors.backoffice import BackOfficeClient
from warmline.connectors.stock_events import follow_stock_events
from warmline.demo.backoffice.app import BackOfficeConfig, create_app
from warmline.services.stock import StockView

NATS_URL = os.environ.get("WARMLINE_TEST_NATS_URL")
NEW = "6384525445"

pytestmark = pytest.mark.skipif(not NATS_URL, reason="WARMLINE_TEST_NATS_URL not set")


async def test_a_change_published_by_the_back_office_reaches_the_stock_view() -> None:
    assert NATS_URL is not None
    tag = uuid.uuid4().hex[:8]
    stream, subject = f"STOCK_TEST_{tag}", f"test{tag}.stock"
    config = BackOfficeConfig(nats_url=NATS_URL, nats_stream=stream, nats_subject=subject)
    backoffice = create_app(config)
    view = StockView(BackOfficeClient("http://backoffice.test"), 30.0)
    heard = asyncio.Event()

    def on_event(event: dict[str, object]) -> None:
        view.heard(event)
        if event.get("free") == 1:
            heard.set()

    transport = httpx.ASGITransport(app=backoffice)
    async with httpx.AsyncClient(transport=transport, base_url="http://backoffice.test") as bo:
        await bo.put(f"/_admin/stock/{NEW}", json={"stock": 5})  # creates the stream
        await backoffice.state.stock_events.drain()
        follower = asyncio.create_task(follow_stock_events(NATS_URL, stream, subject, on_event))
        try:
            for _ in range(100):  # the consumer starts at new messages: publish until heard
                await bo.put(f"/_admin/stock/{NEW}", json={"stock": 1})
                await backoffice.state.stock_events.drain()
                try:
                    await asyncio.wait_for(heard.wait(), 0.2)
                    break
                except TimeoutError:
                    continue
            assert heard.is_set()
            figures = await view.figures("/retail/stock", [NEW])
            assert figures.by_item[NEW].free == 1 and figures.read_again == 0
            assert figures.by_item[NEW].source == "event"
            assert backoffice.state.stock_events.failed == 0
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)
            await backoffice.state.stock_events.aclose()
            nc = await nats.connect(NATS_URL)
            await nc.jetstream().delete_stream(stream)
            await nc.close()
