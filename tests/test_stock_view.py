"""warmline's stock view: figures from the back office's change events, a late event never
overwriting a newer figure, a figure older than the bound read again before it is used; and
the webhook that feeds it, open only to the back office (the shared secret's signature)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from warmline.connectors.backoffice import BackOfficeClient
from warmline.demo.backoffice.app import create_app as create_backoffice
from warmline.demo.backoffice.stock_events import signature
from warmline.services.runtime import Runtime
from warmline.services.stock import StockView

NEW = "6384525445"


def event(seq: int, free: int, item_id: str = NEW) -> dict[str, Any]:
    return {"type": "stock.changed", "seq": seq, "item_id": item_id, "stock": free, "held": 0}


async def test_a_late_event_never_overwrites_a_newer_figure() -> None:
    view = StockView(BackOfficeClient("http://backoffice.test"), 30.0)
    assert view.heard({**event(5, 2), "free": 2})
    assert not view.heard({**event(3, 4), "free": 4})  # sent before, arrived after
    figures = await view.figures("/retail/stock", [NEW])
    assert figures.by_item[NEW].free == 2 and figures.read_again == 0


async def test_an_option_is_left_out_only_on_the_back_offices_word_of_now() -> None:
    backoffice = create_backoffice()  # a reset or restart since: the units are back
    client = BackOfficeClient(
        "http://backoffice.test", transport=httpx.ASGITransport(app=backoffice)
    )
    view = StockView(client, 30.0)
    view.heard({**event(7, 0), "free": 0, "epoch": "before-the-restart"})
    figures = await view.figures("/retail/stock", [NEW])
    assert figures.read_again == 1 and figures.by_item[NEW].free == 17
    await client.aclose()


async def test_a_figure_older_than_the_bound_is_read_again() -> None:
    backoffice = create_backoffice()
    reads: list[str] = []
    inner = httpx.ASGITransport(app=backoffice)

    class Counting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            reads.append(request.url.path)
            return await inner.handle_async_request(request)

    now = [0.0]
    client = BackOfficeClient("http://backoffice.test", transport=Counting())
    view = StockView(client, 30.0, now=lambda: now[0])
    view.heard({**event(1, 2), "free": 2})
    now[0] = 29.0
    fresh = await view.figures("/retail/stock", [NEW])
    assert (fresh.by_item[NEW].free, fresh.oldest_s, fresh.read_again, reads) == (2, 29.0, 0, [])
    now[0] = 31.0  # no event for longer than the bound: the back office is asked
    stale = await view.figures("/retail/stock", [NEW])
    truth = backoffice.state.store.stock.free(NEW)
    assert (stale.by_item[NEW].free, stale.read_again, reads) == (truth, 1, ["/retail/stock"])
    assert stale.by_item[NEW].source == "read" and stale.oldest_s == 0.0
    await client.aclose()


def signed(secret: str, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    content = json.dumps(body).encode()
    headers = {"content-type": "application/json", "X-Stock-Signature": signature(secret, content)}
    return content, headers


async def test_the_back_office_signature_opens_the_webhook(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    content, headers = signed(runtime.settings.stock_webhook_secret, {**event(9, 1), "free": 1})
    response = await client.post("/api/stock/events", content=content, headers=headers)
    assert response.status_code == 200 and response.json() == {"taken": True}
    assert runtime.stock.events_heard == 1
    again = await client.post("/api/stock/events", content=content, headers=headers)
    assert again.json() == {"taken": True}  # the same seq again: kept (not older)
    older, headers = signed(runtime.settings.stock_webhook_secret, {**event(8, 5), "free": 5})
    late = await client.post("/api/stock/events", content=older, headers=headers)
    assert late.json() == {"taken": False}


async def test_anyone_else_is_refused_by_the_webhook(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    content, good = signed(runtime.settings.stock_webhook_secret, {**event(9, 1), "free": 1})
    _, forged = signed("not-the-secret", {**event(9, 1), "free": 1})
    for headers in ({"content-type": "application/json"}, forged):
        response = await client.post("/api/stock/events", content=content, headers=headers)
        assert response.status_code == 403, headers
        assert response.headers["content-type"].startswith("application/problem+json")
    tampered = content.replace(b'"free": 1', b'"free": 9')
    response = await client.post("/api/stock/events", content=tampered, headers=good)
    assert response.status_code == 403
    assert (await client.get("/api/stock/events")).status_code == 405
    assert runtime.stock.events_heard == 0


async def test_a_signed_body_that_is_no_stock_event_is_a_422(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    content, headers = signed(runtime.settings.stock_webhook_secret, {"item_id": NEW})
    response = await client.post("/api/stock/events", content=content, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_webhook_secret_is_generated_and_kept(tmp_path: Any) -> None:
    from warmline.settings import get_settings

    url = f"sqlite+aiosqlite:///{tmp_path}/w.db"
    first = get_settings(database_url=url, environment="test").stock_webhook_secret
    second = get_settings(database_url=url, environment="test").stock_webhook_secret
    assert len(first) >= 32 and first == second
    assert (tmp_path / "stock_webhook_secret").read_text().strip() == first
