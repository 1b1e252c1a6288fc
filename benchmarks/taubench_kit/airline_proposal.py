"""An airline proposal at confirmation, judged element by element (reservation, reason,
flights and days, cabin, bags, passengers, payment) against what the instruction asks for."""

from __future__ import annotations

import re
from collections.abc import Callable

from .airline_offers import NONSTOP, STOP_FINE, departure_problems, leg_text
from .airline_traveller import Traveller
from .airline_trips import airports_in, next_day, trip_score
from .airline_wants import (
    CARD,
    passenger_change,
    payment_labels,
    request_score,
    wanted_bags,
    wanted_insurance,
    wanted_methods,
    wanted_reason,
)

#: one element's check: what in the proposal the instruction does not support
_Check = Callable[[Traveller, str], list[str]]


def proposal_problems(traveller: Traveller, proposal: str) -> list[str]:
    """What in a proposal the instruction does not support (empty: all of it)."""
    kinds: list[tuple[str, str, _Check]] = [
        (
            "cancel a reservation",
            r"\bcancel the whole\b|\bShall I cancel\b",
            _cancel_problems,
        ),
        (
            "book a new flight",
            r"\bthe booking I'd make\b|\bShall I book\b",
            _booking_problems,
        ),
        ("change cabin class", r"\bevery flight moves from\b", _cabin_problems),
        ("change my flights", r"^\s*- new:", _flight_problems),
        ("add a checked bag", r"\bchecked bags in total\b", _bag_problems),
        ("correct a passenger's details", r"\bbecomes\b", _passenger_problems),
        ("compensation", r"\btravel certificate of\b", lambda _t, _p: []),
    ]
    for request, pattern, check in kinds:
        if re.search(pattern, proposal, re.M):
            if request_score(request, traveller.wanted) <= 0:
                return [f"I didn't ask to {request}"]
            return _reservation_problems(traveller, proposal) + check(traveller, proposal)
    return ["I'm not sure that is what I asked for"]


def _reservation_problems(traveller: Traveller, proposal: str) -> list[str]:
    named = re.findall(r"\breservation ([A-Z0-9]{6})\b", proposal)
    if not named:
        return []
    trip = traveller.described_trip()
    mine = {t.reservation_id: t for t in traveller.trips or []}
    if trip and named[0] != trip.reservation_id:
        return [
            f"I mean my trip from {trip.origin} to {trip.destination}, reservation {trip.reservation_id}"
        ]
    if not trip and (named[0] not in mine or trip_score(mine[named[0]], traveller.wanted) <= 0):
        return [f"I'm not sure {named[0]} is the trip I mean"]
    return []


def _cancel_problems(traveller: Traveller, proposal: str) -> list[str]:
    """The reason the proposal states must be the instruction's."""
    stated = re.search(r"\bReason: ([^.(\n]+?)(?: \((health|weather)\))?\.", proposal)
    if not stated:
        return []
    said = stated.group(2) or stated.group(1).strip()
    wanted = wanted_reason(traveller.wanted)
    kinds = {
        "change of plan": "change of plan",
        "the airline cancelled a flight": "the airline cancelled the flight",
        "health": "health reasons, I'm sick",
        "weather": "bad weather",
    }
    if kinds.get(said, "another reason") != wanted:
        return [f"the reason is {wanted}"]
    return []


def _paid_with(traveller: Traveller, proposal: str) -> list[str]:
    """The payment labels a proposal charges or refunds."""
    return re.findall(
        r"(?:charged|refunded|Charge: \$[\d.,]+) to your ([^.\n]+?)\.(?:\s|$)", proposal
    )


def _payment_problems(traveller: Traveller, proposal: str) -> list[str]:
    labels = _paid_with(traveller, proposal)
    wrong = [label for label in labels if not payment_labels([label], traveller.wanted)]
    return [
        f"I want to pay with my {traveller.payment_named()}, not the {label}" for label in wrong
    ]


def _flight_problems(traveller: Traveller, proposal: str) -> list[str]:
    new = re.search(r"^\s*- new:(.*)$", proposal, re.M)
    days = re.findall(r"\bon (20\d\d-\d\d-\d\d)\b", new.group(1) if new else "")
    clocks = re.findall(r"\bat (\d\d:\d\d)\b", new.group(1) if new else "")
    out, back = traveller.dates()
    allowed = _days_allowed(out + back)
    problems = [
        f"I wanted to fly on {' and '.join(out + back)}"
        for d in days[:1]
        if allowed and not set(days) <= allowed
    ]
    way_back = bool(new and re.search(r"\bback\b|\breturn", proposal[: new.start()], re.I))
    problems += departure_problems(leg_text(traveller.wanted, way_back), clocks)
    flights = re.findall(r"\bHAT\d{3}\b", new.group(1) if new else "")
    only_nonstop = NONSTOP.search(traveller.wanted) and not STOP_FINE.search(traveller.wanted)
    if only_nonstop and len(flights) > 1 and len(days) == len(flights) and len(set(days)) == 1:
        problems.append("I want a nonstop flight")
    cabin = re.search(r"\bin (basic economy|economy|business):", proposal)
    wanted = traveller.cabin()
    if cabin and wanted and cabin.group(1).replace(" ", "_") != wanted:
        problems.append(f"I want to stay in {wanted.replace('_', ' ')}")
    return problems + _payment_problems(traveller, proposal)


def _cabin_problems(traveller: Traveller, proposal: str) -> list[str]:
    moved = re.search(r"\bto (basic economy|economy|business)\b", proposal)
    wanted = traveller.cabin()
    problems = []
    if not moved or not wanted or moved.group(1).replace(" ", "_") != wanted:
        problems.append(f"I want {(wanted or 'a different cabin').replace('_', ' ')}")
    return problems + _payment_problems(traveller, proposal)


def _bag_problems(traveller: Traveller, proposal: str) -> list[str]:
    total = re.search(r"\b(\d+) checked bags in total\b", proposal)
    wanted = traveller.bags()
    problems = []
    if not total or wanted is None or int(total.group(1)) != wanted:
        problems.append(
            f"I want {wanted if wanted is not None else 'a different number of'} bags in total"
        )
    return problems + _payment_problems(traveller, proposal)


def _passenger_problems(traveller: Traveller, proposal: str) -> list[str]:
    change = passenger_change(traveller.wanted)
    found = re.findall(
        r"^\s*- (.+?) \(born ([\d-]+)\) becomes (.+?) \(born ([\d-]+)\)", proposal, re.M
    )
    if not change:
        return ["I didn't ask to change a passenger"]
    old, new, dob = change
    dob = dob or traveller.old_dob(old)
    if len(found) != 1 or found[0][0] != old or found[0][2] != new or (dob and found[0][3] != dob):
        return [f"{old} should become {new}" + (f", born {dob}" if dob else "")]
    return []


def _booking_problems(traveller: Traveller, proposal: str) -> list[str]:
    problems = []
    route = re.search(
        r"\b(round trip|one-way) ([A-Z]{3}) → ([A-Z]{3})(?: and back)? in ([a-z ]+)\.", proposal
    )
    said = airports_in(traveller.wanted)
    if not route or said[:2] != [route.group(2), route.group(3)]:
        problems.append(f"I want to fly from {' to '.join(said[:2]) or 'somewhere else'}")
    elif (route.group(1) == "round trip") != bool(traveller.dates()[1]):
        problems.append("I want a " + ("round trip" if traveller.dates()[1] else "one-way trip"))
    if route and traveller.cabin() and route.group(4).replace(" ", "_") != traveller.cabin():
        problems.append(f"I want {str(traveller.cabin()).replace('_', ' ')}")
    days = re.findall(r"^\s*- HAT\d{3} on (20\d\d-\d\d-\d\d)", proposal, re.M)
    out, back = traveller.dates()
    allowed = _days_allowed(out + back)
    if not days or not set(days) <= allowed:
        problems.append(f"I want to fly on {' and '.join(out + back) or 'other dates'}")
    people = re.search(r"^Passengers: (.*)\.$", proposal, re.M)
    listed = {p.strip() for p in people.group(1).split(",")} if people else set()
    if listed != set(traveller.travellers()):
        problems.append(f"the passengers should be {' and '.join(traveller.travellers())}")
    problems += _booking_extras(traveller, proposal)
    return problems


def _booking_extras(traveller: Traveller, proposal: str) -> list[str]:
    problems = []
    bags = re.search(r"\bChecked bags: (\d+)", proposal)
    wanted = wanted_bags(traveller.wanted) or 0
    if not bags or int(bags.group(1)) != wanted:
        problems.append(f"I want {wanted} checked bags")
    insured = re.search(r"\bTravel insurance: (yes|no)\b", proposal)
    stance = wanted_insurance(traveller.wanted)
    if not insured or stance is None or insured.group(1) != stance:
        problems.append(
            "I want travel insurance" if stance == "yes" else "I don't want travel insurance"
        )
    paid = re.findall(r"\$[\d.,]+ on your ([^,.\n]+(?:\(\$[\d.,]+\))?)", proposal)
    if not paid or any(not payment_labels([label], traveller.wanted) for label in paid):
        problems.append(f"I want to pay with my {traveller.payment_named()}")
    else:
        problems += _methods_problems(traveller, paid)
    return problems


def _methods_problems(traveller: Traveller, paid: list[str]) -> list[str]:
    """Every payment method the instruction pays with must be used ("use up both of your gift
    cards and put the rest on the Mastercard" is no booking paid by the card alone)."""
    used = {"gift card": 0, "certificate": 0, "card": 0}
    for label in paid:
        kind = next((k for k in ("gift card", "certificate") if k in label.lower()), "card")
        used[kind] += 1
    wanted = wanted_methods(traveller.wanted)
    short = {k: n for k, n in wanted.items() if used.get(k, 0) < n}
    if not short:
        return []
    card = CARD.search(traveller.wanted)
    one = {"gift card": "my gift card", "certificate": "my certificate"}
    one["card"] = f"my {card[0]}" if card else "my credit card"
    several = {"gift card": "gift cards", "certificate": "certificates", "card": "cards"}
    named = [
        f"{'both' if n == 2 else n} {several[k]}" if n > 1 else one[k] for k, n in wanted.items()
    ]
    return [f"I want to pay with {' and '.join(named)}"]


def _days_allowed(days: list[str]) -> set[str]:
    """The days a proposal may fly on: those asked for and the day after each."""
    return set(days) | {next_day(d) for d in days}
