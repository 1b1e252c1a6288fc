"""New airline bookings and compensation certificates, with tau-bench's effect on the data.

``POST /airline/reservations`` takes tau-bench's ``book_reservation`` arguments; the new id is
``HATHAT``, then ``HATHAU``, ``HATHAV`` (as tau-bench makes them), then further letters.
Gift cards pay down, a certificate used is spent whole (removed from the profile), and the
flights' seat counts are left as they are, as in tau-bench. ``?dry_run=true`` as everywhere.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from warmline.demo.backoffice.airline import (
    BAG_FEE,
    CHECKS_DOC,
    FREE_BAGS,
    Cabin,
    Checks,
    Passenger,
    policy_checks,
)
from warmline.demo.backoffice.airline_flights import FlightRef, price_segments, segment_view
from warmline.demo.backoffice.payments import payment_label, write_response, write_target
from warmline.demo.backoffice.store import BackOfficeStore, Record, RuleViolation, StoreDep, Table

router = APIRouter(prefix="/airline", tags=["airline"])

INSURANCE_FEE = 30
MAX_PASSENGERS = 5
#: The most methods of each kind one booking may use (policy: "Payment").
PAYMENT_LIMITS = {"certificate": 1, "credit_card": 1, "gift_card": 3}
CERTIFICATE_IDS = ("certificate_3221322", "certificate_3221323", "certificate_3221324")


class Payment(BaseModel):
    payment_id: str = Field(min_length=1)
    amount: int | float = Field(ge=0)


class BookingBody(BaseModel):
    user_id: str = Field(min_length=1)
    origin: str = Field(min_length=3, max_length=3)
    destination: str = Field(min_length=3, max_length=3)
    flight_type: Literal["one_way", "round_trip"]
    cabin: Cabin
    flights: list[FlightRef] = Field(min_length=1, max_length=8)
    passengers: list[Passenger] = Field(min_length=1, max_length=50)
    payment_methods: list[Payment] = Field(min_length=1, max_length=10)
    total_baggages: int = Field(ge=0, le=50)
    nonfree_baggages: int = Field(ge=0, le=50)
    insurance: Literal["yes", "no"]


class CertificateBody(BaseModel):
    amount: int | float = Field(gt=0, le=10_000)


def _new_id(reservations: Table) -> str:
    for last in "TUVWXYZ":
        if f"HATHA{last}" not in reservations:
            return f"HATHA{last}"
    raise RuleViolation("too_many_bookings", "No more reservations can be made in this session.")


def _booking_rules(body: BookingBody, user: Record, flights: list[Record]) -> None:
    """The policy's booking rules that tau-bench's tool does not make."""
    seats = len(body.passengers)
    if seats > MAX_PASSENGERS:
        raise RuleViolation(
            "too_many_passengers", "A reservation can have at most five passengers."
        )
    start, end = flights[0]["origin"], flights[-1]["destination"]
    target = body.origin if body.flight_type == "round_trip" else body.destination
    if start != body.origin or end != target:
        raise RuleViolation(
            "route_changed",
            f"The flights do not make a {body.flight_type.replace('_', ' ')} trip from"
            f" {body.origin} to {body.destination}.",
        )
    allowance = FREE_BAGS[user["membership"]][body.cabin] * seats
    nonfree = max(0, body.total_baggages - allowance)
    if body.nonfree_baggages != nonfree:
        raise RuleViolation(
            "baggage_fee_mismatch",
            f"With {allowance} free bags, {body.total_baggages} bags means {nonfree} paid bags.",
        )


def _check_booking(body: BookingBody, user: Record, flights: list[Record], checks: Checks) -> float:
    """Every booking rule of the policy (``checks="tool"``: tau-bench's checks); the total."""
    seats = len(body.passengers)
    with policy_checks(checks):
        _booking_rules(body, user, flights)
    total: float = sum(f["price"] for f in flights) * seats
    total += INSURANCE_FEE * seats if body.insurance == "yes" else 0
    total += BAG_FEE * body.nonfree_baggages
    _check_payments(body.payment_methods, user, total, checks)
    return total


def _check_payments(payments: list[Payment], user: Record, total: float, checks: Checks) -> None:
    methods = user["payment_methods"]
    kinds: Counter[str] = Counter()
    for payment in payments:
        method = methods.get(payment.payment_id)
        if method is None:
            raise RuleViolation(
                "payment_method_unknown",
                f"The payment method {payment.payment_id} is not on the customer's profile.",
            )
        kinds[method["source"]] += 1
        if method["source"] in ("gift_card", "certificate") and method["amount"] < payment.amount:
            raise RuleViolation(
                "insufficient_balance",
                f"The {payment_label(method)} balance of ${method['amount']} does not cover"
                f" ${payment.amount}.",
            )
    with policy_checks(checks):
        if any(kinds[kind] > limit for kind, limit in PAYMENT_LIMITS.items()):
            raise RuleViolation(
                "payment_mix",
                "A booking can use at most one travel certificate, one credit card and three"
                " gift cards.",
            )
    paid = sum(p.amount for p in payments)
    if paid != total:
        raise RuleViolation(
            "payment_total_mismatch",
            f"The payments add up to ${paid}, but the total price is ${total}.",
        )


def _book(store: BackOfficeStore, body: BookingBody, checks: Checks) -> tuple[Record, Record]:
    user = store.airline_user(body.user_id)
    seats = len(body.passengers)
    flights = price_segments(store, None, body.cabin, body.flights, seats)
    total = _check_booking(body, user, flights, checks)
    methods = user["payment_methods"]
    payments = [p.model_dump() for p in body.payment_methods]
    paid_with = [
        {**p, "label": payment_label(methods[p["payment_id"]], p["payment_id"])} for p in payments
    ]
    for payment in payments:
        method = methods[payment["payment_id"]]
        if method["source"] == "gift_card":
            method["amount"] -= payment["amount"]
        elif method["source"] == "certificate":
            del methods[payment["payment_id"]]
    rid = _new_id(store.reservations)
    reservation = {"reservation_id": rid, **body.model_dump(exclude={"flights", "payment_methods"})}
    reservation |= {"flights": flights, "payment_history": payments}
    reservation["created_at"] = store.now.isoformat()
    store.reservations[rid] = reservation
    user["reservations"].append(rid)
    free = body.total_baggages - body.nonfree_baggages
    summary = {
        "action": "book_reservation",
        "reservation_id": rid,
        "itinerary": [segment_view(store, f) for f in flights],
        "flight_type": body.flight_type,
        "cabin": body.cabin,
        "passengers": reservation["passengers"],
        "bags": {"total": body.total_baggages, "free": free, "paid": body.nonfree_baggages},
        "bag_charge": BAG_FEE * body.nonfree_baggages,
        "insurance": body.insurance,
        "insurance_charge": INSURANCE_FEE * seats if body.insurance == "yes" else 0,
        "total": total,
        "payments": paid_with,
    }
    return reservation, summary


@router.post("/reservations")
async def book_reservation(
    body: BookingBody,
    store: StoreDep,
    dry_run: bool = False,
    checks: Checks = Query("policy", description=CHECKS_DOC),
) -> Record:
    """tau-bench ``book_reservation``."""
    store = write_target(store, dry_run)
    reservation, summary = _book(store, body, checks)
    return write_response({**reservation, "status": "active"}, summary, dry_run)


@router.post("/users/{user_id}/certificates")
async def send_certificate(
    user_id: str, body: CertificateBody, store: StoreDep, dry_run: bool = False
) -> Record:
    """tau-bench ``send_certificate``: the first free id of its three."""
    store = write_target(store, dry_run)
    user = store.airline_user(user_id)
    methods = user["payment_methods"]
    free = [cid for cid in CERTIFICATE_IDS if cid not in methods]
    if not free:
        raise RuleViolation(
            "certificate_limit", "This customer already holds every certificate an agent can send."
        )
    certificate = {"source": "certificate", "amount": body.amount, "id": free[0]}
    methods[free[0]] = certificate
    summary = {"action": "send_certificate", "user_id": user_id, **certificate}
    summary["label"] = payment_label(certificate)
    return write_response({"user_id": user_id, "certificate": certificate}, summary, dry_run)
