"""The reference back office, in-process through httpx.ASGITransport (no network)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from warmline.demo.backoffice import BackOfficeConfig, create_app

# Real ids from the shipped tau-bench data (clock: 2024-05-15 15:00 EST).
BUSINESS = "4WQ150"  # chen_jackson_3290, business, 3 passengers, paid with gift_card_3576581
BASIC_NO_COVER = "T1QOBS"  # harper_lopez_1489, basic economy, no insurance, booked 2024-05-09
INSURED_ECONOMY = "CDXEBS"  # harper_garcia_8677, economy with insurance
BOOKED_YESTERDAY = "UB8QZ1"  # mohamed_taylor_9830, basic economy booked 2024-05-14 18:17
AIRLINE_CANCELLED = "JN75RZ"  # harper_garcia_8677, basic economy, HAT162 on 05-14 cancelled
FLOWN = "DLCYQ9"  # ivan_brown_5554, a segment already landed
PENDING_ORDER = "#W5918442"  # sofia_rossi_8776
DELIVERED_ORDER = "#W4817420"  # ava_moore_2033, Water Bottle 6777246137, paid gift_card_8168843


@pytest.fixture
def app() -> FastAPI:
    return create_app()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backoffice") as c:
        yield c


async def cancel(client: httpx.AsyncClient, rid: str, reason: str, **extra: str) -> httpx.Response:
    return await client.post(
        f"/airline/reservations/{rid}/cancel", json={"reason": reason, **extra}
    )


# --- reads ---------------------------------------------------------------------------------


async def test_airline_reads(client: httpx.AsyncClient) -> None:
    user = (await client.get("/airline/users/chen_jackson_3290")).json()
    assert user["user_id"] == "chen_jackson_3290"
    assert BUSINESS in user["reservations"]
    res = (await client.get(f"/airline/reservations/{BUSINESS}")).json()
    assert res["cabin"] == "business" and res["status"] == "active"
    day = (await client.get("/airline/flights/HAT170", params={"date": "2024-05-22"})).json()
    assert day["status"] == "available" and day["date"] == "2024-05-22"
    found = await client.get(
        "/airline/flights", params={"origin": "JFK", "destination": "SFO", "date": "2024-05-20"}
    )
    assert found.status_code == 200
    assert all(f["status"] == "available" for f in found.json()["flights"])
    assert found.json()["flights"]


async def test_retail_reads_accept_order_ids_with_or_without_hash(
    client: httpx.AsyncClient,
) -> None:
    encoded = await client.get("/retail/orders/%23W5918442")
    bare = await client.get("/retail/orders/W5918442")
    assert encoded.status_code == bare.status_code == 200
    assert encoded.json()["order_id"] == bare.json()["order_id"] == PENDING_ORDER
    product = (await client.get("/retail/products/8310926033")).json()
    assert product["name"] == "Water Bottle"
    found = await client.get("/retail/users", params={"email": "ava.moore6020@example.com"})
    assert found.json() == {"user_id": "ava_moore_2033"}


async def test_unknown_ids_are_404_with_a_reason(client: httpx.AsyncClient) -> None:
    for path in ("/airline/reservations/ZZZZZZ", "/retail/orders/W0000000", "/airline/users/x"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert response.json()["reason"]


async def test_bad_body_is_422_with_a_reason(client: httpx.AsyncClient) -> None:
    response = await cancel(client, BUSINESS, "because")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert "reason" in response.json()["reason"]


# --- airline cancellation rules --------------------------------------------------------------


async def test_business_reservation_can_be_cancelled_and_is_refunded(
    client: httpx.AsyncClient,
) -> None:
    response = await cancel(client, BUSINESS, "change_of_plan")
    assert response.status_code == 200
    res = response.json()
    assert res["status"] == "cancelled"
    assert res["cancellation"]["basis"] == "business_cabin"
    assert res["payment_history"][-1] == {"payment_id": "gift_card_3576581", "amount": -4986}
    again = await cancel(client, BUSINESS, "change_of_plan")
    assert again.status_code == 409 and again.json()["rule"] == "already_cancelled"


async def test_basic_economy_without_insurance_cannot_be_cancelled(
    client: httpx.AsyncClient,
) -> None:
    response = await cancel(client, BASIC_NO_COVER, "change_of_plan")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "rule_violation"
    assert body["rule"] == "cancellation_not_eligible"
    assert "24 hours" in body["reason"]
    res = (await client.get(f"/airline/reservations/{BASIC_NO_COVER}")).json()
    assert res["status"] == "active" and len(res["payment_history"]) == 1


async def test_within_24_hours_any_cabin_can_be_cancelled(client: httpx.AsyncClient) -> None:
    response = await cancel(client, BOOKED_YESTERDAY, "change_of_plan")
    assert response.status_code == 200
    assert response.json()["cancellation"]["basis"] == "within_24h"


async def test_insurance_covers_health_or_weather_only(client: httpx.AsyncClient) -> None:
    refused = await cancel(client, INSURED_ECONOMY, "change_of_plan")
    assert refused.status_code == 409
    assert refused.json()["rule"] == "insurance_cause_not_covered"
    allowed = await cancel(client, INSURED_ECONOMY, "other", cause="health")
    assert allowed.status_code == 200
    assert allowed.json()["cancellation"]["basis"] == "insurance_covered"


async def test_airline_cancellation_is_checked_against_flight_data(
    client: httpx.AsyncClient,
) -> None:
    claimed = await cancel(client, BASIC_NO_COVER, "airline_cancelled_flight")
    assert claimed.json()["rule"] == "airline_cancellation_not_found"
    real = await cancel(client, AIRLINE_CANCELLED, "airline_cancelled_flight")
    assert real.status_code == 200
    assert real.json()["cancellation"]["basis"] == "airline_cancelled_flight"


async def test_flown_trip_cannot_be_cancelled(client: httpx.AsyncClient) -> None:
    response = await cancel(client, FLOWN, "change_of_plan")
    assert response.status_code == 409 and response.json()["rule"] == "segment_flown"


async def test_eligibility_dry_run_changes_nothing(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{BASIC_NO_COVER}/cancellation"
    assert (await client.get(url)).json()["eligible"] is False
    url = f"/airline/reservations/{BUSINESS}/cancellation"
    assert (await client.get(url)).json() == {
        "eligible": True,
        "rule": "business_cabin",
        "reason": "The reservation can be cancelled.",
    }
    assert (await client.get(f"/airline/reservations/{BUSINESS}")).json()["status"] == "active"


# --- other airline writes ------------------------------------------------------------------


async def test_bags_can_be_added_but_not_removed(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{BUSINESS}/baggages"
    fewer = await client.post(url, json={"total_baggages": 4})
    assert fewer.status_code == 409
    assert fewer.json()["rule"] == "baggage_removal"
    assert "not removed" in fewer.json()["reason"]
    url = f"/airline/reservations/{BASIC_NO_COVER}/baggages"  # regular member: 0 free bags
    added = await client.post(url, json={"total_baggages": 1, "payment_id": "credit_card_9875103"})
    assert added.status_code == 200
    res = added.json()
    assert (res["total_baggages"], res["nonfree_baggages"]) == (1, 1)
    assert res["payment_history"][-1] == {"payment_id": "credit_card_9875103", "amount": 50}
    unpaid = await client.post(url, json={"total_baggages": 2})
    assert unpaid.json()["rule"] == "payment_required"


async def test_cabin_change_charges_or_refunds_the_difference(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{BASIC_NO_COVER}/cabin"
    upgraded = await client.post(
        url, json={"cabin": "economy", "payment_id": "credit_card_9875103"}
    )
    assert upgraded.status_code == 200
    assert upgraded.json()["cabin"] == "economy"
    assert upgraded.json()["payment_history"][-1]["amount"] == (119 - 70) * 4
    same = await client.post(url, json={"cabin": "economy", "payment_id": "credit_card_9875103"})
    assert same.json()["rule"] == "same_cabin"


async def test_passenger_count_cannot_change(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{BUSINESS}/passengers"
    one = [{"first_name": "Chen", "last_name": "Jackson", "dob": "1956-07-07"}]
    response = await client.put(url, json={"passengers": one})
    assert response.status_code == 409 and response.json()["rule"] == "passenger_count"
    three = [
        *one,
        {"first_name": "Raj", "last_name": "Smith", "dob": "1967-04-01"},
        {"first_name": "Fatima", "last_name": "Khan", "dob": "1970-01-20"},
    ]
    response = await client.put(url, json={"passengers": three})
    assert response.status_code == 200
    assert response.json()["passengers"][2]["last_name"] == "Khan"


# --- idempotency, switches, reset ----------------------------------------------------------


async def test_idempotency_key_replays_and_applies_once(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{BASIC_NO_COVER}/baggages"
    body = {"total_baggages": 1, "payment_id": "credit_card_9875103"}
    headers = {"Idempotency-Key": "bags-1"}
    first = await client.post(url, json=body, headers=headers)
    second = await client.post(url, json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    res = (await client.get(f"/airline/reservations/{BASIC_NO_COVER}")).json()
    assert [p["amount"] for p in res["payment_history"]] == [280, 50]
    reused = await client.post(url, json={**body, "total_baggages": 2}, headers=headers)
    assert reused.status_code == 422 and reused.json()["rule"] == "idempotency_key_reused"


async def test_concurrent_requests_with_one_key_apply_once(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/switches", json={"latency_ms": 20})
    headers = {"Idempotency-Key": "cancel-twice"}
    url = f"/airline/reservations/{BUSINESS}/cancel"
    first, second = await asyncio.gather(
        client.post(url, json={"reason": "other"}, headers=headers),
        client.post(url, json={"reason": "other"}, headers=headers),
    )
    assert first.status_code == second.status_code == 200
    res = (await client.get(f"/airline/reservations/{BUSINESS}")).json()
    assert [p["amount"] for p in res["payment_history"]] == [4986, -4986]


async def test_outage_answers_503_except_admin(client: httpx.AsyncClient) -> None:
    switched = await client.put("/_admin/switches", json={"outage": True})
    assert switched.json()["outage"] is True
    assert (await client.get(f"/airline/reservations/{BUSINESS}")).status_code == 503
    assert (await client.get("/_health")).status_code == 503
    assert (await client.get("/_admin/switches")).status_code == 200
    await client.put("/_admin/switches", json={"outage": False})
    assert (await client.get(f"/airline/reservations/{BUSINESS}")).status_code == 200


async def test_latency_and_error_rate_switches(client: httpx.AsyncClient) -> None:
    await client.put("/_admin/switches", json={"latency_ms": 150})
    started = time.perf_counter()
    assert (await client.get("/retail/products/8310926033")).status_code == 200
    assert time.perf_counter() - started >= 0.14
    await client.put("/_admin/switches", json={"error_rate": 1.0})
    assert (await client.get("/retail/products/8310926033")).status_code == 500
    bad = await client.put("/_admin/switches", json={"error_rate": 2})
    assert bad.status_code == 422


async def test_switches_from_config() -> None:
    app = create_app(BackOfficeConfig(outage=True))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bo") as c:
        assert (await c.get("/retail/products/8310926033")).status_code == 503
        assert (await c.get("/_admin/switches")).json()["outage"] is True


async def test_reset_restores_data_and_forgets_keys(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "cancel-1"}
    url = f"/airline/reservations/{BUSINESS}/cancel"
    assert (await client.post(url, json={"reason": "other"}, headers=headers)).status_code == 200
    assert (await client.post("/_admin/reset")).status_code == 200
    res = (await client.get(f"/airline/reservations/{BUSINESS}")).json()
    assert res["status"] == "active" and len(res["payment_history"]) == 1
    again = await client.post(url, json={"reason": "other"}, headers=headers)
    assert again.status_code == 200 and "idempotent-replayed" not in again.headers


async def test_apps_do_not_share_state(client: httpx.AsyncClient) -> None:
    assert (await cancel(client, BUSINESS, "other")).status_code == 200
    other = create_app()
    transport = httpx.ASGITransport(app=other)
    async with httpx.AsyncClient(transport=transport, base_url="http://bo") as c:
        assert (await c.get(f"/airline/reservations/{BUSINESS}")).json()["status"] == "active"


# --- retail rules --------------------------------------------------------------------------


async def test_retail_cancel_pending_but_not_delivered(client: httpx.AsyncClient) -> None:
    ok = await client.post("/retail/orders/%23W5918442/cancel", json={"reason": "no longer needed"})
    assert ok.status_code == 200
    order = ok.json()
    assert order["status"] == "cancelled"
    assert order["payment_history"][-1]["transaction_type"] == "refund"
    refused = await client.post(
        "/retail/orders/W4817420/cancel", json={"reason": "ordered by mistake"}
    )
    assert refused.status_code == 409
    assert refused.json()["rule"] == "order_not_pending"
    assert "delivered" in refused.json()["reason"]


async def test_retail_return_and_exchange_of_a_delivered_order(
    client: httpx.AsyncClient,
) -> None:
    base = "/retail/orders/W4817420"
    wrong = await client.post(
        f"{base}/exchange",
        json={
            "item_ids": ["6777246137"],
            "new_item_ids": ["1434748144"],
            "payment_method_id": "gift_card_8168843",
        },
    )
    assert wrong.status_code == 409 and wrong.json()["rule"] == "item_unavailable"
    ok = await client.post(
        f"{base}/exchange",
        json={
            "item_ids": ["6777246137"],
            "new_item_ids": ["4579334072"],
            "payment_method_id": "gift_card_8168843",
        },
    )
    assert ok.status_code == 200 and ok.json()["status"] == "exchange requested"
    late = await client.post(
        f"{base}/return", json={"item_ids": ["6777246137"], "payment_method_id": "x"}
    )
    assert late.json()["rule"] == "order_not_delivered"


async def test_retail_addresses(client: httpx.AsyncClient) -> None:
    address = {
        "address1": "1 Main St",
        "city": "Austin",
        "state": "TX",
        "country": "USA",
        "zip": "78701",
    }
    ok = await client.put("/retail/orders/W5918442/address", json=address)
    assert ok.status_code == 200 and ok.json()["address"]["zip"] == "78701"
    refused = await client.put("/retail/orders/W4817420/address", json=address)
    assert refused.json()["rule"] == "order_not_pending"
    user = await client.put("/retail/users/ava_moore_2033/address", json=address)
    assert user.json()["address"]["address1"] == "1 Main St"
