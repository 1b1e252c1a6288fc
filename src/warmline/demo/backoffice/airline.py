"""Airline endpoints and the write rules of the airline policy (tau-bench ``policy.md``).

Every refusal raises ``RuleViolation(rule, reason)``; the rule ids are listed in ``RULES``.
The clock is the store's fixed ``now`` (2024-05-15 15:00 EST).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from warmline.demo.backoffice.store import (
    BackOfficeStore,
    Record,
    RecordNotFound,
    RuleViolation,
    StoreDep,
)

router = APIRouter(prefix="/airline", tags=["airline"])

Cabin = Literal["basic_economy", "economy", "business"]
CancelReason = Literal["change_of_plan", "airline_cancelled_flight", "other"]
InsuredCause = Literal["health", "weather"]

#: Free checked bags per passenger, by membership then cabin (policy: "Checked bag allowance").
FREE_BAGS: dict[str, dict[str, int]] = {
    "regular": {"basic_economy": 0, "economy": 1, "business": 2},
    "silver": {"basic_economy": 1, "economy": 2, "business": 3},
    "gold": {"basic_economy": 2, "economy": 3, "business": 3},
}
BAG_FEE = 50
FLOWN = frozenset({"landed", "flying"})

RULES: dict[str, str] = {
    "already_cancelled": "a cancelled reservation cannot be changed or cancelled again",
    "segment_flown": "a trip with a segment already flown (landed or flying) cannot be changed",
    "cancellation_not_eligible": "outside 24 h, not business, no airline cancellation, no cover",
    "airline_cancellation_not_found": "reason airline_cancelled_flight but no segment cancelled",
    "insurance_cause_not_covered": "insurance covers reason 'other' with cause health or weather",
    "baggage_removal": "checked bags can be added but never removed",
    "baggage_fee_mismatch": "nonfree_baggages must equal total minus the free allowance",
    "same_cabin": "the reservation is already in that cabin",
    "flight_not_bookable": "a segment whose flight date is not 'available' cannot be repriced",
    "no_seats": "not enough seats left in the new cabin",
    "passenger_count": "passengers can be edited but their number cannot change",
    "payment_required": "a change with a price difference needs a payment_id",
    "payment_method_unknown": "the payment method is not in the customer's profile",
    "certificate_not_allowed": "travel certificates cannot pay for changes",
    "insufficient_balance": "the gift card balance does not cover the charge",
}


class CancelBody(BaseModel):
    reason: CancelReason
    cause: InsuredCause | None = Field(
        None, description="covered cause when reason is 'other' and the trip is insured"
    )


class BaggageBody(BaseModel):
    total_baggages: int = Field(ge=0, le=50)
    nonfree_baggages: int | None = Field(None, ge=0, le=50)
    payment_id: str | None = None


class CabinBody(BaseModel):
    cabin: Cabin
    payment_id: str | None = None


class Passenger(BaseModel):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    dob: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")


class PassengersBody(BaseModel):
    passengers: list[Passenger] = Field(min_length=1, max_length=5)


# --- rules ---------------------------------------------------------------------------------


def _day(store: BackOfficeStore, segment: Record) -> Record:
    flight = store.flights.get(segment["flight_number"], {})
    day: Record = flight.get("dates", {}).get(segment["date"], {})
    return day


def _flown(store: BackOfficeStore, segment: Record) -> bool:
    status = _day(store, segment).get("status")
    if status is None:  # no record for that date: judge by the calendar
        return bool(segment["date"] < store.now.date().isoformat())
    return status in FLOWN


def _require_open(store: BackOfficeStore, res: Record) -> None:
    if res.get("status") == "cancelled":
        raise RuleViolation("already_cancelled", "This reservation has already been cancelled.")
    if any(_flown(store, seg) for seg in res["flights"]):
        raise RuleViolation(
            "segment_flown",
            "Part of this trip has already been flown, so it cannot be changed or cancelled here;"
            " a human agent must help.",
        )


def cancellation_basis(store: BackOfficeStore, res: Record, reason: str, cause: str | None) -> str:
    """Why this cancellation is allowed (a rule id), or raise the RuleViolation that forbids it.

    Order: the trip must be open (nothing flown, not cancelled); then it is allowed within 24 h
    of booking, for a business cabin, or when a segment was cancelled by the airline (checked
    against the flight data, not taken on trust). Otherwise only travel insurance helps, and it
    covers reason "other" with cause "health" or "weather" only.
    """
    _require_open(store, res)
    if store.now - datetime.fromisoformat(res["created_at"]) <= timedelta(hours=24):
        return "within_24h"
    if res["cabin"] == "business":
        return "business_cabin"
    if reason == "airline_cancelled_flight":
        if any(_day(store, seg).get("status") == "cancelled" for seg in res["flights"]):
            return "airline_cancelled_flight"
        raise RuleViolation(
            "airline_cancellation_not_found",
            "None of the flights on this reservation was cancelled by the airline.",
        )
    if res.get("insurance") == "yes":
        if reason == "other" and cause in ("health", "weather"):
            return "insurance_covered"
        raise RuleViolation(
            "insurance_cause_not_covered",
            "Travel insurance allows a cancellation only for health or weather reasons.",
        )
    raise RuleViolation(
        "cancellation_not_eligible",
        "Economy and basic economy bookings can be cancelled only within 24 hours of booking,"
        " when the airline cancelled a flight, or with travel insurance for health or weather.",
    )


def _charge(store: BackOfficeStore, res: Record, payment_id: str | None, amount: int) -> None:
    """Charge (amount > 0) or refund (amount < 0) a profile payment method; record it."""
    if amount == 0:
        return
    if payment_id is None:
        raise RuleViolation(
            "payment_required", f"A payment method is needed for the ${abs(amount)} difference."
        )
    user = store.airline_user(res["user_id"])
    method = user["payment_methods"].get(payment_id)
    if method is None:
        raise RuleViolation(
            "payment_method_unknown", "That payment method is not on the customer's profile."
        )
    if method["source"] == "certificate":
        raise RuleViolation(
            "certificate_not_allowed",
            "A travel certificate cannot be used to pay for changes to a reservation.",
        )
    if method["source"] == "gift_card":
        if amount > method["amount"]:
            raise RuleViolation(
                "insufficient_balance",
                f"The gift card balance of ${method['amount']} does not cover ${amount}.",
            )
        method["amount"] = round(method["amount"] - amount, 2)
    res["payment_history"].append({"payment_id": payment_id, "amount": amount})


def _refund_all(res: Record) -> None:
    """Refund the net amount paid with each method to that method."""
    net: dict[str, float] = {}
    for entry in res["payment_history"]:
        net[entry["payment_id"]] = net.get(entry["payment_id"], 0) + entry["amount"]
    for payment_id, amount in net.items():
        if amount > 0:
            res["payment_history"].append({"payment_id": payment_id, "amount": -amount})


# --- reads ---------------------------------------------------------------------------------


def reservation_view(res: Record) -> Record:
    """A reservation as reads show it: tau-bench keeps no status until it is cancelled."""
    return {**res, "status": res.get("status", "active")}


@router.get("/users/{user_id}")
async def get_user(user_id: str, store: StoreDep) -> Record:
    return {"user_id": user_id, **store.airline_user(user_id)}


@router.get("/reservations/{reservation_id}")
async def get_reservation(reservation_id: str, store: StoreDep) -> Record:
    return reservation_view(store.reservation(reservation_id))


@router.get("/reservations/{reservation_id}/cancellation")
async def cancellation_eligibility(
    reservation_id: str,
    store: StoreDep,
    reason: CancelReason = "change_of_plan",
    cause: InsuredCause | None = None,
) -> Record:
    """Dry run of the cancellation rules: what ``POST .../cancel`` would answer."""
    res = store.reservation(reservation_id)
    try:
        basis = cancellation_basis(store, res, reason, cause)
    except RuleViolation as refusal:
        return {"eligible": False, "rule": refusal.rule, "reason": refusal.reason}
    return {"eligible": True, "rule": basis, "reason": "The reservation can be cancelled."}


def _flight_on(flight: Record, date: str) -> Record:
    head = {k: v for k, v in flight.items() if k != "dates"}
    return {**head, "date": date, **flight["dates"][date]}


@router.get("/flights")
async def search_flights(
    store: StoreDep,
    origin: str = Query(min_length=3, max_length=3),
    destination: str = Query(min_length=3, max_length=3),
    date: str = Query(pattern=r"^\d{4}-\d{2}-\d{2}$"),
) -> Record:
    """Direct flights that can still be booked on that date."""
    found = [
        _flight_on(f, date)
        for f in store.flights.values()
        if f["origin"] == origin.upper()
        and f["destination"] == destination.upper()
        and f["dates"].get(date, {}).get("status") == "available"
    ]
    return {"flights": found}


@router.get("/flights/{flight_number}")
async def get_flight(
    flight_number: str,
    store: StoreDep,
    date: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$"),
) -> Record:
    flight = store.flight(flight_number)
    if date is None:
        return flight
    if date not in flight["dates"]:
        raise RecordNotFound(f"Flight {flight['flight_number']} does not operate on {date}.")
    return _flight_on(flight, date)


# --- writes --------------------------------------------------------------------------------


@router.post("/reservations/{reservation_id}/cancel")
async def cancel_reservation(reservation_id: str, body: CancelBody, store: StoreDep) -> Record:
    res = store.reservation(reservation_id)
    basis = cancellation_basis(store, res, body.reason, body.cause)
    _refund_all(res)
    res["status"] = "cancelled"
    res["cancellation"] = {"reason": body.reason, "cause": body.cause, "basis": basis}
    return res


@router.post("/reservations/{reservation_id}/baggages")
async def update_baggages(reservation_id: str, body: BaggageBody, store: StoreDep) -> Record:
    res = store.reservation(reservation_id)
    _require_open(store, res)
    if body.total_baggages < res["total_baggages"]:
        raise RuleViolation(
            "baggage_removal",
            f"Checked bags can be added but not removed; this reservation already has"
            f" {res['total_baggages']}.",
        )
    membership = store.airline_user(res["user_id"])["membership"]
    allowance = FREE_BAGS[membership][res["cabin"]] * len(res["passengers"])
    nonfree = max(0, body.total_baggages - allowance, res["nonfree_baggages"])
    if body.nonfree_baggages is not None and body.nonfree_baggages != nonfree:
        raise RuleViolation(
            "baggage_fee_mismatch",
            f"With {allowance} free bags, {body.total_baggages} bags means {nonfree} paid bags.",
        )
    _charge(store, res, body.payment_id, BAG_FEE * (nonfree - res["nonfree_baggages"]))
    res["total_baggages"] = body.total_baggages
    res["nonfree_baggages"] = nonfree
    return res


@router.post("/reservations/{reservation_id}/cabin")
async def change_cabin(reservation_id: str, body: CabinBody, store: StoreDep) -> Record:
    res = store.reservation(reservation_id)
    _require_open(store, res)
    if body.cabin == res["cabin"]:
        raise RuleViolation("same_cabin", f"The reservation is already in {body.cabin}.")
    seats = len(res["passengers"])
    new_prices: list[int] = []
    for seg in res["flights"]:
        day = _day(store, seg)
        if day.get("status") != "available":
            raise RuleViolation(
                "flight_not_bookable",
                f"Flight {seg['flight_number']} on {seg['date']} can no longer be changed.",
            )
        if day["available_seats"][body.cabin] < seats:
            raise RuleViolation(
                "no_seats",
                f"Flight {seg['flight_number']} on {seg['date']} has too few {body.cabin} seats.",
            )
        new_prices.append(day["prices"][body.cabin])
    old_total = sum(seg["price"] for seg in res["flights"])
    _charge(store, res, body.payment_id, (sum(new_prices) - old_total) * seats)
    for seg, price in zip(res["flights"], new_prices, strict=True):
        available = _day(store, seg)["available_seats"]
        available[body.cabin] -= seats
        available[res["cabin"]] = available.get(res["cabin"], 0) + seats
        seg["price"] = price
    res["cabin"] = body.cabin
    return res


@router.put("/reservations/{reservation_id}/passengers")
async def update_passengers(reservation_id: str, body: PassengersBody, store: StoreDep) -> Record:
    res = store.reservation(reservation_id)
    _require_open(store, res)
    if len(body.passengers) != len(res["passengers"]):
        raise RuleViolation(
            "passenger_count",
            "Passenger details can be changed, but not the number of passengers.",
        )
    res["passengers"] = [p.model_dump() for p in body.passengers]
    return res
