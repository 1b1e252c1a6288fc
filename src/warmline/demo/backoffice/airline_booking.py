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
from pydantic import BaseModel, Field, model_validator

from warmline.demo.backoffice.airline import (
    BAG_FEE,
    CHECKS_DOC,
    FREE_BAGS,
    Cabin,
    Checks,
    Passenger,
    day_of,
    policy_checks,
)
from warmline.demo.backoffice.airline_flights import FlightRef, price_segments, segment_view
from warmline.demo.backoffice.payments import payment_label, write_response, write_target
from warmline.demo.backoffice.store import (
    BackOfficeStore,
    Record,
    RuleViolation,
    StoreDep,
    Table,
    _shipped,
)

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
    payment_methods: list[Payment] | None = Field(
        None, min_length=1, max_length=10, description="tau-bench's amounts, given by the caller"
    )
    payment_ids: list[str] | None = Field(
        None,
        min_length=1,
        max_length=10,
        description="profile methods; the back office splits the total (see split_payments)",
    )
    total_baggages: int = Field(ge=0, le=50)
    nonfree_baggages: int = Field(ge=0, le=50)
    insurance: Literal["yes", "no"]

    @model_validator(mode="after")
    def _one_way_to_pay(self) -> BookingBody:
        if (self.payment_methods is None) == (self.payment_ids is None):
            raise ValueError("give either payment_methods (with amounts) or payment_ids")
        return self


class CertificateBody(BaseModel):
    amount: int | float | None = Field(None, gt=0, le=10_000)
    reservation_id: str | None = Field(
        None, description="with flight_number: compensation, checked and priced by the policy"
    )
    flight_number: str | None = None

    @model_validator(mode="after")
    def _amount_or_reason(self) -> CertificateBody:
        if (self.reservation_id is None) != (self.flight_number is None):
            raise ValueError("give reservation_id and flight_number together")
        if self.amount is None and self.reservation_id is None:
            raise ValueError("give an amount, or the reservation and flight it compensates")
        return self


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


#: The order a split spends the methods in (policy: a certificate's remainder is lost, so it
#: goes first; gift cards before the card).
SPEND_ORDER = ("certificate", "gift_card", "paypal", "credit_card")


def split_payments(payment_ids: list[str], user: Record, total: float) -> list[Payment]:
    """The total split over the customer's methods: the certificate first (spent whole, its
    remainder lost), then the gift cards down to their balances in the order given, then the
    card (or PayPal) for the rest. A method left with nothing to pay is left out; the checks of
    ``_check_payments`` (unknown method, the policy's mix, the total) apply to the result."""
    methods = user["payment_methods"]
    unique = list(dict.fromkeys(payment_ids))
    for pid in unique:
        if pid not in methods:
            raise RuleViolation(
                "payment_method_unknown",
                f"The payment method {pid} is not on the customer's profile.",
            )
    rank = {kind: n for n, kind in enumerate(SPEND_ORDER)}
    ordered = sorted(unique, key=lambda pid: rank.get(methods[pid]["source"], len(rank)))
    payments: list[Payment] = []
    left = round(float(total), 2)
    for n, pid in enumerate(ordered):
        method = methods[pid]
        last = n == len(ordered) - 1
        if method["source"] in ("gift_card", "certificate") and not last:
            amount = min(float(method["amount"]), left)
        else:
            amount = left  # the last method pays the rest (a balance too low is refused)
        if amount > 0 or (last and not payments):
            payments.append(Payment(payment_id=pid, amount=_whole(amount)))
        left = round(left - amount, 2)
    return payments


def _whole(amount: float) -> int | float:
    return int(amount) if float(amount).is_integer() else round(amount, 2)


def _check_booking(
    body: BookingBody, user: Record, flights: list[Record], checks: Checks
) -> tuple[float, list[Payment]]:
    """Every booking rule of the policy (``checks="tool"``: tau-bench's checks); the total and
    the payments (given, or split from ``payment_ids``)."""
    seats = len(body.passengers)
    with policy_checks(checks):
        _booking_rules(body, user, flights)
    total: float = sum(f["price"] for f in flights) * seats
    total += INSURANCE_FEE * seats if body.insurance == "yes" else 0
    total += BAG_FEE * body.nonfree_baggages
    if body.payment_ids is not None:
        _check_mix(body.payment_ids, user, "policy")
        payments = split_payments(body.payment_ids, user, total)
    else:
        payments = body.payment_methods or []
    _check_payments(payments, user, total, checks)
    return total, payments


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
        _check_limits(kinds)
    paid = sum(p.amount for p in payments)
    if round(paid, 2) != round(total, 2):
        raise RuleViolation(
            "payment_total_mismatch",
            f"The payments add up to ${paid}, but the total price is ${total}.",
        )


def _check_limits(kinds: Counter[str]) -> None:
    if any(kinds[kind] > limit for kind, limit in PAYMENT_LIMITS.items()):
        raise RuleViolation(
            "payment_mix",
            "A booking can use at most one travel certificate, one credit card and three"
            " gift cards.",
        )


def _check_mix(payment_ids: list[str], user: Record, checks: Checks) -> None:
    """The policy's limits on the methods named (before any is left out of the split)."""
    methods = user["payment_methods"]
    kinds = Counter(methods[pid]["source"] for pid in dict.fromkeys(payment_ids) if pid in methods)
    with policy_checks(checks):
        _check_limits(kinds)


def _book(store: BackOfficeStore, body: BookingBody, checks: Checks) -> tuple[Record, Record]:
    user = store.airline_user(body.user_id)
    seats = len(body.passengers)
    flights = price_segments(store, None, body.cabin, body.flights, seats)
    total, chosen = _check_booking(body, user, flights, checks)
    methods = user["payment_methods"]
    payments = [p.model_dump() for p in chosen]
    paid_with = [_paid_with(methods[p["payment_id"]], p) for p in payments]
    for payment in payments:
        method = methods[payment["payment_id"]]
        if method["source"] == "gift_card":
            method["amount"] -= payment["amount"]
        elif method["source"] == "certificate":
            del methods[payment["payment_id"]]
    rid = _new_id(store.reservations)
    kept = body.model_dump(exclude={"flights", "payment_methods", "payment_ids"})
    reservation = {"reservation_id": rid, **kept}
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


def _paid_with(method: Record, payment: Record) -> Record:
    """A payment as the summary lists it; a certificate's unspent remainder is named."""
    line = {**payment, "label": payment_label(method, payment["payment_id"])}
    if method["source"] == "certificate":
        line["certificate_left_unused"] = _whole(max(0.0, method["amount"] - payment["amount"]))
    return line


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


#: Compensation per passenger (policy: "Compensation"), by the flight's status on its date.
COMPENSATION = {"cancelled": 100, "delayed": 50}


def disruptions(store: BackOfficeStore, res: Record) -> list[Record]:
    """Each flight of the reservation as booked (the shipped record) and as it is now, with its
    status on its date and whether the reservation still holds it."""
    shipped = _shipped("airline", "reservations").get(res["reservation_id"], {})
    now = [(s["flight_number"], s["date"]) for s in res["flights"]]
    seen: list[tuple[str, str]] = []
    for seg in [*shipped.get("flights", []), *res["flights"]]:
        if (seg["flight_number"], seg["date"]) not in seen:
            seen.append((seg["flight_number"], seg["date"]))
    return [
        {
            "flight_number": number,
            "date": date,
            "status": day_of(store, {"flight_number": number, "date": date}).get("status"),
            "on_reservation": (number, date) in now,
        }
        for number, date in seen
    ]


def compensation(store: BackOfficeStore, user_id: str, res: Record, flight_number: str) -> int:
    """The policy's certificate for a disrupted flight of the reservation, or its refusal."""
    if res["user_id"] != user_id:
        raise RuleViolation(
            "not_customers_reservation", "That reservation is not on this customer's profile."
        )
    user = store.airline_user(user_id)
    if not (
        user["membership"] in ("silver", "gold")
        or res.get("insurance") == "yes"
        or res["cabin"] == "business"
    ):
        raise RuleViolation(
            "compensation_not_eligible",
            "Compensation is offered only to silver or gold members, travellers with travel"
            " insurance, or business travellers.",
        )
    hit = [
        d
        for d in disruptions(store, res)
        if d["flight_number"] == flight_number.upper() and d["status"] in COMPENSATION
    ]
    if not hit:
        raise RuleViolation(
            "no_disruption",
            f"Flight {flight_number} was not cancelled or delayed on this reservation's date.",
        )
    status = "cancelled" if any(d["status"] == "cancelled" for d in hit) else "delayed"
    changed = res.get("status") == "cancelled" or any(not d["on_reservation"] for d in hit)
    if status == "delayed" and not changed:
        raise RuleViolation(
            "delay_needs_change",
            "For a delayed flight, a certificate can be offered once the reservation has been"
            " changed or cancelled because of the delay.",
        )
    return COMPENSATION[status] * len(res["passengers"])


@router.get("/reservations/{reservation_id}/disruptions")
async def reservation_disruptions(reservation_id: str, store: StoreDep) -> Record:
    """The reservation's flights, as booked and now, with their status: what compensation reads."""
    res = store.reservation(reservation_id)
    return {"reservation_id": res["reservation_id"], "flights": disruptions(store, res)}


@router.post("/users/{user_id}/certificates")
async def send_certificate(
    user_id: str, body: CertificateBody, store: StoreDep, dry_run: bool = False
) -> Record:
    """tau-bench ``send_certificate``: the first free id of its three. With ``reservation_id``
    and ``flight_number``, compensation: the policy's checks and amount (``compensation``)."""
    store = write_target(store, dry_run)
    user = store.airline_user(user_id)
    amount = body.amount
    if body.reservation_id is not None and body.flight_number is not None:
        res = store.reservation(body.reservation_id)
        due = compensation(store, user_id, res, body.flight_number)
        if amount is not None and amount != due:
            raise RuleViolation(
                "compensation_amount", f"The policy's compensation here is ${due}, not ${amount}."
            )
        amount = due
    methods = user["payment_methods"]
    free = [cid for cid in CERTIFICATE_IDS if cid not in methods]
    if not free:
        raise RuleViolation(
            "certificate_limit", "This customer already holds every certificate an agent can send."
        )
    certificate = {"source": "certificate", "amount": amount, "id": free[0]}
    methods[free[0]] = certificate
    summary = {"action": "send_certificate", "user_id": user_id, **certificate}
    summary["label"] = payment_label(certificate)
    return write_response({"user_id": user_id, "certificate": certificate}, summary, dry_run)
