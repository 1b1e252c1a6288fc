"""Picking among the choices an airline bot offers, as the traveller: a flight, a reservation,
a day, a passenger, a disrupted flight, a number of bags, a fixed label (insurance, cabin, trip
type, the cause of a cancellation), a payment method, who travels, or a request."""

from __future__ import annotations

import re
from collections.abc import Callable

from .airline_offers import leg_text, offers, pick_offer
from .airline_traveller import Traveller
from .airline_trips import best_trip, dates_in
from .airline_wants import (
    names_a_request,
    passenger_change,
    payment_labels,
    plain_request,
    request_score,
    spoken_payment,
    wanted_insurance,
    wanted_reason,
)
from .talk import UNSURE, last_question

_RESERVATION_LABEL = re.compile(r"^(?P<code>[A-Z0-9]{6}): [A-Z]{3} -> [A-Z]{3}")
_ISO = re.compile(r"^20\d\d-\d\d-\d\d$")
_BORN = re.compile(r"^(?P<name>.+?) \(born (?P<dob>[\d-]+)\)$")
_DISRUPTED = re.compile(
    r"^(?P<flight>HAT\d{3}) on (?P<date>[\d-]+) \((?P<status>cancelled|delayed)\)$"
)


def pick_flight(traveller: Traveller, question: str, choices: list[str]) -> str | None:
    if not offers(choices):
        return None
    back = bool(re.search(r"\bback\b|\breturn\b", question))
    chosen = pick_offer(choices, leg_text(traveller.wanted, back))
    return chosen.split(",")[0] if chosen else UNSURE


def pick_reservation(traveller: Traveller, question: str, choices: list[str]) -> str | None:
    codes = [m["code"] for c in choices if (m := _RESERVATION_LABEL.match(c))]
    if not codes and choices and all(re.fullmatch(r"[A-Z0-9]{6}", c.strip()) for c in choices):
        # bare codes: a traveller does not know them, but can say which trip it is
        trip = traveller.described_trip()
        if trip is None:
            return UNSURE
        day = trip.dates[0] if trip.dates else ""
        return f"I don't know the code; it's my trip from {trip.origin} to {trip.destination} on {day}."
    if not codes:
        return None
    mine = {t.reservation_id: t for t in traveller.trips or []}
    offered = [mine[c] for c in codes if c in mine]
    trip = best_trip(offered, traveller.wanted)
    if trip is None:
        return UNSURE
    traveller.trip = trip
    return trip.reservation_id


def pick_date(traveller: Traveller, question: str, choices: list[str]) -> str | None:
    if not choices or not all(_ISO.match(c.strip()) for c in choices):
        return None
    out, back = traveller.dates()
    is_back = bool(re.search(r"\bback\b|\breturn\b", question))
    hit = next((d for d in (back if is_back else out) if d in choices), None)
    if hit or not is_back:
        return hit or UNSURE
    trip = (
        traveller.described_trip() if request_score("change my flights", traveller.wanted) else None
    )
    if not back and trip and trip.return_date in choices:
        return trip.return_date  # the way back stays as it is
    if back and out and not traveller.corrected:
        # the flights out were found for another day: the return days offered show it
        traveller.corrected = True
        return f"Actually, the flight out should be on {out[0]}."
    return UNSURE


def pick_passenger(traveller: Traveller, question: str, choices: list[str]) -> str | None:
    born = [m for c in choices if (m := _BORN.match(c.strip()))]
    if not born or len(born) != len(choices):
        return None
    change = passenger_change(traveller.wanted)
    if change is not None:
        return next((m["name"] for m in born if m["name"] == change[0]), UNSURE)
    # the one passenger the instruction names (not the traveller, who is named only as "you")
    named = [m["name"] for m in born if m["name"] in traveller.wanted]
    return named[0] if len(named) == 1 else UNSURE


def pick_disrupted(traveller: Traveller, question: str, choices: list[str]) -> str | None:
    found = [m for c in choices if (m := _DISRUPTED.match(c.strip()))]
    if not found:
        return None
    days = {d for _, d in dates_in(traveller.wanted)}
    fits = [m for m in found if m["date"] in days or m["flight"] in traveller.wanted]
    fits = fits or [m for m in found if m["status"] in traveller.wanted] or found
    return fits[0]["flight"] if len(fits) == 1 else UNSURE


def pick_count(traveller: Traveller, question: str, choices: list[str]) -> str | None:
    counts = [re.match(r"^(\d+) bags?\b", c.strip()) for c in choices]
    if not choices or not all(counts):
        return None
    wanted = traveller.bags()
    for choice, m in zip(choices, counts, strict=True):
        if m and wanted is not None and int(m.group(1)) == wanted:
            return re.sub(r"\s*\(.*$", "", choice)
    return UNSURE


def pick_fixed(traveller: Traveller, question: str, choices: list[str]) -> str | None:
    """Insurance, cabin, trip type and the cancellation's cause: fixed lists of labels."""
    lowered = [c.strip().lower() for c in choices]
    if any("insurance" in c for c in lowered) and all(c.startswith(("yes", "no")) for c in lowered):
        stance = wanted_insurance(traveller.wanted)
        if stance is None:
            return UNSURE
        return next(c for c, low in zip(choices, lowered, strict=True) if low.startswith(stance))
    if set(lowered) <= {"basic economy", "economy", "business"}:
        cabin = traveller.cabin()
        return cabin.replace("_", " ") if cabin and cabin.replace("_", " ") in lowered else UNSURE
    if set(lowered) <= {"one way", "round trip"}:
        round_trip = re.search(r"round[- ]trip|\bback on\b|\breturn", traveller.wanted, re.I)
        return "round trip" if round_trip else "one way"
    if "change of plan" in lowered and any("airline" in c for c in lowered):
        reason = wanted_reason(traveller.wanted)
        key = reason if reason in ("change of plan", "the airline cancelled the flight") else ""
        return next(
            (
                c
                for c, low in zip(choices, lowered, strict=True)
                if low == key or (not key and re.search(r"\bother\b|\banother\b", low))
            ),
            None,
        )
    if any(c.startswith(("health", "weather", "something else")) for c in lowered):
        reason = wanted_reason(traveller.wanted)
        key = "health" if "health" in reason else "weather" if "weather" in reason else "something"
        return next(
            (c for c, low in zip(choices, lowered, strict=True) if low.startswith(key)), None
        )
    return None


def pick_payment(traveller: Traveller, question: str, choices: list[str]) -> str | None:
    if not any(re.search(r"\bending \d{4}\b|\bgift card\b|\bcertificate\b", c) for c in choices):
        return None
    picked = payment_labels(choices, traveller.wanted)
    if not picked:
        return UNSURE
    every = [c for c in choices if not re.match(r"^\s*all of them\s*$", c, re.I)]
    if len(every) < len(choices) and len(picked) == len(every) > 1:
        return next(c for c in choices if c not in every)
    return " and ".join(spoken_payment(p) for p in picked)


def pick_travellers(traveller: Traveller, question: str, choices: list[str]) -> str | None:
    if not re.search(r"\bwho is travel+ing\b|\bpassengers?\b", question):
        return None
    wanted = traveller.travellers()
    picked = [c for c in choices if c.removesuffix(" (you)").strip() in wanted]
    return " and ".join(picked) if picked else UNSURE


def pick_request(traveller: Traveller, current: str, choices: list[str]) -> str | None:
    """Among requests (the pack's intents), the one the current request asks for."""
    scored = sorted(
        (
            (max(request_score(c, current), request_score(c, traveller.wanted) - 0.5), -i, c)
            for i, c in enumerate(choices)
        ),
        reverse=True,
    )
    if scored and scored[0][0] > 0:
        return scored[0][2]
    if any(names_a_request(c) for c in choices):
        # none of the requests offered is the one wanted: say it in words rather than pick one
        return plain_request(current) or plain_request(traveller.wanted)
    return None


_PICKS: tuple[Callable[[Traveller, str, list[str]], str | None], ...] = (
    pick_flight,
    pick_reservation,
    pick_date,
    pick_passenger,
    pick_disrupted,
    pick_count,
    pick_fixed,
    pick_payment,
    pick_travellers,
)


def choose_airline(
    traveller: Traveller, bot_text: str, choices: list[str], current: str
) -> str | None:
    """The answer to a question offering airline choices, or None when none applies."""
    question = last_question(bot_text).lower() or bot_text.lower()
    for pick in _PICKS:
        answer = pick(traveller, question, choices)
        if answer is not None:
            return answer
    return pick_request(traveller, current, choices)
