"""``?checks=tool`` (tau-bench's checks only, as ``tool_request`` sends) versus the policy's rules,
and the copy-on-access tables behind resets and dry runs.

Hand-built cases from the shipped data (clock 2024-05-15 15:00 EST).
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
import pytest

from warmline.demo.backoffice import create_app
from warmline.demo.backoffice.store import BackOfficeStore, Overlay, Record
from warmline.demo.backoffice.taubench_tools import tool_request

ECONOMY = "JEPRZB"  # anya_brown_2655 (gold: 3 free bags), economy EWR-MSP, HAT208 at 198, 1 pax
GIFT = "gift_card_9782382"  # anya_brown_2655's gift card, 220
BASIC = "T1QOBS"  # harper_lopez_1489, basic economy, no insurance: not cancellable by policy
TOOL = "?checks=tool"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://backoffice") as c:
        yield c


def rule_of(response: httpx.Response) -> str:
    assert response.status_code == 409, response.text
    rule: str = response.json()["rule"]
    return rule


async def gift_balance(client: httpx.AsyncClient) -> float:
    user = (await client.get("/airline/users/anya_brown_2655")).json()
    balance: float = user["payment_methods"][GIFT]["amount"]
    return balance


async def test_tool_checks_take_paid_bags_as_given(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{ECONOMY}/baggages"
    body = {"total_baggages": 2, "nonfree_baggages": 2, "payment_id": GIFT}
    assert rule_of(await client.post(url, json=body)) == "baggage_fee_mismatch"
    done = await client.post(url + TOOL, json=body)
    assert done.status_code == 200, done.text
    assert (done.json()["total_baggages"], done.json()["nonfree_baggages"]) == (2, 2)
    assert done.json()["payment_history"][-1] == {"payment_id": GIFT, "amount": 100}
    assert await gift_balance(client) == 120


async def test_tool_checks_cancel_what_the_policy_refuses(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{BASIC}/cancel"
    assert rule_of(await client.post(url, json={"reason": "unspecified"})) == (
        "cancellation_not_eligible"
    )
    assert (await client.get(f"/airline/reservations/{BASIC}")).json()["status"] == "active"
    done = await client.post(url + TOOL, json={"reason": "unspecified"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "cancelled"
    assert done.json()["summary"]["basis"] == "not_checked"


async def test_tool_checks_change_flights_to_another_route(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{ECONOMY}/flights"
    body = {
        "cabin": "economy",
        "flights": [{"flight_number": "HAT170", "date": "2024-05-22"}],
        "payment_id": GIFT,
    }
    assert rule_of(await client.put(url, json=body)) == "route_changed"
    done = await client.put(url + TOOL, json=body)
    assert done.status_code == 200, done.text
    res = done.json()
    assert [f["flight_number"] for f in res["flights"]] == ["HAT170"]
    assert (res["origin"], res["destination"]) == ("EWR", "MSP")  # as tau-bench leaves it
    assert res["payment_history"][-1] == {"payment_id": GIFT, "amount": 147 - 198}
    assert await gift_balance(client) == 220 + 51


async def test_tool_checks_keep_the_checks_tau_bench_makes(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{ECONOMY}"
    flights = {"cabin": "business", "flights": [{"flight_number": "HAT208", "date": "2024-05-19"}]}
    unknown = await client.put(f"{url}/flights{TOOL}", json={**flights, "payment_id": "visa_1"})
    assert rule_of(unknown) == "payment_method_unknown"
    gone = {"cabin": "economy", "flights": [{"flight_number": "HAT208", "date": "2024-05-01"}]}
    flown = await client.put(f"{url}/flights{TOOL}", json={**gone, "payment_id": GIFT})
    assert rule_of(flown) == "flight_not_bookable"
    two = [{"first_name": "A", "last_name": "B", "dob": "1990-01-01"}] * 2
    passengers = await client.put(f"{url}/passengers{TOOL}", json={"passengers": two})
    assert rule_of(passengers) == "passenger_count"


def test_tool_request_asks_tool_checks_for_airline_writes_only() -> None:
    cancel = tool_request("airline", "cancel_reservation", {"reservation_id": BASIC})
    assert cancel is not None and cancel[1] == f"/airline/reservations/{BASIC}/cancel{TOOL}"
    read = tool_request("airline", "get_reservation_details", {"reservation_id": BASIC})
    assert read is not None and "checks" not in read[1]
    retail = tool_request("retail", "cancel_pending_order", {"order_id": "#W1", "reason": "x"})
    assert retail is not None and "checks" not in retail[1]


class CountingTable(Mapping[str, Record]):
    """A base table that counts the records read from it."""

    def __init__(self, records: dict[str, Record]) -> None:
        self.records = records
        self.reads: list[str] = []

    def __getitem__(self, key: str) -> Record:
        self.reads.append(key)
        return self.records[key]

    def __contains__(self, key: object) -> bool:
        return key in self.records

    def __iter__(self) -> Iterator[str]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


def test_overlay_copies_only_what_it_reads_and_never_changes_its_base() -> None:
    base = CountingTable({k: {"n": [i]} for i, k in enumerate("abcd")})
    table = Overlay(base)
    table["b"]["n"].append(9)
    table["e"] = {"n": [4]}
    del table["a"]
    assert base.reads == ["b"]
    assert base.records["b"] == {"n": [1]} and "a" in base.records
    assert list(table) == ["b", "c", "d", "e"] and "a" not in table and len(table) == 4
    snapshot = copy.deepcopy(table)
    table["b"]["n"].append(10)
    assert snapshot["b"] == {"n": [1, 9]} and table["b"] == {"n": [1, 9, 10]}


def test_dry_copy_and_reset_leave_the_shipped_data() -> None:
    store = BackOfficeStore()
    twin = store.dry_copy()
    twin.reservation(ECONOMY)["cabin"] = "business"
    assert store.reservation(ECONOMY)["cabin"] == "economy"
    store.reservation(ECONOMY)["cabin"] = "basic_economy"
    store.reset()
    assert store.reservation(ECONOMY)["cabin"] == "economy"
    assert BackOfficeStore().reservation(ECONOMY)["cabin"] == "economy"


async def test_dry_run_answers_the_write_and_changes_nothing(client: httpx.AsyncClient) -> None:
    url = f"/airline/reservations/{ECONOMY}/baggages"
    body: dict[str, Any] = {"total_baggages": 4, "payment_id": GIFT}
    dry = (await client.post(f"{url}?dry_run=true", json=body)).json()
    assert dry.pop("dry_run") is True
    assert (await client.get(f"/airline/reservations/{ECONOMY}")).json()["total_baggages"] == 0
    assert await gift_balance(client) == 220
    assert (await client.post(url, json=body)).json() == dry
