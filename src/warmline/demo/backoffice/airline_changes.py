"""Airline writes on an existing reservation, with the effect of tau-bench's tools.

Cancel, bags, cabin, flights and passengers. Every route takes ``?dry_run=true`` (same answer,
on a deep copy, plus ``"dry_run": true``) and answers the reservation after the write plus a
``summary``. As in tau-bench, a change never updates the flights' seat counts.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from warmline.demo.backoffice.airline import (
    BAG_FEE,
    CHECKS_DOC,
    FREE_BAGS,
    BaggageBody,
    CabinBody,
    CancelBody,
    Checks,
    PassengersBody,
    cancellation_basis,
    flown,
    policy_checks,
    require_open,
    reservation_view,
)
from warmline.demo.backoffice.airline_flights import (
    Cabin,
    FlightRef,
    price_segments,
    segment_view,
)
from warmline.demo.backoffice.payments import payment_label, write_response, write_target
from warmline.demo.backoffice.store import BackOfficeStore, Record, RuleViolation, StoreDep

router = APIRouter(prefix="/airline", tags=["airline"])


class FlightsBody(BaseModel):
    cabin: Cabin
    flights: list[FlightRef] = Field(min_length=1, max_length=8)
    payment_id: str | None = None


def _pay_method(
    store: BackOfficeStore, res: Record, payment_id: str | None, amount: float
) -> Record | None:
    """The profile method paying (amount > 0) or refunded (amount < 0), checked by the rules."""
    if payment_id is None:
        if amount != 0:
            raise RuleViolation(
                "payment_required",
                f"A payment method is needed for the ${abs(amount)} difference; please pick a"
                " gift card or credit card from the profile.",
            )
        return None
    method: Record | None = store.airline_user(res["user_id"])["payment_methods"].get(payment_id)
    if method is None:
        raise RuleViolation(
            "payment_method_unknown",
            f"The payment method {payment_id} is not on the customer's profile.",
        )
    if method["source"] == "certificate":
        raise RuleViolation(
            "certificate_not_allowed",
            "A travel certificate can't pay for a change; please pick a gift card or credit card.",
        )
    if method["source"] == "gift_card" and method["amount"] < amount:
        raise RuleViolation(
            "insufficient_balance",
            f"The gift card balance of ${method['amount']} does not cover ${amount};"
            " please pick another payment method.",
        )
    return method


def _settle(res: Record, method: Record | None, payment_id: str | None, amount: float) -> Record:
    """Apply a charge or refund as tau-bench does; the summary's payment part."""
    if method is not None and method["source"] == "gift_card":
        method["amount"] -= amount
    if amount != 0 and payment_id is not None:
        res["payment_history"].append({"payment_id": payment_id, "amount": amount})
    return {"payment_id": payment_id, "label": payment_label(method, payment_id or "")}


@router.post("/reservations/{reservation_id}/cancel")
async def cancel_reservation(
    reservation_id: str,
    body: CancelBody,
    store: StoreDep,
    dry_run: bool = False,
    checks: Checks = Query("policy", description=CHECKS_DOC),
) -> Record:
    """tau-bench ``cancel_reservation``: every payment is reversed to its method."""
    store = write_target(store, dry_run)
    res = store.reservation(reservation_id)
    basis = "not_checked"  # checks="tool" and no basis holds: tau-bench cancels anyway
    with policy_checks(checks):
        basis = cancellation_basis(store, res, body.reason, body.cause)
    methods = store.airline_user(res["user_id"])["payment_methods"]
    refunds = [
        {"payment_id": p["payment_id"], "amount": -p["amount"]} for p in res["payment_history"]
    ]
    res["payment_history"].extend(refunds)
    res["status"] = "cancelled"
    summary = {
        "action": "cancel_reservation",
        "reservation_id": res["reservation_id"],
        "basis": basis,
        "refund_total": -sum(r["amount"] for r in refunds),
        "refunds": [
            {
                "payment_id": r["payment_id"],
                "label": payment_label(methods.get(r["payment_id"]), r["payment_id"]),
                "amount": -r["amount"],
            }
            for r in refunds
        ],
    }
    body_out = write_response(reservation_view(res), summary, dry_run)
    body_out["cancellation"] = {"reason": body.reason, "cause": body.cause, "basis": basis}
    return body_out


@router.post("/reservations/{reservation_id}/baggages")
async def update_baggages(
    reservation_id: str,
    body: BaggageBody,
    store: StoreDep,
    dry_run: bool = False,
    checks: Checks = Query("policy", description=CHECKS_DOC),
) -> Record:
    """tau-bench ``update_reservation_baggages``: $50 a paid bag more than before.

    Without ``nonfree_baggages`` the paid bags are those beyond the allowance; with it, the
    policy requires that number, while tau-bench's tool (``checks="tool"``) takes it as given.
    """
    store = write_target(store, dry_run)
    res = store.reservation(reservation_id)
    with policy_checks(checks):
        require_open(store, res)
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
        with policy_checks(checks):
            raise RuleViolation(
                "baggage_fee_mismatch",
                f"With {allowance} free bags, {body.total_baggages} bags means {nonfree} paid"
                " bags.",
            )
        nonfree = body.nonfree_baggages
    charge = BAG_FEE * max(0, nonfree - res["nonfree_baggages"])
    method = _pay_method(store, res, body.payment_id, charge)
    res["total_baggages"] = body.total_baggages
    res["nonfree_baggages"] = nonfree
    payment = _settle(res, method, body.payment_id, charge)
    summary = {
        "action": "update_baggages",
        "reservation_id": res["reservation_id"],
        "total_baggages": body.total_baggages,
        "free_baggages": body.total_baggages - nonfree,
        "nonfree_baggages": nonfree,
        "charge": charge,
        "payment": payment,
    }
    return write_response(reservation_view(res), summary, dry_run)


def _change_rules(store: BackOfficeStore, res: Record, cabin: str, refs: list[FlightRef]) -> None:
    """The policy's rules on a change of flights or cabin that tau-bench's tool does not make."""
    if res.get("status") == "cancelled":
        raise RuleViolation("already_cancelled", "This reservation has already been cancelled.")
    old = res["flights"]
    kept = {(f["flight_number"], f["date"]) for f in old}
    new_keys = {(r.flight_number, r.date) for r in refs}
    if new_keys == kept and cabin == res["cabin"]:
        raise RuleViolation("no_change", "Those are already the reservation's flights and cabin.")
    if new_keys != kept and res["cabin"] == "basic_economy":
        raise RuleViolation(
            "basic_economy_flights",
            "Basic economy flights can't be changed; the cabin can be upgraded first, and then"
            " the flights can be changed.",
        )
    if any(flown(store, seg) for seg in old if (seg["flight_number"], seg["date"]) not in new_keys):
        raise RuleViolation(
            "segment_flown", "A flight already flown can't be changed; a human agent must help."
        )


def _change_flights(
    store: BackOfficeStore,
    res: Record,
    cabin: str,
    refs: list[FlightRef],
    payment_id: str | None,
    checks: Checks = "policy",
) -> Record:
    """tau-bench ``update_reservation_flights`` with the policy's checks; the summary."""
    with policy_checks(checks):
        _change_rules(store, res, cabin, refs)
    old = res["flights"]
    seats = len(res["passengers"])
    flights = price_segments(store, res, cabin, refs, seats)
    with policy_checks(checks):
        _require_route(res, flights)
    total = sum(f["price"] for f in flights) * seats - sum(f["price"] for f in old) * seats
    method = _pay_method(store, res, payment_id, total)
    payment = _settle(res, method, payment_id, total)
    summary = {
        "reservation_id": res["reservation_id"],
        "cabin": cabin,
        "old_cabin": res["cabin"],
        "old_flights": [segment_view(store, f) for f in old],
        "new_flights": [segment_view(store, f) for f in flights],
        "passengers": seats,
        "price_difference": total,
        "payment": payment,
    }
    res["flights"] = flights
    res["cabin"] = cabin
    return summary


def _require_route(res: Record, flights: list[Record]) -> None:
    start, end = flights[0]["origin"], flights[-1]["destination"]
    if res["flight_type"] == "round_trip":
        ok = start == end == res["origin"] and any(
            f["destination"] == res["destination"] for f in flights
        )
    else:
        ok = start == res["origin"] and end == res["destination"]
    if not ok:
        raise RuleViolation(
            "route_changed",
            f"New flights must keep the trip {res['origin']} to {res['destination']}"
            f" ({res['flight_type'].replace('_', ' ')}); a different trip needs a new booking.",
        )


@router.put("/reservations/{reservation_id}/flights")
async def change_flights(
    reservation_id: str,
    body: FlightsBody,
    store: StoreDep,
    dry_run: bool = False,
    checks: Checks = Query("policy", description=CHECKS_DOC),
) -> Record:
    store = write_target(store, dry_run)
    res = store.reservation(reservation_id)
    summary = _change_flights(store, res, body.cabin, body.flights, body.payment_id, checks)
    return write_response(reservation_view(res), {"action": "change_flights", **summary}, dry_run)


@router.post("/reservations/{reservation_id}/cabin")
async def change_cabin(
    reservation_id: str, body: CabinBody, store: StoreDep, dry_run: bool = False
) -> Record:
    """A cabin change: tau-bench's flight update with the same flights and a new cabin."""
    store = write_target(store, dry_run)
    res = store.reservation(reservation_id)
    require_open(store, res)
    if body.cabin == res["cabin"]:
        raise RuleViolation("same_cabin", f"The reservation is already in {body.cabin}.")
    refs = [FlightRef(flight_number=f["flight_number"], date=f["date"]) for f in res["flights"]]
    summary = _change_flights(store, res, body.cabin, refs, body.payment_id)
    return write_response(reservation_view(res), {"action": "change_cabin", **summary}, dry_run)


@router.put("/reservations/{reservation_id}/passengers")
async def update_passengers(
    reservation_id: str,
    body: PassengersBody,
    store: StoreDep,
    dry_run: bool = False,
    checks: Checks = Query("policy", description=CHECKS_DOC),
) -> Record:
    """tau-bench ``update_reservation_passengers``: same number of passengers."""
    store = write_target(store, dry_run)
    res = store.reservation(reservation_id)
    if res.get("status") == "cancelled":
        with policy_checks(checks):
            raise RuleViolation("already_cancelled", "This reservation has already been cancelled.")
    if len(body.passengers) != len(res["passengers"]):
        raise RuleViolation(
            "passenger_count",
            "Passenger details can be changed, but not the number of passengers.",
        )
    old = res["passengers"]
    res["passengers"] = [p.model_dump() for p in body.passengers]
    summary = {
        "action": "update_passengers",
        "reservation_id": res["reservation_id"],
        "old_passengers": old,
        "passengers": res["passengers"],
    }
    return write_response(reservation_view(res), summary, dry_run)
