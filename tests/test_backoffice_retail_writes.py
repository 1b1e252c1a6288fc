"""Retail writes of the reference back office: tau-bench's effect, the rules, dry runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from warmline.demo.backoffice import create_app
from warmline.demo.backoffice.payments import payment_label
from warmline.demo.backoffice.taubench_tools import tool_request

PENDING = "%23W5918442"  # sofia_rossi_8776: Perfume, Skateboard, 2 Action Cameras; Mastercard 3357
PERFUME, OTHER_PERFUME, SOLD_OUT_PERFUME = "1725100896", "9007697085", "1002370030"
SKATEBOARD = "5312063289"
CARD = "credit_card_5051208"
GIFT_PAYER = "%23W1080318"  # omar_kim_3528, 53.43 paid by credit_card_3577130
GIFT_CARD = "gift_card_3749819"  # balance 91
POOR = "%23W2443586"  # aarav_nguyen_7344, 591.95 by PayPal; gift_card_2742113 holds 22
DELIVERED = "%23W4817420"  # ava_moore_2033, delivered


@pytest.fixture
def app() -> FastAPI:
    return create_app()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backoffice") as c:
        yield c


def items_body(old: list[str], new: list[str], pay: str = CARD) -> dict[str, Any]:
    return {"item_ids": old, "new_item_ids": new, "payment_method_id": pay}


async def refused(response: httpx.Response, rule: str) -> str:
    assert response.status_code == 409, response.text
    assert response.json()["rule"] == rule
    reason: str = response.json()["reason"]
    return reason


async def test_modify_items_swaps_options_charges_and_locks_the_order(
    client: httpx.AsyncClient,
) -> None:
    url = f"/retail/orders/{PENDING}/items"
    response = await client.post(url, json=items_body([PERFUME], [OTHER_PERFUME]))
    assert response.status_code == 200, response.text
    order = response.json()
    assert order["status"] == "pending (item modified)"
    perfume = next(i for i in order["items"] if i["name"] == "Perfume")
    assert perfume["item_id"] == OTHER_PERFUME and perfume["price"] == 318.96
    assert order["payment_history"][-1] == {
        "transaction_type": "payment",
        "amount": pytest.approx(318.96 - 289.66),
        "payment_method_id": CARD,
    }
    summary = order["summary"]
    assert summary["price_difference"] == 29.3
    assert summary["payment"] == {"payment_method_id": CARD, "label": "Mastercard ending 3357"}
    assert summary["items"][0]["old"]["item_id"] == PERFUME
    assert summary["items"][0]["new"]["options"] == perfume["options"]
    again = await client.post(url, json=items_body([SKATEBOARD], ["6843647669"]))
    reason = await refused(again, "order_not_pending")
    assert "already changed once" in reason


async def test_modify_items_rules(client: httpx.AsyncClient) -> None:
    url = f"/retail/orders/{PENDING}/items"
    other_product = await client.post(url, json=items_body([PERFUME], ["6843647669"]))
    assert "same product" in await refused(other_product, "product_mismatch")
    sold_out = await client.post(url, json=items_body([PERFUME], [SOLD_OUT_PERFUME]))
    await refused(sold_out, "item_unavailable")
    missing = await client.post(url, json=items_body(["0000000000"], [OTHER_PERFUME]))
    await refused(missing, "item_not_in_order")
    stranger = await client.post(url, json=items_body([PERFUME], [OTHER_PERFUME], GIFT_CARD))
    await refused(stranger, "payment_method_unknown")
    delivered = await client.post(
        f"/retail/orders/{DELIVERED}/items", json=items_body(["6777246137"], ["6777246137"])
    )
    assert "return or exchange" in await refused(delivered, "order_not_pending")
    assert (await client.get(f"/retail/orders/{PENDING}")).json()["status"] == "pending"


async def test_gift_card_pays_item_difference_down(client: httpx.AsyncClient) -> None:
    order = (await client.get(f"/retail/orders/{GIFT_PAYER}")).json()
    item = order["items"][0]
    options = (await client.get(f"/retail/orders/{GIFT_PAYER}/options")).json()
    variants = options["items"][0]["variants"]
    cheaper = [v for v in variants if v["available"] and v["price"] < item["price"]]
    assert cheaper, "the test needs a cheaper option"
    body = items_body([item["item_id"]], [cheaper[0]["item_id"]], GIFT_CARD)
    response = await client.post(f"/retail/orders/{GIFT_PAYER}/items", json=body)
    assert response.status_code == 200, response.text
    refund = round(item["price"] - cheaper[0]["price"], 2)
    assert response.json()["payment_history"][-1]["transaction_type"] == "refund"
    card = (await client.get("/retail/users/omar_kim_3528")).json()["payment_methods"][GIFT_CARD]
    assert card["balance"] == round(91 + refund, 2)


async def test_options_lists_every_variant_of_each_item(client: httpx.AsyncClient) -> None:
    options = (await client.get(f"/retail/orders/{PENDING}/options")).json()
    perfume = options["items"][0]
    assert perfume["item_id"] == PERFUME and perfume["name"] == "Perfume"
    by_id = {v["item_id"]: v for v in perfume["variants"]}
    assert by_id[OTHER_PERFUME]["available"] and by_id[OTHER_PERFUME]["price"] == 318.96
    assert not by_id[SOLD_OUT_PERFUME]["available"] and by_id[PERFUME]["current"]
    products = (await client.get("/retail/products")).json()["products"]
    assert products["Perfume"] == "6858788497"


async def test_payment_change_pays_new_and_refunds_old(client: httpx.AsyncClient) -> None:
    url = f"/retail/orders/{GIFT_PAYER}/payment"
    response = await client.post(url, json={"payment_method_id": GIFT_CARD})
    assert response.status_code == 200, response.text
    order = response.json()
    assert order["payment_history"][-2:] == [
        {"transaction_type": "payment", "amount": 53.43, "payment_method_id": GIFT_CARD},
        {"transaction_type": "refund", "amount": 53.43, "payment_method_id": "credit_card_3577130"},
    ]
    assert order["status"] == "pending"
    assert order["summary"]["to"]["label"] == "gift card"
    assert order["summary"]["from"]["label"] == "Mastercard ending 9843"
    card = (await client.get("/retail/users/omar_kim_3528")).json()["payment_methods"][GIFT_CARD]
    assert card["balance"] == round(91 - 53.43, 2)


async def test_payment_change_rules(client: httpx.AsyncClient, app: FastAPI) -> None:
    same = await client.post(f"/retail/orders/{PENDING}/payment", json={"payment_method_id": CARD})
    await refused(same, "same_payment_method")
    short = await client.post(
        f"/retail/orders/{POOR}/payment", json={"payment_method_id": "gift_card_2742113"}
    )
    assert "$22.00" in await refused(short, "insufficient_balance")
    app.state.store.order("#W1080318")["payment_history"].append(
        {"transaction_type": "payment", "amount": 1.0, "payment_method_id": GIFT_CARD}
    )
    split = await client.post(
        f"/retail/orders/{GIFT_PAYER}/payment", json={"payment_method_id": GIFT_CARD}
    )
    await refused(split, "payment_not_single")


async def test_cancel_refunds_every_payment_like_tau_bench(client: httpx.AsyncClient) -> None:
    await client.post(f"/retail/orders/{PENDING}/cancel", json={"reason": "no longer needed"})
    response = await client.post(
        f"/retail/orders/{PENDING}/cancel", json={"reason": "no longer needed"}
    )
    assert "cancelled" in await refused(response, "order_not_pending")
    order = (await client.get(f"/retail/orders/{PENDING}")).json()
    assert order["payment_history"][-1] == {
        "transaction_type": "refund",
        "amount": 1463.7,
        "payment_method_id": CARD,
    }
    assert order["cancel_reason"] == "no longer needed" and "summary" not in order


async def test_dry_run_answers_the_same_and_changes_nothing(client: httpx.AsyncClient) -> None:
    url = f"/retail/orders/{PENDING}/items"
    before = (await client.get(f"/retail/orders/{PENDING}")).json()
    dry = await client.post(
        url, params={"dry_run": "true"}, json=items_body([PERFUME], [OTHER_PERFUME])
    )
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert (await client.get(f"/retail/orders/{PENDING}")).json() == before
    refused_dry = await client.post(
        url, params={"dry_run": "true"}, json=items_body([PERFUME], [SOLD_OUT_PERFUME])
    )
    await refused(refused_dry, "item_unavailable")
    real = await client.post(url, json=items_body([PERFUME], [OTHER_PERFUME]))
    assert {**real.json(), "dry_run": True} == dry.json()


async def test_dry_run_then_write_under_one_idempotency_key(client: httpx.AsyncClient) -> None:
    url = f"/retail/orders/{GIFT_PAYER}/payment"
    headers = {"Idempotency-Key": "pay-once"}
    body = {"payment_method_id": GIFT_CARD}
    dry = await client.post(url, params={"dry_run": "true"}, json=body, headers=headers)
    assert dry.json()["dry_run"] is True
    real = await client.post(url, json=body, headers=headers)
    assert "dry_run" not in real.json() and "idempotent-replayed" not in real.headers
    replay = await client.post(url, json=body, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true" and replay.json() == real.json()
    history = (await client.get(f"/retail/orders/{GIFT_PAYER}")).json()["payment_history"]
    assert len(history) == 3


async def test_return_summary_and_refund_destination(client: httpx.AsyncClient) -> None:
    body = {"item_ids": ["6777246137"], "payment_method_id": "gift_card_8168843"}
    response = await client.post(f"/retail/orders/{DELIVERED}/return", json=body)
    summary = response.json()["summary"]
    assert summary["items"][0]["name"] == "Water Bottle"
    assert summary["refund_total"] == summary["items"][0]["price"]
    assert summary["refund_to"] == {"payment_method_id": "gift_card_8168843", "label": "gift card"}
    pending = await client.post(
        f"/retail/orders/{PENDING}/return", json={**body, "item_ids": [PERFUME]}
    )
    assert "cancel it or change its items" in await refused(pending, "order_not_delivered")


def test_payment_labels() -> None:
    assert payment_label({"source": "credit_card", "brand": "visa", "last_four": "7447"}) == (
        "Visa ending 7447"
    )
    assert payment_label({"source": "paypal"}) == "PayPal"
    assert payment_label({"source": "gift_card", "balance": 3}) == "gift card"
    assert payment_label({"source": "certificate", "amount": 100}) == "travel certificate"
    assert payment_label(None, "credit_card_1") == "credit_card_1"


def test_tool_request_maps_every_retail_tool() -> None:
    order = {"order_id": "#W5918442"}
    assert tool_request("retail", "think", {"thought": "x"}) is None
    assert tool_request("retail", "get_order_details", order) == (
        "GET",
        "/retail/orders/%23W5918442",
        None,
    )
    method, path, body = tool_request(
        "retail", "modify_pending_order_payment", {**order, "payment_method_id": CARD}
    ) or ("", "", None)
    assert (method, path, body) == (
        "POST",
        "/retail/orders/%23W5918442/payment",
        {"payment_method_id": CARD},
    )
    assert tool_request("retail", "find_user_id_by_email", {"email": "a@b.c"}) == (
        "GET",
        "/retail/users?email=a%40b.c",
        None,
    )
    with pytest.raises(KeyError):
        tool_request("retail", "no_such_tool", {})


async def test_user_orders_lists_each_order_with_its_status_and_item_names(
    client: httpx.AsyncClient,
) -> None:
    listed = (await client.get("/retail/users/sofia_rossi_8776/orders")).json()
    pending = next(o for o in listed["orders"] if o["order_id"] == "#W5918442")
    assert pending["status"] == "pending"
    assert sorted(pending["items"]) == ["Action Camera", "Action Camera", "Perfume", "Skateboard"]
    user = (await client.get("/retail/users/sofia_rossi_8776")).json()
    assert [o["order_id"] for o in listed["orders"]] == user["orders"]
    unknown = await client.get("/retail/users/nobody_0000/orders")
    assert unknown.status_code == 404


TWO_BOTTLES = "%23W3977493"  # sophia_jackson_7119, delivered: 2 Water Bottles among 5 items
BOTTLE, BOTTLE_CARD = "7533802601", "credit_card_6748580"
TWO_BACKPACKS = "%23W9093821"  # harper_kovacs_8617, pending: 2 Backpacks among 5 items
BACKPACK, BACKPACK_CARD = "3557711149", "credit_card_7422485"


async def test_return_takes_an_item_the_order_holds_twice_once_per_copy(
    client: httpx.AsyncClient,
) -> None:
    body = {"item_ids": [BOTTLE, BOTTLE], "payment_method_id": BOTTLE_CARD}
    headers = {"Idempotency-Key": "two-bottles"}
    url = f"/retail/orders/{TWO_BOTTLES}/return"
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code == 200, response.text
    order = response.json()
    assert order["return_items"] == [BOTTLE, BOTTLE]
    summary = order["summary"]
    assert [i["item_id"] for i in summary["items"]] == [BOTTLE, BOTTLE]
    assert summary["refund_total"] == 97.18
    replay = await client.post(url, json=body, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true" and replay.json() == order
    stored = (await client.get(f"/retail/orders/{TWO_BOTTLES}")).json()
    assert stored["return_items"] == [BOTTLE, BOTTLE]


async def test_more_copies_than_the_order_holds_are_refused_and_nothing_changes(
    client: httpx.AsyncClient,
) -> None:
    before = (await client.get(f"/retail/orders/{TWO_BOTTLES}")).json()
    body = {"item_ids": [BOTTLE] * 3, "payment_method_id": BOTTLE_CARD}
    url = f"/retail/orders/{TWO_BOTTLES}/return"
    dry = await client.post(url, params={"dry_run": "true"}, json=body)
    reason = await refused(dry, "item_not_in_order")
    assert "holds 2 copies of the Water Bottle" in reason and "not 3" in reason
    assert await refused(await client.post(url, json=body), "item_not_in_order") == reason
    assert (await client.get(f"/retail/orders/{TWO_BOTTLES}")).json() == before
    once = {"item_ids": ["2216662955"] * 2, "payment_method_id": BOTTLE_CARD}
    assert "holds 1 copy of the Laptop" in await refused(
        await client.post(url, json=once), "item_not_in_order"
    )
    unknown = {"item_ids": ["0000000000"], "payment_method_id": BOTTLE_CARD}
    assert "does not contain item 0000000000" in await refused(
        await client.post(url, json=unknown), "item_not_in_order"
    )


async def test_both_copies_of_a_pending_item_change_and_a_third_is_refused(
    client: httpx.AsyncClient,
) -> None:
    url = f"/retail/orders/{TWO_BACKPACKS}/items"
    options = (await client.get(f"/retail/orders/{TWO_BACKPACKS}/options")).json()
    backpack = next(i for i in options["items"] if i["item_id"] == BACKPACK)
    other = next(v["item_id"] for v in backpack["variants"] if v["available"] and not v["current"])
    three = items_body([BACKPACK] * 3, [other] * 3, BACKPACK_CARD)
    assert "not 3" in await refused(await client.post(url, json=three), "item_not_in_order")
    response = await client.post(url, json=items_body([BACKPACK] * 2, [other] * 2, BACKPACK_CARD))
    assert response.status_code == 200, response.text
    ids = [i["item_id"] for i in response.json()["items"]]
    assert ids.count(other) == 2 and BACKPACK not in ids
