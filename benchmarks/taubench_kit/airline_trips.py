"""A traveller's trips and how a text names them: dates, airports, cabins and people; a trip as
its traveller knows it, how well a description fits it, and the trips of a user of the
reference back office."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from warmline.domain.dates import MONTHS

YEAR = "2024"
TODAY = "2024-05-15"
_MONTHS = {m: i + 1 for i, m in enumerate(MONTHS)}
_MONTH_NAMES = "|".join(list(_MONTHS) + [m[:3] for m in _MONTHS])
_DATE = re.compile(
    rf"\b(?P<iso>20\d\d-\d\d-\d\d)\b"
    rf"|\b(?P<month>{_MONTH_NAMES})\.? (?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"
    rf"|\b(?P<day2>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month2>{_MONTH_NAMES})\b"
    r"|\b(?P<today>today|tonight)\b",
    re.I,
)
AIRPORTS: dict[str, tuple[str, ...]] = {
    "ATL": ("atlanta",),
    "BOS": ("boston",),
    "CLT": ("charlotte",),
    "DEN": ("denver",),
    "DFW": ("dallas", "fort worth"),
    "DTW": ("detroit",),
    "EWR": ("newark",),
    "IAH": ("houston",),
    "JFK": ("new york jfk", "kennedy"),
    "LAS": ("las vegas", "vegas"),
    "LAX": ("los angeles",),
    "LGA": ("laguardia", "new york laguardia"),
    "MCO": ("orlando",),
    "MIA": ("miami",),
    "MSP": ("minneapolis",),
    "ORD": ("chicago", "o'hare"),
    "PHL": ("philadelphia", "philly"),
    "PHX": ("phoenix",),
    "SEA": ("seattle",),
    "SFO": ("san francisco",),
}
CABINS = ("basic economy", "economy", "business")
NAME = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)? [A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_NOT_NAMES = frozenset(
    [
        "New",
        "York",
        "Los",
        "Angeles",
        "Las",
        "Vegas",
        "San",
        "Francisco",
        "Fort",
        "Worth",
        "Warmline",
        "Air",
        "Your",
        "User",
    ]
)


def dates_in(text: str) -> list[tuple[int, str]]:
    """Every date the text names, as (position, YYYY-MM-DD), in order."""
    found = []
    for m in _DATE.finditer(text):
        if m["iso"]:
            found.append((m.start(), m["iso"]))
        elif m["today"]:
            found.append((m.start(), TODAY))
        else:
            month = _MONTHS.get((m["month"] or m["month2"]).lower()) or next(
                v for k, v in _MONTHS.items() if k.startswith((m["month"] or m["month2"]).lower())
            )
            day = int(m["day"] or m["day2"])
            found.append((m.start(), f"{YEAR}-{month:02d}-{day:02d}"))
    return found


def airports_in(text: str) -> list[str]:
    """The airports the text names (codes or cities), in order of mention."""
    lowered = text.lower()
    hits: list[tuple[int, int, str]] = []
    for code, names in AIRPORTS.items():
        for m in re.finditer(rf"\b{code}\b", text):
            hits.append((m.start(), m.end(), code))
        for name in names:
            for m in re.finditer(rf"\b{re.escape(name)}\b", lowered):
                hits.append((m.start(), m.end(), code))
    hits.sort(key=lambda h: (h[0], -h[1]))
    codes: list[str] = []
    end = -1
    for start, stop, code in hits:
        if start >= end:
            codes.append(code)
            end = stop
    return codes


def cabins_in(text: str) -> list[str]:
    """The cabins the text names, in order ("basic economy" is not also "economy")."""
    found = re.findall(r"\bbasic economy\b|\b(?:regular |main )?economy\b|\bbusiness\b", text, re.I)
    return [
        "basic_economy"
        if "basic" in c.lower()
        else "business"
        if "business" in c.lower()
        else "economy"
        for c in found
    ]


def names_in(text: str) -> list[str]:
    """The people the text names ("Chen Kovacs"), in order."""
    names = []
    for m in re.finditer(rf"(?<![A-Za-z])({NAME})(?![A-Za-z])", text):
        name = m.group(1)
        if set(name.split()) & _NOT_NAMES or name.split()[0] in {"You", "Your", "If", "At", "The"}:
            continue
        names.append(name)
    return names


@dataclass
class Trip:
    """One reservation as its traveller knows it."""

    reservation_id: str
    origin: str
    destination: str
    flight_type: str
    cabin: str
    dates: list[str]
    passengers: list[dict[str, str]]
    status: str = "active"
    return_date: str = ""
    bags: int = 0

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Trip:
        flights = record.get("flights", [])
        return cls(
            reservation_id=str(record.get("reservation_id", "")),
            origin=str(record.get("origin", "")),
            destination=str(record.get("destination", "")),
            flight_type=str(record.get("flight_type", "")),
            cabin=str(record.get("cabin", "")),
            dates=[str(f.get("date", "")) for f in flights],
            passengers=[
                {k: str(p.get(k, "")) for k in ("first_name", "last_name", "dob")}
                for p in record.get("passengers", [])
            ],
            status=str(record.get("status", "active")),
            bags=int(record.get("total_baggages", 0) or 0),
            return_date=next(
                (
                    str(f.get("date", ""))
                    for f in flights
                    if f.get("origin") == record.get("destination")
                ),
                "",
            ),
        )

    def names(self) -> list[str]:
        return [f"{p['first_name']} {p['last_name']}" for p in self.passengers]


def trip_score(trip: Trip, text: str) -> float:
    """How well a description fits a trip: its code, airports, dates, cabin, travellers."""
    if trip.reservation_id and re.search(rf"\b{trip.reservation_id}\b", text):
        return 100.0
    score = 0.0
    said = airports_in(text)
    score += 3.0 * len({trip.origin, trip.destination} & set(said))
    days = {d for _, d in dates_in(text)}
    if trip.dates and trip.dates[0] in days:
        score += 3.0
    elif days & set(trip.dates):
        score += 2.0
    if trip.cabin in cabins_in(text):
        score += 1.0
    score += 2.0 * sum(1 for n in trip.names() if n in text)
    kind = "round_trip" if re.search(r"round[- ]trip", text, re.I) else None
    kind = kind or ("one_way" if re.search(r"one[- ]way", text, re.I) else None)
    if kind:
        score += 1.0 if kind == trip.flight_type else -1.0
    return score


def best_trip(trips: list[Trip], text: str) -> Trip | None:
    """The one trip the text describes best, or None when none fits or two fit equally."""
    scored = sorted(((trip_score(t, text), i) for i, t in enumerate(trips)), reverse=True)
    if not scored or scored[0][0] <= 0:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return trips[scored[0][1]]


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, Any], dict[str, Any]]:
    from warmline.demo.backoffice.store import load_table

    return load_table("airline", "users"), load_table("airline", "reservations")


def trips_of(user_id: str) -> tuple[list[Trip], dict[str, Any]]:
    """A traveller's trips and profile, from the airline tables."""
    users, reservations = _tables()
    profile = users.get(user_id, {})
    held = [reservations[r] for r in profile.get("reservations", []) if r in reservations]
    return [Trip.from_record(r) for r in held], profile


def next_day(day: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
