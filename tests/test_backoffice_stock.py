"""The reference back office's stock and holds: counts from the data, holds all or none, a
write converting its hold or taking from what is free, dry runs changing nothing, holds
lapsing, and every change told as a signed event."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from warmline.demo.backoffice.app import BackOfficeConfig, create_app
from warmline.demo.backoffice.stock import StockBook, initial_units
from warmline.demo.backoffice.stock_events import signature
from warmline.demo.backoffice.store import RuleViolation, shipped_table

# emma_smith_8564's delivered order #W5605613 holds a Digital Camera, item 7195021808
ORDER, OLD, NEW, PAYPAL = "W5605613", "7195021808", "6384525445", "paypal_6228291"
EXCHANGE = {"item_ids": [OLD], "new_item_ids": [NEW], "payment_method_id": PAYPAL}


@pytest.fixture
async def bo() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://backoffice.test"
    ) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


async def figure(bo: httpx.AsyncClient, item_id: str = NEW) -> dict[str, Any]:
    response = await bo.get(f"/retail/stock/{item_id}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_every_variant_starts_with_a_count_from_the_data() -> None:
    book = StockBook()
    for product in shipped_table("retail", "products").values():
        for item_id, variant in product["variants"].items():
            free = book.free(item_id)
            assert free == initial_units(item_id, variant["available"])
            assert (3 <= free <= 22) if variant["available"] else free == 0
    assert StockBook().free(NEW) == book.free(NEW)  # the same every run


async def test_a_hold_sets_units_aside_and_the_last_one_cannot_be_held_twice(
    bo: httpx.AsyncClient,
) -> None:
    await bo.put(f"/_admin/stock/{NEW}", json={"stock": 1})
    first = await bo.post("/retail/holds", json={"item_ids": [NEW], "ttl_s": 60})
    assert first.status_code == 201 and first.json()["item_ids"] == [NEW]
    held = await figure(bo)
    assert (held["product_id"], held["stock"], held["held"], held["free"]) == (
        "8940227892",
        1,
        1,
        0,
    )
    second = await bo.post("/retail/holds", json={"item_ids": [NEW]})
    assert second.status_code == 409
    assert second.json()["rule"] == "out_of_stock"
    assert "has just sold out" in second.json()["reason"]


async def test_a_hold_is_all_or_none(bo: httpx.AsyncClient) -> None:
    await bo.put(f"/_admin/stock/{NEW}", json={"stock": 0})
    before = await figure(bo, OLD)
    refused = await bo.post("/retail/holds", json={"item_ids": [OLD, NEW]})
    assert refused.status_code == 409
    assert (await figure(bo, OLD))["held"] == before["held"] == 0


async def test_a_released_hold_frees_its_unit_once(bo: httpx.AsyncClient) -> None:
    await bo.put(f"/_admin/stock/{NEW}", json={"stock": 1})
    hold = (await bo.post("/retail/holds", json={"item_ids": [NEW]})).json()["hold_id"]
    assert (await bo.delete(f"/retail/holds/{hold}")).json() == {
        "hold_id": hold,
        "released": True,
    }
    assert (await bo.delete(f"/retail/holds/{hold}")).json()["released"] is False
    assert (await bo.get(f"/retail/holds/{hold}")).status_code == 404
    assert (await figure(bo))["free"] == 1


async def test_a_hold_placed_twice_with_one_key_holds_once(bo: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "conv-1:7:exchange_items:hold"}
    one = await bo.post("/retail/holds", json={"item_ids": [NEW]}, headers=headers)
    two = await bo.post("/retail/holds", json={"item_ids": [NEW]}, headers=headers)
    assert one.json()["hold_id"] == two.json()["hold_id"]
    assert (await figure(bo))["held"] == 1


async def test_a_replacing_hold_lets_the_earlier_one_go_first(bo: httpx.AsyncClient) -> None:
    await bo.put(f"/_admin/stock/{NEW}", json={"stock": 1})
    first = (await bo.post("/retail/holds", json={"item_ids": [NEW]})).json()["hold_id"]
    again = await bo.post("/retail/holds", json={"item_ids": [NEW], "replaces": first})
    assert again.status_code == 201 and again.json()["hold_id"] != first
    assert (await figure(bo))["held"] == 1


def test_a_hold_lapses_at_its_ttl() -> None:
    now = [100.0]
    book = StockBook(now=lambda: now[0])
    units = book.free(NEW)
    hold = book.place([NEW], ttl_s=30)
    assert book.free(NEW) == units - 1
    now[0] += 31
    assert book.hold(hold.hold_id) is None and book.free(NEW) == units
    book.set_count(NEW, 0)
    with pytest.raises(RuleViolation):  # a write naming it takes only from what is free
        book.take([NEW], hold.hold_id, commit=True)


async def test_the_write_converts_its_hold(bo: httpx.AsyncClient) -> None:
    await bo.put(f"/_admin/stock/{NEW}", json={"stock": 1})
    hold = (await bo.post("/retail/holds", json={"item_ids": [NEW]})).json()["hold_id"]
    dry = await bo.post(f"/retail/orders/{ORDER}/exchange?dry_run=true", json=EXCHANGE)
    assert dry.status_code == 409 and dry.json()["rule"] == "out_of_stock"  # held, not free
    dry = await bo.post(
        f"/retail/orders/{ORDER}/exchange?dry_run=true", json={**EXCHANGE, "hold_id": hold}
    )
    assert dry.status_code == 200 and (await figure(bo))["held"] == 1  # a dry run: nothing
    done = await bo.post(f"/retail/orders/{ORDER}/exchange", json={**EXCHANGE, "hold_id": hold})
    assert done.status_code == 200 and done.json()["summary"]["units_from"] == "hold"
    after = await figure(bo)
    assert (after["stock"], after["held"], after["free"]) == (0, 0, 0)
    assert (await bo.get(f"/retail/holds/{hold}")).status_code == 404
    assert bo.app.state.store.stock.oversold == 0  # type: ignore[attr-defined]


async def test_a_write_without_a_hold_takes_only_what_is_free(bo: httpx.AsyncClient) -> None:
    await bo.put(f"/_admin/stock/{NEW}", json={"stock": 0})
    refused = await bo.post(f"/retail/orders/{ORDER}/exchange", json=EXCHANGE)
    assert refused.status_code == 409 and refused.json()["rule"] == "out_of_stock"
    order = (await bo.get(f"/retail/orders/{ORDER}")).json()
    assert order["status"] == "delivered"  # refused before anything changed
    await bo.put(f"/_admin/stock/{NEW}", json={"stock": 2})
    done = await bo.post(f"/retail/orders/{ORDER}/exchange", json={**EXCHANGE, "hold_id": ""})
    assert done.json()["summary"]["units_from"] == "free"
    assert (await figure(bo))["stock"] == 1


async def test_the_options_say_how_many_units_are_free(bo: httpx.AsyncClient) -> None:
    await bo.put(f"/_admin/stock/{NEW}", json={"stock": 2})
    await bo.post("/retail/holds", json={"item_ids": [NEW]})
    options = (await bo.get(f"/retail/orders/{ORDER}/options")).json()
    variants = {v["item_id"]: v for v in options["items"][0]["variants"]}
    assert variants[NEW]["stock"] == 1 and variants[NEW]["available"] is True


@pytest.mark.parametrize(
    "body",
    [{"item_ids": []}, {"item_ids": [NEW], "ttl_s": 0}, {"item_ids": [NEW], "ttl_s": 7200}],
)
async def test_a_malformed_hold_is_a_422(bo: httpx.AsyncClient, body: dict[str, Any]) -> None:
    assert (await bo.post("/retail/holds", json=body)).status_code == 422


async def test_an_unknown_variant_is_a_404(bo: httpx.AsyncClient) -> None:
    assert (await bo.post("/retail/holds", json={"item_ids": ["nope"]})).status_code == 404
    assert (await bo.get("/retail/stock", params={"item_ids": "nope"})).status_code == 404


async def test_every_change_is_posted_signed_to_the_webhooks() -> None:
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200, json={"taken": True})

    config = BackOfficeConfig(webhook_urls=["http://warmline.test/hook"], webhook_secret="s3cret")
    app = create_app(config, webhook_transport=httpx.MockTransport(receiver))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://backoffice.test"
    ) as bo:
        await bo.put(f"/_admin/stock/{NEW}", json={"stock": 4})
        await bo.post("/retail/holds", json={"item_ids": [NEW]})
        await app.state.stock_events.drain()
    events = [json.loads(r.content) for r in received]
    assert [(e["item_id"], e["stock"], e["held"], e["free"]) for e in events] == [
        (NEW, 4, 0, 4),
        (NEW, 4, 1, 3),
    ]
    assert events[0]["seq"] < events[1]["seq"]
    for request in received:
        assert request.headers["X-Stock-Signature"] == signature("s3cret", request.content)
