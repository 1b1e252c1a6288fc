"""The scripted customer of an airline task: the retail customer's reading of the instruction,
plus what an airline customer knows of their own trips.

A traveller knows their reservations as trips (where from and to, the dates, who flies, the
cabin), not by code; the instruction tells what they want (new dates, which flight among those
offered, the cabin, bags, passengers, insurance, how to pay, why they cancel). Every answer is
read from those two; a proposal gets a yes only when each element it names (reservation,
flights, dates, cabin, bags, passengers, payment) is what the instruction asks for.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from .customer import Customer
from .identity import identity_answer
from .instruction import is_persona, sentences
from .proposal import mind_change
from .talk import END, UNSURE, is_confirmation

YEAR = "2024"
TODAY = "2024-05-15"
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
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
_NUMBER = {
    "no": 0,
    "zero": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
}
_NAME = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)? [A-Z][a-z]+(?:-[A-Z][a-z]+)?"
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
        "Horizon",
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
    for m in re.finditer(rf"(?<![A-Za-z])({_NAME})(?![A-Za-z])", text):
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


# --- what the instruction asks for ------------------------------------------------------------

_NEGATED = re.compile(r"\b(?:not|n't|never|no longer want to)\s+(?:\w+\s+){0,2}$", re.I)


def _said(pattern: str, text: str) -> bool:
    """Whether the text says it, not negated just before ("do not want to cancel")."""
    for m in re.finditer(pattern, text, re.I):
        if not _NEGATED.search(text[max(0, m.start() - 30) : m.start()]):
            return True
    return False


_BAGS = r"\b(?:checked )?(?:bags?|suitcases?|luggage|baggage)\b"
#: (label words, what the instruction says for that request, weight)
_REQUESTS: list[tuple[str, str, float]] = [
    (r"compensation", r"\bcompensat|\bgesture\b|\bvoucher\b|\bsomething for the trouble\b", 6),
    (
        r"already started",
        r"\balready (?:flew|flown|used|taken)\b|\bused the (?:first|outbound)\b",
        6,
    ),
    (
        r"\bcancel a reservation\b",
        r"\bcancel (?:it|that|the|this|my|our|your|a)\b|\bto cancel\b"
        r"|\b(?:want|need|like|get)\w* (?:it|that|this|the|my|our|your)(?: \w+){0,2} cancell?ed\b",
        3,
    ),
    (
        r"\bbook\b",
        r"\b(?:want|like|need)s? to book\b|\bbook (?:a|an|me|two|three)\b|\bnew booking\b"
        r"|^book\b|[.;] book\b|\bbook (?:you|me|us|him|her|them|my|our|I)\b"
        r"|\b(?:need|want|like)s? an? (?:new |one-way |round[- ]trip )+flight\b"
        r"|\b(?:need|want|like)s? (?:a|an|two|three) (?:[\w-]+ ){0,4}tickets?\b",
        3,
    ),
    (
        r"change my flights",
        r"\binstead\b|\bpush\b|\breschedul|\bdifferent (?:flight|date)s?\b|\bfly out on\b"
        r"|\brather (?:leave|fly|depart|go)\b|\b(?:later|earlier) (?:date|day|flight)\b"
        r"|\b(?:switch|change|move) to the (?:cheapest|nonstop|earlier|later)\b"
        r"|\b(?:change|move) (?:my|the|their|his|her) (?:flight|date)s?\b",
        3,
    ),
    (
        r"cabin",
        r"\bupgrade\b|\bdowngrade\b|\b(?:change|switch)\w* (?:the |my |our )?cabin\b|\bcabin class\b|\b(?:up|move\w*) (?:\w+ )*?to (?:regular )?(?:business|economy)\b",
        4,
    ),
    (
        r"\badd a checked bag\b",
        rf"\b(?:want|need|add|bring|take)\w*\b[^.]*{_BAGS}[^.]*\bin total\b"
        rf"|\b(?:want|need|add|bring|take)\w*\b[^.]*\b(?:more|extra|additional|another)\b[^.]*{_BAGS}",
        3,
    ),
    (
        r"remove a checked bag",
        rf"\bremov\w*\b[^.]*{_BAGS}|{_BAGS}[^.]*\bremov|\bonly need one\b",
        5,
    ),
    (r"allowance", r"\bhow many\b[^.]*\bfree\b|\ballowance\b|\bwhat an extra bag costs\b", 5),
    (
        r"correct a passenger",
        r"\bmisspel|\bshould be\b|\breplaced? (?:by|with)\b|\btake (?:his|her|their) place\b"
        r"|\bwrong (?:name|date of birth)\b",
        5,
    ),
    (
        r"number of passengers",
        r"\badd\b[^.]{0,40}\bto (?:my|your|the|our) (?:existing )?(?:reservation|booking)",
        4,
    ),
    (r"look up", r"\bdetails\b|\bforgot\b|\bwhich day\b|\blook up\b|\bwhat (?:time|date)\b", 2),
    (r"status", r"\bstatus\b|\bon time\b|\bexpected to (?:leave|depart|arrive)\b", 3),
    (r"insurance", r"\binsurance\b", 0.5),
    (r"refund arrives", r"\bwhen\b[^.]*\brefund\b", 1),
    (r"complaint", r"\bcomplain", 1),
    (r"lost or damaged", r"\blost\b|\bdamaged\b|\bbroken\b", 2),
]


def request_score(label: str, text: str) -> float:
    """How much the instruction asks for the request a label names (an intent's label)."""
    score = 0.0
    for label_words, said_as, weight in _REQUESTS:
        if re.search(label_words, label, re.I) and _said(said_as, text):
            if label_words == r"\badd a checked bag\b" and _said(_REQUESTS[7][1], text):
                continue
            if label_words == r"number of passengers" and re.search(_BAGS, text, re.I):
                continue
            score = max(score, weight)
    return score


#: the request in plain words, for a bot that did not understand it the first time
_PLAIN = {
    "compensation": "I'd like compensation for a cancelled or delayed flight.",
    "cancel a reservation": "I'd like to cancel a reservation.",
    "book a new flight": "I'd like to book a new flight.",
    "change my flights": "I'd like to change my flights.",
    "cabin": "I'd like to change the cabin class of my reservation.",
    "add a checked bag": "I'd like to add checked bags to my reservation.",
    "remove a checked bag": "I'd like to remove a checked bag.",
    "allowance": "How many checked bags are free?",
    "correct a passenger": "I need to correct a passenger's details on my reservation.",
    "number of passengers": "I'd like to add a passenger to my reservation.",
    "look up": "I'd like to look up my reservation.",
    "status": "I'd like to check the status of my flight.",
}


def plain_request(text: str) -> str | None:
    """The request the text asks for most, in plain words."""
    scored = [(request_score(label, text), phrase) for label, phrase in _PLAIN.items()]
    best = max(scored, default=(0.0, ""))
    return best[1] if best[0] > 0 else None


def wanted_bags(text: str, held: int = 0) -> int | None:
    """The number of checked bags the instruction settles on ("three checked bags in total");
    bags "more" than a trip ``held`` are added to them ("two more bags")."""
    counts = []
    number = r"\b(no|zero|one|a|an|two|three|four|five|\d)\s+"
    for m in re.finditer(
        number + r"(?:more|extra|additional|other)\s+(?:checked\s+)?(?:bags?|suitcases?)\b",
        text,
        re.I,
    ):
        value = _NUMBER.get(m.group(1).lower(), 1 if m.group(1).lower() == "an" else None)
        counts.append((False, m.start(), held + (int(m.group(1)) if value is None else value)))
    for m in re.finditer(
        number + r"(?:checked\s+)?(?:bags?|suitcases?|pieces of luggage)\b", text, re.I
    ):
        value = _NUMBER.get(m.group(1).lower())
        value = int(m.group(1)) if value is None else value
        total = bool(re.match(r"[^.]{0,25}\b(?:in total|between)", text[m.end() :]))
        counts.append((total, m.start(), value))
    if not counts:
        return None
    totals = [c for c in counts if c[0]]
    return sorted(totals or counts)[-1][2]


def wanted_insurance(text: str) -> str | None:
    """Yes or no to travel insurance, as the instruction finally decides."""
    stance = None
    for sentence in sentences(text):
        if not re.search(r"\binsurance\b", sentence, re.I):
            continue
        last = re.split(r",? but |; ", sentence)[-1]
        if re.search(r"\binsurance\b|\bit\b", last, re.I):
            negative = re.search(r"\b(?:no|not|without|neither|nor|refuse\w*)\b|n't\b", last, re.I)
            stance = "no" if negative else "yes"
    return stance


def wanted_reason(text: str) -> str:
    """Why the trip is cancelled, in the words the pack's question offers."""
    if re.search(r"\bairline cancel|\bcancel\w* by the airline\b|\byou cancel", text, re.I):
        return "the airline cancelled the flight"
    if re.search(r"\bhealth\b|\bsick\b|\bill(?:ness)?\b|\bflu\b|\bdoctor\b|\binjur", text, re.I):
        return "health reasons, I'm sick"
    if re.search(r"\bweather\b|\bstorm\b|\bsnow\b|\bhurricane\b", text, re.I):
        return "bad weather"
    if re.search(
        r"\bplans? (?:have |has )?changed\b|\bchange of plans?\b|\bcalled off\b", text, re.I
    ):
        return "change of plan"
    return "another reason"


def passenger_change(text: str) -> tuple[str, str, str | None] | None:
    """(old name, new name, new date of birth or None) of a passenger correction."""
    born = re.search(
        rf"(?P<old>{_NAME})'s (?:date of birth|birth ?date|dob|birthday)\b[^.]*?"
        r"\b(?:should be|is actually|is really|is in fact|to) (?P<dob>(?:19|20)\d\d-\d\d-\d\d)",
        text,
    )
    if born:
        return born["old"], born["old"], born["dob"]
    patterns = [
        rf"(?P<old>{_NAME}) should be (?P<new>{_NAME})",
        rf"(?P<old>{_NAME}) (?:to be )?replaced (?:by|with) (?P<new>{_NAME})",
        rf"replace (?P<old>{_NAME}) (?:by|with) (?P<new>{_NAME})",
    ]
    for pattern in patterns:
        m = re.search(pattern, text)
        if m:
            born = re.search(
                rf"{re.escape(m['new'])},? (?:\w+ )?born (?:on )?(20\d\d-\d\d-\d\d|19\d\d-\d\d-\d\d)",
                text,
            )
            return m["old"], m["new"], born.group(1) if born else None
    return None


# --- flights offered --------------------------------------------------------------------------

_FLIGHT_LABEL = re.compile(
    r"^(?P<legs>HAT\d{3} \d\d:\d\d(?: -> HAT\d{3} \d\d:\d\d)*), (?P<cabin>[a-z ]+) \$(?P<price>[\d.]+)$"
)
_BACK = re.compile(
    r"\b(?:(?:come|coming|fly|flying|get|getting|head|heading) )?back\b|\breturn", re.I
)
_BOTH_WAYS = re.compile(r"\bboth ways\b|\beach way\b|\bboth directions\b", re.I)
_PREFERENCE = re.compile(
    r"non-?stop|direct|cheap|earl|late|last|first|morning|afternoon|evening|noon|night|\bat \d",
    re.I,
)


@dataclass
class Offer:
    """One itinerary offered as a choice: ``HAT052 03:00 -> HAT003 07:00, economy $225``."""

    label: str
    stops: int
    departure: int  # minutes after midnight
    price: float


def offers(choices: list[str]) -> list[Offer]:
    found = []
    for label in choices:
        m = _FLIGHT_LABEL.match(label.strip())
        if m:
            hour, minute = re.findall(r"(\d\d):(\d\d)", m["legs"])[0]
            found.append(
                Offer(label, m["legs"].count("->"), int(hour) * 60 + int(minute), float(m["price"]))
            )
    return found


def leg_text(text: str, back: bool) -> str:
    """The part of the instruction about the flight out, or the flight back."""
    if _BOTH_WAYS.search(text):
        return text
    split = _BACK.search(text)
    if not split:
        return text
    part = text[split.start() :] if back else text[: split.start()]
    return part if _PREFERENCE.search(part) else text


def _time_window(text: str) -> tuple[int, int] | None:
    m = re.search(
        r"\bat (\d{1,2})(?::(\d\d))? ?(in the morning|am|a\.m\.|in the evening|pm|p\.m\.)?",
        text,
        re.I,
    )
    if m and (m.group(3) or re.search(r"\bleaves? at\b", text, re.I)):
        hour = int(m.group(1)) % 12 + (
            12 if m.group(3) and re.match(r"in the evening|p", m.group(3)) else 0
        )
        minute = int(m.group(2) or 0)
        return hour * 60 + minute, hour * 60 + minute
    windows = [
        (r"\bbefore noon\b|\bin the morning\b|\bmorning\b", (0, 11 * 60 + 59)),
        (r"\bin the afternoon\b|\bafternoon\b", (12 * 60, 17 * 60 + 59)),
        (r"\bin the evening\b|\bevening\b|\bat night\b", (17 * 60, 23 * 60 + 59)),
        (r"\bafter noon\b", (12 * 60, 23 * 60 + 59)),
    ]
    return next((w for pattern, w in windows if re.search(pattern, text, re.I)), None)


def pick_offer(choices: list[str], text: str) -> str | None:
    """The itinerary the instruction's preferences pick: nonstop, a time, then the cheapest
    (or the first or last of the day)."""
    found = offers(choices)
    if not found:
        return None
    wants_nonstop = re.search(r"\bnon-?stop\b|\bdirect\b", text, re.I) and not re.search(
        r"\bno non-?stop\b|\bconnection is fine\b|\bstop is fine\b|\bdon'?t mind (?:a )?stop",
        text,
        re.I,
    )
    pool = [o for o in found if o.stops == 0] if wants_nonstop else found
    window = _time_window(text)
    if window:
        pool = [o for o in pool if window[0] <= o.departure <= window[1]]
    if not pool:
        return None
    flight = r"(?= (?:\w+ ){0,2}(?:flight|one|nonstop|departure|option|connection)s?\b)"
    if re.search(rf"\b(?:last|latest){flight}", text, re.I):
        chosen = max(pool, key=lambda o: o.departure)
    elif re.search(rf"\b(?:first|earliest){flight}", text, re.I):
        chosen = min(pool, key=lambda o: o.departure)
    else:
        chosen = min(pool, key=lambda o: (o.price, o.departure))
    return chosen.label


# --- payment ------------------------------------------------------------------------------------

_CARD = re.compile(
    r"\b(visa|mastercard|amex|discover)\b(?:[^.]{0,25}?\bending (?:in )?(\d{4}))?", re.I
)


def payment_labels(choices: list[str], text: str) -> list[str]:
    """The offered payment methods the instruction names, in the order it names them."""
    picked: list[tuple[int, str]] = []
    for m in _CARD.finditer(text):
        brand, last = m.group(1).lower(), m.group(2)
        hits = [c for c in choices if c.lower().startswith(brand) and (not last or last in c)]
        if len(hits) == 1:
            picked.append((m.start(), hits[0]))
    for m in re.finditer(r"\bcredit card\b", text, re.I):
        cards = [c for c in choices if re.search(r"\bending \d{4}\b", c)]
        if len(cards) == 1:
            picked.append((m.start(), cards[0]))
    for kind, pattern in (
        ("gift card", r"\bgift ?cards?\b"),
        ("certificate", r"\bcertificates?\b"),
    ):
        for m in re.finditer(pattern, text, re.I):
            near = text[max(0, m.start() - 40) : m.end() + 40]
            amounts = re.findall(r"\$(\d+)", near)
            hits = [c for c in choices if kind in c.lower()]
            exact = [c for c in hits if any(f"${a}" in c for a in amounts)]
            hits = exact or hits
            if len(hits) == 1:
                picked.append((m.start(), hits[0]))
    ordered: list[str] = []
    for _, label in sorted(picked):
        if label not in ordered:
            ordered.append(label)
    return ordered


def spoken_payment(label: str) -> str:
    return re.sub(r"\s*\(\$[\d.,]+(?: left)?\)$", "", label) if "ending" in label else label


# --- the customer -------------------------------------------------------------------------------

_CONDITIONAL = re.compile(r"^(?:if|when|at first|should|in case|unless)\b", re.I)
_RESERVATION_LABEL = re.compile(r"^(?P<code>[A-Z0-9]{6}): [A-Z]{3} -> [A-Z]{3}")
_ISO = re.compile(r"^20\d\d-\d\d-\d\d$")
_BORN = re.compile(r"^(?P<name>.+?) \(born (?P<dob>[\d-]+)\)$")
_DISRUPTED = re.compile(
    r"^(?P<flight>HAT\d{3}) on (?P<date>[\d-]+) \((?P<status>cancelled|delayed)\)$"
)


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


def _next_day(day: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


@dataclass
class AirlineCustomer(Customer):
    """One scripted airline customer for one task."""

    trips: list[Trip] | None = None
    profile: dict[str, Any] | None = None
    trip: Trip | None = None
    said_no: int = 0
    rephrased: bool = False
    corrected: bool = False
    wanted: str = field(default="", init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.pending = [
            kept
            for group in self.pending
            if (kept := [s for s in group if not _CONDITIONAL.search(s)])
        ]
        if self.trips is None or self.profile is None:
            trips, profile = trips_of(self.me.user_id)
            self.trips = trips if self.trips is None else self.trips
            self.profile = profile if self.profile is None else self.profile
        self.wanted = " ".join(s for s in sentences(self.instruction) if not is_persona(s))

    # what the instruction asks for, read against the traveller's own trips

    def described_trip(self) -> Trip | None:
        if self.trip is None:
            self.trip = best_trip(self.trips or [], self.wanted)
        return self.trip

    def dates(self) -> tuple[list[str], list[str]]:
        """The dates to fly out and back on: the instruction's, less those of the trip as it is
        (unless no other is named)."""
        found = dates_in(self.wanted)
        back = [d for pos, d in found if _BACK.search(self.wanted[max(0, pos - 30) : pos])]
        out = [d for _, d in found if d not in back]
        trip = self.described_trip()
        if trip:
            out = [d for d in out if d not in trip.dates] or out
            back = [d for d in back if d not in trip.dates] or back
        return out, back

    def cabin(self) -> str | None:
        mentioned = cabins_in(self.wanted)
        trip = self.described_trip() if request_score("cabin", self.wanted) else None
        other = [c for c in mentioned if not trip or c != trip.cabin]
        return other[-1] if trip and other else (mentioned[0] if mentioned else None)

    def bags(self) -> int | None:
        trip = self.described_trip() if request_score("add a checked bag", self.wanted) else None
        return wanted_bags(self.wanted, trip.bags if trip else 0)

    def travellers(self) -> list[str]:
        named = names_in(self.wanted)
        me = f"{self.me.first_name} {self.me.last_name}".strip()
        if re.search(
            r"\byourself\b|\byou and\b|\band you\b|\bfor you\b|\bjust you\b", self.instruction, re.I
        ):
            named = [me, *named]
        return list(dict.fromkeys(named))

    # answers

    def reply(self, bot_text: str, choices: list[str]) -> str:
        if choices and is_confirmation(choices):
            return self.confirm(bot_text)
        if choices:
            picked = self.choose_airline(bot_text, choices)
            return picked if picked is not None else self.choose(bot_text, choices)
        if re.search(r"\bcan't help with that here\b", bot_text) and not self.rephrased:
            self.rephrased = True
            plain = plain_request(self.current or self.wanted)
            if plain:
                return plain
        question = self._question(bot_text)
        if re.search(r"\bconnect you\b", question) and not re.search(
            r"\b(?:person|human|agent|supervisor|representative)\b", self.wanted
        ):
            nxt = self._next_request()
            self.done = nxt is None
            return nxt or END
        answer = self.answer(question) if question else None
        if answer:
            return answer
        return super().reply(bot_text, choices)

    @staticmethod
    def _question(bot_text: str) -> str:
        asked = re.findall(r"[^.!?\n]*\?", bot_text)
        return asked[-1].strip() if asked else ""

    def answer(self, question: str) -> str | None:
        """The answer to a question without choices, or None for the retail customer's rules."""
        q = question.lower()
        change = passenger_change(self.wanted)
        if change and re.search(r"\bfirst and last name\b|\bpassenger'?s? name\b", q):
            return change[1]
        if change and re.search(r"\btheir date of birth\b|\bpassenger'?s? date of birth\b", q):
            dob = change[2] or self._old_dob(change[0])
            return f"Their date of birth is {dob}." if dob else UNSURE
        if identity_answer(question, self.me):
            return None
        out, back = self.dates()
        if re.search(r"\bfly back\b|\breturn\b|\bcome back\b", q) and re.search(
            r"\bdate\b|\bwhen\b", q
        ):
            return f"I'd like to fly back on {back[0]}." if back else None
        if re.search(r"\bwhich date\b|\bwhat date\b|\bwhen would you like to fly\b", q):
            return f"I'd like to fly on {out[0]}." if out else None
        said = airports_in(self.wanted)
        if re.search(r"\bflying from\b|\bwhere from\b|\bleaving from\b", q) and said:
            return f"From {said[0]}."
        if re.search(r"\bflying to\b|\bwhere to\b|\bgoing to\b", q) and len(said) > 1:
            return f"To {said[1]}."
        if re.search(r"\bwhy\b.*\bcancel|\breason\b", q):
            return wanted_reason(self.wanted).capitalize() + "."
        if re.search(r"\bwhich reservation\b|\breservation (?:code|number)\b", q):
            trip = self.described_trip()
            return trip.reservation_id if trip else None
        if re.search(r"\bwhich flight\b", q):
            numbers = re.findall(r"\bHAT\d{3}\b", self.wanted)
            return numbers[0] if numbers else None
        return None

    def _old_dob(self, name: str) -> str | None:
        trip = self.described_trip()
        for passenger in trip.passengers if trip else []:
            if f"{passenger['first_name']} {passenger['last_name']}" == name:
                return passenger["dob"]
        return None

    def choose_airline(self, bot_text: str, choices: list[str]) -> str | None:
        """The answer to a question offering airline choices, or None when none applies."""
        question = self._question(bot_text).lower() or bot_text.lower()
        for pick in (
            self._pick_flight,
            self._pick_reservation,
            self._pick_date,
            self._pick_passenger,
            self._pick_disrupted,
            self._pick_count,
            self._pick_fixed,
            self._pick_payment,
            self._pick_travellers,
            self._pick_request,
        ):
            answer = pick(question, choices)
            if answer is not None:
                return answer
        return None

    def _pick_flight(self, question: str, choices: list[str]) -> str | None:
        if not offers(choices):
            return None
        back = bool(re.search(r"\bback\b|\breturn\b", question))
        chosen = pick_offer(choices, leg_text(self.wanted, back))
        return chosen.split(",")[0] if chosen else UNSURE

    def _pick_reservation(self, question: str, choices: list[str]) -> str | None:
        codes = [m["code"] for c in choices if (m := _RESERVATION_LABEL.match(c))]
        if not codes and choices and all(re.fullmatch(r"[A-Z0-9]{6}", c.strip()) for c in choices):
            # bare codes: a traveller does not know them, but can say which trip it is
            trip = self.described_trip()
            if trip is None:
                return UNSURE
            day = trip.dates[0] if trip.dates else ""
            return f"I don't know the code; it's my trip from {trip.origin} to {trip.destination} on {day}."
        if not codes:
            return None
        mine = {t.reservation_id: t for t in self.trips or []}
        offered = [mine[c] for c in codes if c in mine]
        trip = best_trip(offered, self.wanted)
        if trip is None:
            return UNSURE
        self.trip = trip
        return trip.reservation_id

    def _pick_date(self, question: str, choices: list[str]) -> str | None:
        if not choices or not all(_ISO.match(c.strip()) for c in choices):
            return None
        out, back = self.dates()
        is_back = bool(re.search(r"\bback\b|\breturn\b", question))
        hit = next((d for d in (back if is_back else out) if d in choices), None)
        if hit or not is_back:
            return hit or UNSURE
        trip = self.described_trip() if request_score("change my flights", self.wanted) else None
        if not back and trip and trip.return_date in choices:
            return trip.return_date  # the way back stays as it is
        if back and out and not self.corrected:
            # the flights out were found for another day: the return days offered show it
            self.corrected = True
            return f"Actually, the flight out should be on {out[0]}."
        return UNSURE

    def _pick_passenger(self, question: str, choices: list[str]) -> str | None:
        born = [m for c in choices if (m := _BORN.match(c.strip()))]
        if not born or len(born) != len(choices):
            return None
        change = passenger_change(self.wanted)
        if change is None:
            return UNSURE
        return next((m["name"] for m in born if m["name"] == change[0]), UNSURE)

    def _pick_disrupted(self, question: str, choices: list[str]) -> str | None:
        found = [m for c in choices if (m := _DISRUPTED.match(c.strip()))]
        if not found:
            return None
        days = {d for _, d in dates_in(self.wanted)}
        fits = [m for m in found if m["date"] in days or m["flight"] in self.wanted]
        fits = fits or [m for m in found if m["status"] in self.wanted] or found
        return fits[0]["flight"] if len(fits) == 1 else UNSURE

    def _pick_count(self, question: str, choices: list[str]) -> str | None:
        counts = [re.match(r"^(\d+) bags?\b", c.strip()) for c in choices]
        if not choices or not all(counts):
            return None
        wanted = self.bags()
        for choice, m in zip(choices, counts, strict=True):
            if m and wanted is not None and int(m.group(1)) == wanted:
                return re.sub(r"\s*\(.*$", "", choice)
        return UNSURE

    def _pick_fixed(self, question: str, choices: list[str]) -> str | None:
        """Insurance, cabin, trip type and the cancellation's cause: fixed lists of labels."""
        lowered = [c.strip().lower() for c in choices]
        if any("insurance" in c for c in lowered) and all(
            c.startswith(("yes", "no")) for c in lowered
        ):
            stance = wanted_insurance(self.wanted)
            if stance is None:
                return UNSURE
            return next(
                c for c, low in zip(choices, lowered, strict=True) if low.startswith(stance)
            )
        if set(lowered) <= {"basic economy", "economy", "business"}:
            cabin = self.cabin()
            return (
                cabin.replace("_", " ") if cabin and cabin.replace("_", " ") in lowered else UNSURE
            )
        if set(lowered) <= {"one way", "round trip"}:
            round_trip = re.search(r"round[- ]trip|\bback on\b|\breturn", self.wanted, re.I)
            return "round trip" if round_trip else "one way"
        if "change of plan" in lowered and any("airline" in c for c in lowered):
            reason = wanted_reason(self.wanted)
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
            reason = wanted_reason(self.wanted)
            key = (
                "health"
                if "health" in reason
                else "weather"
                if "weather" in reason
                else "something"
            )
            return next(
                (c for c, low in zip(choices, lowered, strict=True) if low.startswith(key)), None
            )
        return None

    def _pick_payment(self, question: str, choices: list[str]) -> str | None:
        if not any(
            re.search(r"\bending \d{4}\b|\bgift card\b|\bcertificate\b", c) for c in choices
        ):
            return None
        picked = payment_labels(choices, self.wanted)
        if not picked:
            return UNSURE
        return " and ".join(spoken_payment(p) for p in picked)

    def _pick_travellers(self, question: str, choices: list[str]) -> str | None:
        if not re.search(r"\bwho is travel+ing\b|\bpassengers?\b", question):
            return None
        wanted = self.travellers()
        picked = [c for c in choices if c.strip() in wanted]
        return " and ".join(picked) if picked else UNSURE

    def _pick_request(self, question: str, choices: list[str]) -> str | None:
        """Among requests (the pack's intents), the one the current request asks for."""
        scored = sorted(
            (
                (max(request_score(c, self.current), request_score(c, self.wanted) - 0.5), -i, c)
                for i, c in enumerate(choices)
            ),
            reverse=True,
        )
        if not scored or scored[0][0] <= 0:
            return None
        return scored[0][2]

    # the confirmation

    def confirm(self, proposal: str) -> str:
        """Yes only when every element of the proposal is what the instruction asks for;
        otherwise no, with what is wrong."""
        changed = None if self.changed_mind else mind_change(proposal, self.instruction)
        if changed:
            self.changed_mind = True
            return changed
        problems = self.problems(proposal)
        if problems:
            self.said_no += 1
            return "No, " + "; ".join(problems) + "."
        return "yes"

    def problems(self, proposal: str) -> list[str]:
        """What in a proposal the instruction does not support (empty: all of it)."""
        kinds = [
            (
                "cancel a reservation",
                r"\bcancel the whole\b|\bShall I cancel\b",
                self._cancel_problems,
            ),
            (
                "book a new flight",
                r"\bthe booking I'd make\b|\bShall I book\b",
                self._booking_problems,
            ),
            ("change cabin class", r"\bevery flight moves from\b", self._cabin_problems),
            ("change my flights", r"^\s*- new:", self._flight_problems),
            ("add a checked bag", r"\bchecked bags in total\b", self._bag_problems),
            ("correct a passenger's details", r"\bbecomes\b", self._passenger_problems),
            ("compensation", r"\btravel certificate of\b", lambda p: []),
        ]
        for request, pattern, check in kinds:
            if re.search(pattern, proposal, re.M):
                if request_score(request, self.wanted) <= 0:
                    return [f"I didn't ask to {request}"]
                return self._reservation_problems(proposal) + check(proposal)
        return ["I'm not sure that is what I asked for"]

    def _reservation_problems(self, proposal: str) -> list[str]:
        named = re.findall(r"\breservation ([A-Z0-9]{6})\b", proposal)
        if not named:
            return []
        trip = self.described_trip()
        mine = {t.reservation_id: t for t in self.trips or []}
        if trip and named[0] != trip.reservation_id:
            return [
                f"I mean my trip from {trip.origin} to {trip.destination}, reservation {trip.reservation_id}"
            ]
        if not trip and (named[0] not in mine or trip_score(mine[named[0]], self.wanted) <= 0):
            return [f"I'm not sure {named[0]} is the trip I mean"]
        return []

    def _cancel_problems(self, proposal: str) -> list[str]:
        """The reason the proposal states must be the instruction's."""
        stated = re.search(r"\bReason: ([^.(\n]+?)(?: \((health|weather)\))?\.", proposal)
        if not stated:
            return []
        said = stated.group(2) or stated.group(1).strip()
        wanted = wanted_reason(self.wanted)
        kinds = {
            "change of plan": "change of plan",
            "the airline cancelled a flight": "the airline cancelled the flight",
            "health": "health reasons, I'm sick",
            "weather": "bad weather",
        }
        if kinds.get(said, "another reason") != wanted:
            return [f"the reason is {wanted}"]
        return []

    def _paid_with(self, proposal: str) -> list[str]:
        """The payment labels a proposal charges or refunds."""
        return re.findall(
            r"(?:charged|refunded|Charge: \$[\d.,]+) to your ([^.\n]+?)\.(?:\s|$)", proposal
        )

    def _payment_problems(self, proposal: str) -> list[str]:
        labels = self._paid_with(proposal)
        wrong = [label for label in labels if not payment_labels([label], self.wanted)]
        return [
            f"I want to pay with my {self._payment_named()}, not the {label}" for label in wrong
        ]

    def _payment_named(self) -> str:
        m = _CARD.search(self.wanted) or re.search(
            r"\bgift card\b|\bcertificate\b", self.wanted, re.I
        )
        return m.group(0) if m else "own choice of payment"

    def _flight_problems(self, proposal: str) -> list[str]:
        new = re.search(r"^\s*- new:(.*)$", proposal, re.M)
        days = re.findall(r"\bon (20\d\d-\d\d-\d\d)\b", new.group(1) if new else "")
        out, back = self.dates()
        allowed = set(out + back) | {_next_day(d) for d in out + back}
        problems = [
            f"I wanted to fly on {' and '.join(out + back)}"
            for d in days[:1]
            if allowed and not set(days) <= allowed
        ]
        cabin = re.search(r"\bin (basic economy|economy|business):", proposal)
        wanted = self.cabin()
        if cabin and wanted and cabin.group(1).replace(" ", "_") != wanted:
            problems.append(f"I want to stay in {wanted.replace('_', ' ')}")
        return problems + self._payment_problems(proposal)

    def _cabin_problems(self, proposal: str) -> list[str]:
        moved = re.search(r"\bto (basic economy|economy|business)\b", proposal)
        wanted = self.cabin()
        problems = []
        if not moved or not wanted or moved.group(1).replace(" ", "_") != wanted:
            problems.append(f"I want {(wanted or 'a different cabin').replace('_', ' ')}")
        return problems + self._payment_problems(proposal)

    def _bag_problems(self, proposal: str) -> list[str]:
        total = re.search(r"\b(\d+) checked bags in total\b", proposal)
        wanted = self.bags()
        problems = []
        if not total or wanted is None or int(total.group(1)) != wanted:
            problems.append(
                f"I want {wanted if wanted is not None else 'a different number of'} bags in total"
            )
        return problems + self._payment_problems(proposal)

    def _passenger_problems(self, proposal: str) -> list[str]:
        change = passenger_change(self.wanted)
        found = re.findall(
            r"^\s*- (.+?) \(born ([\d-]+)\) becomes (.+?) \(born ([\d-]+)\)", proposal, re.M
        )
        if not change:
            return ["I didn't ask to change a passenger"]
        old, new, dob = change
        dob = dob or self._old_dob(old)
        if (
            len(found) != 1
            or found[0][0] != old
            or found[0][2] != new
            or (dob and found[0][3] != dob)
        ):
            return [f"{old} should become {new}" + (f", born {dob}" if dob else "")]
        return []

    def _booking_problems(self, proposal: str) -> list[str]:
        problems = []
        route = re.search(
            r"\b(round trip|one-way) ([A-Z]{3}) → ([A-Z]{3})(?: and back)? in ([a-z ]+)\.", proposal
        )
        said = airports_in(self.wanted)
        if not route or said[:2] != [route.group(2), route.group(3)]:
            problems.append(f"I want to fly from {' to '.join(said[:2]) or 'somewhere else'}")
        elif (route.group(1) == "round trip") != bool(self.dates()[1]):
            problems.append("I want a " + ("round trip" if self.dates()[1] else "one-way trip"))
        if route and self.cabin() and route.group(4).replace(" ", "_") != self.cabin():
            problems.append(f"I want {str(self.cabin()).replace('_', ' ')}")
        days = re.findall(r"^\s*- HAT\d{3} on (20\d\d-\d\d-\d\d)", proposal, re.M)
        out, back = self.dates()
        allowed = set(out + back) | {_next_day(d) for d in out + back}
        if not days or not set(days) <= allowed:
            problems.append(f"I want to fly on {' and '.join(out + back) or 'other dates'}")
        people = re.search(r"^Passengers: (.*)\.$", proposal, re.M)
        listed = {p.strip() for p in people.group(1).split(",")} if people else set()
        if listed != set(self.travellers()):
            problems.append(f"the passengers should be {' and '.join(self.travellers())}")
        problems += self._booking_extras(proposal)
        return problems

    def _booking_extras(self, proposal: str) -> list[str]:
        problems = []
        bags = re.search(r"\bChecked bags: (\d+)", proposal)
        wanted = wanted_bags(self.wanted) or 0
        if not bags or int(bags.group(1)) != wanted:
            problems.append(f"I want {wanted} checked bags")
        insured = re.search(r"\bTravel insurance: (yes|no)\b", proposal)
        stance = wanted_insurance(self.wanted)
        if not insured or stance is None or insured.group(1) != stance:
            problems.append(
                "I want travel insurance" if stance == "yes" else "I don't want travel insurance"
            )
        paid = re.findall(r"\$[\d.,]+ on your ([^,.\n]+(?:\(\$[\d.,]+\))?)", proposal)
        if not paid or any(not payment_labels([label], self.wanted) for label in paid):
            problems.append(f"I want to pay with my {self._payment_named()}")
        return problems
