"""Airline writes of the reference back office: tau-bench's effect, the rules, dry runs.

Hand-built cases from the shipped data (clock 2024-05-15 15:00 EST).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from warmline.demo.backoffice import create_app
from warmline.demo.backoffice.taubench_tools import tool_request

ECONOMY = "JEPRZB"  # anya_brown_2655, economy one way EWR-MSP, HAT208 2024-05-19 at 198, 1 pax
GIFT = "gift_card_9782382"  # anya_brown_2655's gift card, 220
BASIC = "T1QOBS"  # harper_lopez_1489, basic economy
BUSINESS = "4WQ150"  # chen_jackson_3290, business round trip, 3 passengers
GOLD = "mia_li_3668"  # gold member; certificate_7504069 (250), certificate_4856383 (100)
CERT = "certificate_7504069"
VISA = "credit_card_4421486"  # Visa ending 7447


@pytest.fixture
def app() -> FastAPI:
    return create_app()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backoffice") as c:
        yield c


def refused(response: httpx.Response, rule: str) -> str:
    assert response.status_code == 409, response.text
    assert response.json()["rule"] == rule
    reason: str = response.json()["reason"]
    return reason


def booking(**change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "user_id": GOLD,
        "origin": "DFW",
        "destination": "LAX",
        "flight_type": "one_way",
        "cabin": "economy",
        "flights": [{"flight_number": "HAT170", "date": "2024-05-22"}],
        "passengers": [{"first_name": "Mia", "last_name": "Li", "dob": "1990-04-05"}],
        "payment_methods": [{"payment_id": CERT, "amount": 177}],  # 147 + 30 insurance
        "total_baggages": 3,  # gold economy: 3 free
        "nonfree_baggages": 0,
        "insurance": "yes",
    }
    return {**body, **change}


async def test_change_flights_charges_the_difference_to_a_gift_card(
    client: httpx.AsyncClient,
) -> None:
    day = (await client.get("/airline/flights/HAT208", params={"date": "2024-05-20"})).json()
    new_price = day["prices"]["economy"]
    url = f"/airline/reservations/{ECONOMY}/flights"
    body = {
        "cabin": "economy",
        "flights": [{"flight_number": "HAT208", "date": "2024-05-20"}],
        "payment_id": GIFT,
    }
    dry = await client.put(url, params={"dry_run": "true"}, json=body)
    assert dry.status_code == 200, dry.text
    assert (await client.get(f"/airline/reservations/{ECONOMY}")).json()["flights"][0][
        "date"
    ] == "2024-05-19"
    response = await client.put(url, json=body)
    res = response.json()
    assert {**res, "dry_run": True} == dry.json()
    assert res["flights"] == [
        {
            "flight_number": "HAT208",
            "date": "2024-05-20",
            "price": new_price,
            "origin": "EWR",
            "destination": "MSP",
        }
    ]
    assert res["payment_history"][-1] == {"payment_id": GIFT, "amount": new_price - 198}
    assert res["summary"]["price_difference"] == new_price - 198
    assert res["summary"]["payment"]["label"] == "gift card"
    user = (await client.get("/airline/users/anya_brown_2655")).json()
    assert user["payment_methods"][GIFT]["amount"] == 220 - (new_price - 198)
    seats = (await client.get("/airline/flights/HAT208", params={"date": "2024-05-20"})).json()
    assert seats["available_seats"] == day["available_seats"]  # tau-bench leaves seats alone


async def test_change_flights_rules(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{ECONOMY}/flights"
    elsewhere = {
        "cabin": "economy",
        "flights": [{"flight_number": "HAT170", "date": "2024-05-22"}],
        "payment_id": GIFT,
    }
    refused(await client.put(url, json=elsewhere), "route_changed")
    unchanged = {**elsewhere, "flights": [{"flight_number": "HAT208", "date": "2024-05-19"}]}
    refused(await client.put(url, json=unchanged), "no_change")
    basic = (await client.get(f"/airline/reservations/{BASIC}")).json()
    moved = [{**f, "date": "2024-05-28"} for f in basic["flights"]]
    response = await client.put(
        f"/airline/reservations/{BASIC}/flights",
        json={"cabin": "basic_economy", "flights": moved, "payment_id": "credit_card_9875103"},
    )
    assert "upgraded" in refused(response, "basic_economy_flights")
    business = await client.put(
        url,
        json={
            "cabin": "business",
            "flights": [{"flight_number": "HAT208", "date": "2024-05-19"}],
            "payment_id": "certificate_1",
        },
    )
    refused(business, "payment_method_unknown")


async def test_book_spends_a_certificate_and_makes_hathat(client: httpx.AsyncClient) -> None:
    response = await client.post("/airline/reservations", json=booking())
    assert response.status_code == 200, response.text
    res = response.json()
    assert res["reservation_id"] == "HATHAT" and res["created_at"] == "2024-05-15T15:00:00"
    assert res["flights"][0]["price"] == 147 and res["flights"][0]["origin"] == "DFW"
    assert res["payment_history"] == [{"payment_id": CERT, "amount": 177}]
    summary = res["summary"]
    assert summary["total"] == 177 and summary["insurance_charge"] == 30
    assert summary["bags"] == {"total": 3, "free": 3, "paid": 0}
    assert summary["payments"][0]["label"] == "travel certificate"
    user = (await client.get(f"/airline/users/{GOLD}")).json()
    assert CERT not in user["payment_methods"] and user["reservations"][-1] == "HATHAT"
    second = await client.post(
        "/airline/reservations",
        json=booking(payment_methods=[{"payment_id": VISA, "amount": 177}]),
    )
    assert second.json()["reservation_id"] == "HATHAU"


async def test_booking_rules(client: httpx.AsyncClient) -> None:
    six = [{"first_name": f"P{i}", "last_name": "X", "dob": "1990-01-01"} for i in range(6)]
    refused(
        await client.post("/airline/reservations", json=booking(passengers=six)),
        "too_many_passengers",
    )
    two_certs = [
        {"payment_id": CERT, "amount": 100},
        {"payment_id": "certificate_4856383", "amount": 77},
    ]
    refused(
        await client.post("/airline/reservations", json=booking(payment_methods=two_certs)),
        "payment_mix",
    )
    short = [{"payment_id": VISA, "amount": 100}]
    reason = refused(
        await client.post("/airline/reservations", json=booking(payment_methods=short)),
        "payment_total_mismatch",
    )
    assert "$177" in reason
    refused(
        await client.post("/airline/reservations", json=booking(nonfree_baggages=1)),
        "baggage_fee_mismatch",
    )
    refused(
        await client.post("/airline/reservations", json=booking(destination="SFO")),
        "route_changed",
    )
    assert "HATHAT" not in (await client.get(f"/airline/users/{GOLD}")).json()["reservations"]


async def test_certificates_take_tau_bench_ids_up_to_three(client: httpx.AsyncClient) -> None:
    url = f"/airline/users/{GOLD}/certificates"
    dry = await client.post(url, params={"dry_run": "true"}, json={"amount": 150})
    assert dry.json()["certificate"]["id"] == "certificate_3221322"
    for expected in ("certificate_3221322", "certificate_3221323", "certificate_3221324"):
        response = await client.post(url, json={"amount": 150})
        assert response.json()["certificate"] == {
            "source": "certificate",
            "amount": 150,
            "id": expected,
        }
    refused(await client.post(url, json={"amount": 150}), "certificate_limit")


async def test_cancel_reverses_every_payment_like_tau_bench(client: httpx.AsyncClient) -> None:
    before = (await client.get(f"/airline/reservations/{BUSINESS}")).json()
    response = await client.post(
        f"/airline/reservations/{BUSINESS}/cancel", json={"reason": "unspecified"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["summary"]["refund_total"] == 4986
    after = (await client.get(f"/airline/reservations/{BUSINESS}")).json()
    assert after["status"] == "cancelled" and "cancellation" not in after
    assert after["payment_history"] == before["payment_history"] + [
        {"payment_id": "gift_card_3576581", "amount": -4986}
    ]


async def test_cabin_change_reprices_every_segment(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{ECONOMY}/cabin"
    response = await client.post(url, json={"cabin": "business", "payment_id": GIFT})
    res = response.json()
    assert res["cabin"] == "business" and res["flights"][0]["price"] == 385
    assert res["payment_history"][-1] == {"payment_id": GIFT, "amount": 385 - 198}
    user = (await client.get("/airline/users/anya_brown_2655")).json()
    assert user["payment_methods"][GIFT]["amount"] == 220 - 187
    again = await client.post(url, json={"cabin": "business", "payment_id": GIFT})
    refused(again, "same_cabin")
    back = await client.post(url, json={"cabin": "basic_economy", "payment_id": "certificate_x"})
    refused(back, "payment_method_unknown")


async def test_search_lists_direct_and_one_stop_itineraries(client: httpx.AsyncClient) -> None:
    params = {"origin": "JFK", "destination": "SFO", "date": "2024-05-22"}
    found = (await client.get("/airline/flights/search", params=params)).json()["itineraries"]
    direct = [i for i in found if i["stops"] == 0]
    one_stop = [i for i in found if i["stops"] == 1]
    assert direct and one_stop
    for itinerary in one_stop:
        first, second = itinerary["segments"]
        assert first["destination"] == second["origin"]
        assert (
            itinerary["prices"]["economy"]
            == first["prices"]["economy"] + second["prices"]["economy"]
        )
    old = await client.get("/airline/flights", params=params)
    assert old.status_code == 200 and old.json()["flights"]


async def test_tool_request_replays_airline_gold_style_calls(client: httpx.AsyncClient) -> None:
    calls = [
        ("think", {"thought": "ok"}),
        ("book_reservation", booking()),
        ("send_certificate", {"user_id": GOLD, "amount": 100}),
        (
            "update_reservation_baggages",
            {
                "reservation_id": "HATHAT",
                "total_baggages": 4,
                "nonfree_baggages": 1,
                "payment_id": VISA,
            },
        ),
        ("cancel_reservation", {"reservation_id": "HATHAT"}),
        ("search_onestop_flight", {"origin": "DFW", "destination": "LAX", "date": "2024-05-22"}),
    ]
    for name, kwargs in calls:
        request = tool_request("airline", name, kwargs)
        if request is None:
            continue
        method, path, body = request
        response = await client.request(method, path, json=body)
        assert response.status_code == 200, (name, response.text)
    res = (await client.get("/airline/reservations/HATHAT")).json()
    assert res["status"] == "cancelled" and res["nonfree_baggages"] == 1
    assert res["payment_history"][-2:] == [
        {"payment_id": CERT, "amount": -177},
        {"payment_id": VISA, "amount": -50},
    ]


def test_every_rule_raised_is_listed() -> None:
    """Each rule id a route raises is in its domain's RULES (so /_admin/rules lists it)."""
    import re
    from pathlib import Path

    from warmline.demo.backoffice import airline, retail

    folder = Path(airline.__file__).parent
    for path in folder.glob("*.py"):
        listed = retail.RULES if path.name.startswith(("retail", "stock")) else airline.RULES
        for rule in re.findall(r'RuleViolation\(\s*"([a-z_]+)"', path.read_text()):
            assert rule in listed, (path.name, rule)
