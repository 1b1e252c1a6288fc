"""Airline back office: a customer's reservation list and bookings paid by ``payment_ids``
(the back office splits the total within the policy's limits).

Hand-built cases from the shipped data (clock 2024-05-15 15:00 EST).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from warmline.demo.backoffice import create_app

GOLD = "mia_li_3668"  # gold; certificate_7504069 (250), certificate_4856383 (100), two Visas
CERT_250 = "certificate_7504069"
CERT_100 = "certificate_4856383"
VISA = "credit_card_4421486"  # Visa ending 7447
GIFTS = "lei_rossi_4874"  # gift cards 275, 99, 11; Visa ending 7279; certificates 250, 250


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://backoffice") as c:
        yield c


def booking(payment_ids: list[str], user: str = GOLD, **change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "user_id": user,
        "origin": "DFW",
        "destination": "LAX",
        "flight_type": "one_way",
        "cabin": "economy",
        "flights": [{"flight_number": "HAT170", "date": "2024-05-22"}],
        "passengers": [{"first_name": "Mia", "last_name": "Li", "dob": "1990-04-05"}],
        "payment_ids": payment_ids,
        "total_baggages": 0,
        "nonfree_baggages": 0,
        "insurance": "yes",  # 147 + 30 = 177
    }
    return {**body, **change}


async def test_reservation_list_names_route_trip_cabin_date_and_status(
    client: httpx.AsyncClient,
) -> None:
    cancel = await client.post("/airline/reservations/4WQ150/cancel", json={"reason": "other"})
    assert cancel.status_code == 200, cancel.text  # business: cancellable
    listed = (await client.get("/airline/users/chen_jackson_3290/reservations")).json()
    rows = {r["reservation_id"]: r for r in listed["reservations"]}
    assert list(rows) == ["4WQ150", "DDHPNX", "Y69PCE", "2JV270"]
    assert rows["4WQ150"] == {
        "reservation_id": "4WQ150",
        "origin": "DFW",
        "destination": "LAX",
        "flight_type": "round_trip",
        "cabin": "business",
        "first_date": "2024-05-22",
        "return_date": "2024-05-26",
        "passengers": 3,
        "status": "cancelled",
        "when": "upcoming",
    }
    assert rows["DDHPNX"]["cabin"] == "basic_economy" and rows["DDHPNX"]["status"] == "active"
    # one way: no day back; every flight before the policy's today (2024-05-15): past
    assert rows["Y69PCE"]["return_date"] is None and rows["Y69PCE"]["when"] == "past"
    unknown = await client.get("/airline/users/nobody_0000/reservations")
    assert unknown.status_code == 404


async def test_payment_ids_spend_the_certificate_first_and_the_card_for_the_rest(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/airline/reservations", json=booking([VISA, CERT_100]))
    assert response.status_code == 200, response.text
    res = response.json()
    assert res["payment_history"] == [
        {"payment_id": CERT_100, "amount": 100},
        {"payment_id": VISA, "amount": 77},
    ]
    payments = res["summary"]["payments"]
    assert [(p["label"], p["amount"]) for p in payments] == [
        ("travel certificate", 100),
        ("Visa ending 7447", 77),
    ]
    assert "payment_ids" not in res
    methods = (await client.get(f"/airline/users/{GOLD}")).json()["payment_methods"]
    assert CERT_100 not in methods and CERT_250 in methods


async def test_a_certificate_larger_than_the_total_pays_it_all_and_its_rest_is_lost(
    client: httpx.AsyncClient,
) -> None:
    dry = await client.post("/airline/reservations?dry_run=true", json=booking([CERT_250, VISA]))
    assert dry.status_code == 200, dry.text
    (line,) = dry.json()["summary"]["payments"]
    assert line["payment_id"] == CERT_250 and line["amount"] == 177
    assert line["certificate_left_unused"] == 73
    assert dry.json()["dry_run"] is True
    methods = (await client.get(f"/airline/users/{GOLD}")).json()["payment_methods"]
    assert CERT_250 in methods  # a dry run spends nothing


async def test_gift_cards_pay_down_in_the_order_given_before_the_card(
    client: httpx.AsyncClient,
) -> None:
    body = booking(["credit_card_9623492", "gift_card_5069702", "gift_card_4497666"], GIFTS)
    res = (await client.post("/airline/reservations", json=body)).json()
    assert res["payment_history"] == [
        {"payment_id": "gift_card_5069702", "amount": 11},
        {"payment_id": "gift_card_4497666", "amount": 99},
        {"payment_id": "credit_card_9623492", "amount": 67},
    ]
    methods = (await client.get(f"/airline/users/{GIFTS}")).json()["payment_methods"]
    assert methods["gift_card_5069702"]["amount"] == 0


async def test_payment_ids_are_held_to_the_policy_limits_and_balances(
    client: httpx.AsyncClient,
) -> None:
    two = await client.post(
        "/airline/reservations?dry_run=true", json=booking([CERT_250, CERT_100, VISA])
    )
    assert two.status_code == 409 and two.json()["rule"] == "payment_mix"
    short = await client.post(
        "/airline/reservations?dry_run=true", json=booking(["gift_card_4497666"], GIFTS)
    )
    assert short.status_code == 409 and short.json()["rule"] == "insufficient_balance"
    foreign = await client.post(
        "/airline/reservations?dry_run=true", json=booking(["gift_card_4497666"])
    )
    assert foreign.status_code == 409 and foreign.json()["rule"] == "payment_method_unknown"


async def test_a_booking_names_its_payments_one_way_only(client: httpx.AsyncClient) -> None:
    both = booking([VISA], payment_methods=[{"payment_id": VISA, "amount": 177}])
    assert (await client.post("/airline/reservations", json=both)).status_code == 422
    neither = {k: v for k, v in booking([VISA]).items() if k != "payment_ids"}
    assert (await client.post("/airline/reservations", json=neither)).status_code == 422


DELAYED = "LWTEDF"  # liam_ito_4473, silver, insured economy, HAT002 delayed on 2024-05-15, 1 pax


async def test_a_delay_is_compensated_only_after_the_reservation_is_cancelled(
    client: httpx.AsyncClient,
) -> None:
    url = "/airline/users/liam_ito_4473/certificates"
    ask = {"reservation_id": DELAYED, "flight_number": "HAT002"}
    early = await client.post(url, json=ask)
    assert early.status_code == 409 and early.json()["rule"] == "delay_needs_change"
    flights = (await client.get(f"/airline/reservations/{DELAYED}/disruptions")).json()
    assert flights["flights"][0] == {
        "flight_number": "HAT002",
        "date": "2024-05-15",
        "status": "delayed",
        "on_reservation": True,
    }
    cancel = await client.post(
        f"/airline/reservations/{DELAYED}/cancel", json={"reason": "other", "cause": "weather"}
    )
    assert cancel.status_code == 200, cancel.text
    wrong = await client.post(url, json={**ask, "amount": 100})
    assert wrong.status_code == 409 and wrong.json()["rule"] == "compensation_amount"
    sent = await client.post(url, json=ask)
    assert sent.status_code == 200, sent.text
    assert sent.json()["certificate"] == {
        "source": "certificate",
        "amount": 50,
        "id": "certificate_3221322",
    }


async def test_compensation_checks_the_customer_the_status_and_the_flight(
    client: httpx.AsyncClient,
) -> None:
    other = await client.post(
        "/airline/users/mia_li_3668/certificates",
        json={"reservation_id": DELAYED, "flight_number": "HAT002"},
    )
    assert other.status_code == 409 and other.json()["rule"] == "not_customers_reservation"
    regular = await client.post(
        "/airline/users/harper_garcia_8677/certificates",
        json={"reservation_id": "JN75RZ", "flight_number": "HAT162"},
    )
    assert regular.status_code == 409 and regular.json()["rule"] == "compensation_not_eligible"
    cancelled = await client.post(
        "/airline/users/lei_rossi_4874/certificates?dry_run=true",
        json={"reservation_id": "15EN70", "flight_number": "HAT087"},
    )
    assert cancelled.status_code == 200 and cancelled.json()["summary"]["amount"] == 200
    flown = await client.post(
        "/airline/users/lei_rossi_4874/certificates",
        json={"reservation_id": "15EN70", "flight_number": "HAT099"},
    )
    assert flown.status_code == 409 and flown.json()["rule"] == "no_disruption"
    plain = await client.post("/airline/users/lei_rossi_4874/certificates", json={"amount": 75})
    assert plain.status_code == 200  # tau-bench's call: an amount only, taken as given


async def test_days_with_flights_list_the_dates_after_a_day_with_an_itinerary(
    client: httpx.AsyncClient,
) -> None:
    url = "/airline/flights/days?origin=LAX&destination=DFW&after=2024-05-22&days=3"
    assert (await client.get(url)).json() == {"dates": ["2024-05-23", "2024-05-24", "2024-05-25"]}
    none = "/airline/flights/days?origin=LAX&destination=DFW&after=2024-06-30&days=3"
    assert (await client.get(none)).json() == {"dates": []}
    # without a day to start after: from the policy's today (2024-05-15, flown already) on
    today = "/airline/flights/days?origin=LAX&destination=DFW&days=3"
    assert (await client.get(today)).json() == {"dates": ["2024-05-16", "2024-05-17"]}
