"""Airline endpoints and the write rules of the airline policy (tau-bench ``policy.md``).

Every refusal raises ``RuleViolation(rule, reason)``; the rule ids are listed in ``RULES``.
The clock is the store's fixed ``now`` (2024-05-15 15:00 EST).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
#: Which rules a write applies. ``policy`` (the default): every rule of the service policy.
#: ``tool``: only the checks tau-bench's tool of the same name makes; the policy says of its
#: cancellation and flight-change rules that "the API does not check these for the agent", and
#: its tools leave the rules of ``POLICY_ONLY`` to the agent, so a replay of tau-bench's calls
#: (``taubench_tools.tool_request``) writes what they write.
Checks = Literal["policy", "tool"]
CHECKS_DOC = "'tool': only the checks tau-bench's tool makes (a replay of its calls)"
POLICY_ONLY = frozenset(
    {
        "already_cancelled",
        "segment_flown",
        "cancellation_not_eligible",
        "airline_cancellation_not_found",
        "insurance_cause_not_covered",
        "baggage_removal",
        "baggage_fee_mismatch",
        "no_change",
        "basic_economy_flights",
        "route_changed",
        "too_many_passengers",
        "payment_mix",
    }
)

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
    "insufficient_balance": "the gift card or certificate balance does not cover the charge",
    "basic_economy_flights": "basic economy flights cannot be changed (the cabin can)",
    "route_changed": "new flights must keep the origin, destination and trip type",
    "no_change": "the new flights and cabin are the reservation's current ones",
    "too_many_passengers": "a reservation has at most five passengers",
    "payment_mix": "at most one certificate, one credit card and three gift cards per booking",
    "payment_total_mismatch": "the payments must add up to the total price",
    "certificate_limit": "a customer can hold at most three certificates sent by an agent",
    "too_many_bookings": "the back office makes at most seven new reservation ids",
    "not_customers_reservation": "compensation is for a reservation of the customer's own",
    "compensation_not_eligible": "only silver or gold members, insured or business trips",
    "no_disruption": "the flight was neither cancelled nor delayed on the reservation's date",
    "delay_needs_change": "a delay is compensated only once the reservation is changed or cancelled",
    "compensation_amount": "the amount is the policy's: $100 (cancelled) or $50 (delayed) a passenger",
}


class CancelBody(BaseModel):
    reason: CancelReason | Literal["unspecified"] = Field(
        description="'unspecified' (tau-bench's call has no reason): allowed when any basis holds"
    )
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
    passengers: list[Passenger] = Field(min_length=1, max_length=50)


# --- rules ---------------------------------------------------------------------------------


@contextmanager
def policy_checks(checks: Checks) -> Iterator[None]:
    """Around checks of the policy's rules: with ``checks="tool"``, a refusal by a rule of
    ``POLICY_ONLY`` is dropped (the rest of the block is skipped), as tau-bench's tool does not
    make it; every other refusal, and every refusal under ``"policy"``, is raised."""
    try:
        yield
    except RuleViolation as refusal:
        if checks == "policy" or refusal.rule not in POLICY_ONLY:
            raise


def day_of(store: BackOfficeStore, segment: Record) -> Record:
    flight = store.flights.get(segment["flight_number"], {})
    day: Record = flight.get("dates", {}).get(segment["date"], {})
    return day


def flown(store: BackOfficeStore, segment: Record) -> bool:
    status = day_of(store, segment).get("status")
    if status is None:  # no record for that date: judge by the calendar
        return bool(segment["date"] < store.now.date().isoformat())
    return status in FLOWN


def require_open(store: BackOfficeStore, res: Record) -> None:
    if res.get("status") == "cancelled":
        raise RuleViolation("already_cancelled", "This reservation has already been cancelled.")
    if any(flown(store, seg) for seg in res["flights"]):
        raise RuleViolation(
            "segment_flown",
            "Part of this trip has already been flown, so it cannot be changed or cancelled here;"
            " a human agent must help.",
        )


def cancellation_basis(
    store: BackOfficeStore, res: Record, reason: str | None, cause: str | None
) -> str:
    """Why this cancellation is allowed (a rule id), or raise the RuleViolation that forbids it.

    Order: the trip must be open (nothing flown, not cancelled); then it is allowed within 24 h
    of booking, for a business cabin, or when a segment was cancelled by the airline (checked
    against the flight data, not taken on trust). Otherwise only travel insurance helps, and it
    covers reason "other" with cause "health" or "weather" only.
    """
    require_open(store, res)
    if store.now - datetime.fromisoformat(res["created_at"]) <= timedelta(hours=24):
        return "within_24h"
    if res["cabin"] == "business":
        return "business_cabin"
    airline_cancelled = any(
        day_of(store, seg).get("status") == "cancelled" for seg in res["flights"]
    )
    if reason in (None, "unspecified"):  # no reason given: any basis the data shows will do
        if airline_cancelled:
            return "airline_cancelled_flight"
        if res.get("insurance") == "yes":
            return "insurance_covered"
    if reason == "airline_cancelled_flight":
        if any(day_of(store, seg).get("status") == "cancelled" for seg in res["flights"]):
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


# --- reads ---------------------------------------------------------------------------------


def reservation_view(res: Record) -> Record:
    """A reservation as reads show it: tau-bench keeps no status until it is cancelled."""
    return {**res, "status": res.get("status", "active")}


@router.get("/users/{user_id}")
async def get_user(user_id: str, store: StoreDep) -> Record:
    return {"user_id": user_id, **store.airline_user(user_id)}


@router.get("/reservations/{reservation_id}")
async def get_reservation(reservation_id: str, store: StoreDep) -> Record:
    """The reservation, with ``when`` as its line in the customer's list has it (``past``,
    ``under_way`` or ``upcoming``), so a trip behind the traveller is told as one."""
    res = store.reservation(reservation_id)
    when = reservation_summary(res, store.now.date().isoformat())["when"]
    return {**reservation_view(res), "when": when}


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


def flight_on(flight: Record, date: str) -> Record:
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
        flight_on(f, date)
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
    return flight_on(flight, date)


def reservation_summary(res: Record, today: str) -> Record:
    """One line of a customer's reservation list: what a person recognises a trip by (where
    from and to, the day out and, for a round trip, the day back), and whether it is behind
    the traveller (``past``: every flight before ``today``) or under way (some flown)."""
    flights = res.get("flights", [])
    days = [f["date"] for f in flights]
    back = [f["date"] for f in flights if f.get("origin") == res["destination"]]
    flown = [day for day in days if day < today]
    return {
        "reservation_id": res["reservation_id"],
        "origin": res["origin"],
        "destination": res["destination"],
        "flight_type": res["flight_type"],
        "cabin": res["cabin"],
        "first_date": days[0] if days else None,
        "return_date": back[0] if back and res["flight_type"] == "round_trip" else None,
        "passengers": len(res.get("passengers", [])),
        "status": res.get("status", "active"),
        "when": "past"
        if days and len(flown) == len(days)
        else "under_way"
        if flown
        else "upcoming",
    }


@router.get("/users/{user_id}/reservations")
async def list_user_reservations(user_id: str, store: StoreDep) -> Record:
    """Each reservation of the customer, in the profile's order, with its route and date."""
    user = store.airline_user(user_id)
    found = [store.reservations.get(rid) for rid in user.get("reservations", [])]
    return {
        "user_id": user_id,
        "reservations": [
            reservation_summary(res, store.now.date().isoformat())
            for res in found
            if res is not None
        ],
    }
