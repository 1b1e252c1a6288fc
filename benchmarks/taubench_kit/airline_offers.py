"""The flights offered as choices (``HAT052 03:00 -> HAT003 07:00, economy $225``) and the one
the instruction's preferences pick: nonstop, a time of day, the cheapest, the first or last."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FLIGHT_LABEL = re.compile(
    r"^(?P<legs>HAT\d{3} \d\d:\d\d(?: -> HAT\d{3} \d\d:\d\d)*)"
    r"(?:, (?:nonstop|\d+ stops? in [A-Z, ]+?))?"
    r"(?:, arrives (?P<arrives>\d\d:\d\d)(?: \+(?P<days>\d+) days?)?)?"
    r", (?P<cabin>[a-z ]+) \$(?P<price>[\d.]+)$"
)
BACK = re.compile(
    r"\b(?:(?:come|coming|fly|flying|get|getting|head|heading) )?back\b|\breturn", re.I
)
_BOTH_WAYS = re.compile(r"\bboth ways\b|\beach way\b|\bboth directions\b", re.I)
_PREFERENCE = re.compile(
    r"non-?stop|direct|cheap|earl|late|last|first|morning|afternoon|evening|noon|night|\bat \d",
    re.I,
)


@dataclass
class Offer:
    """One itinerary offered as a choice: ``HAT052 03:00 -> HAT003 07:00, 1 stop in ORD,
    arrives 10:00 +1 day, economy $225`` (the stops and the arrival when the label says them)."""

    label: str
    stops: int
    departure: int  # minutes after midnight
    price: float
    #: minutes after the day's midnight (a day later adds 24 hours); None when not said
    arrival: int | None = None


def _minutes(clock: str) -> int:
    hour, minute = clock.split(":")
    return int(hour) * 60 + int(minute)


def offers(choices: list[str]) -> list[Offer]:
    found = []
    for label in choices:
        m = _FLIGHT_LABEL.match(label.strip())
        if m:
            arrival = None
            if m["arrives"]:
                arrival = _minutes(m["arrives"]) + 24 * 60 * int(m["days"] or 0)
            departure = _minutes(re.findall(r"\d\d:\d\d", m["legs"])[0])
            stops = m["legs"].count("->")
            found.append(Offer(label, stops, departure, float(m["price"]), arrival))
    return found


def leg_text(text: str, back: bool) -> str:
    """The part of the instruction about the flight out, or the flight back."""
    if _BOTH_WAYS.search(text):
        return text
    split = BACK.search(text)
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


_CLOCK = r"(?:(?P<{0}h>\d{{1,2}})(?::(?P<{0}m>\d\d))?\s*(?P<{0}p>am|pm|a\.m\.|p\.m\.)|(?P<{0}w>noon|midnight))"
_LIMIT = re.compile(
    rf"\bbetween {_CLOCK.format('a')} and {_CLOCK.format('b')}"
    rf"|\b(?P<rel>after|before|by|no later than|no earlier than|not before|not after) "
    rf"{_CLOCK.format('c')}",
    re.I,
)
_ARRIVING = re.compile(r"\barriv|\bland|\bbe (?:in|at)\b|\bget (?:to|in|there)\b|\breach", re.I)
_DAY = 24 * 60


def _clock(m: re.Match[str], key: str) -> int:
    if m[key + "w"]:
        return 12 * 60 if m[key + "w"].lower() == "noon" else 0
    hour = int(m[key + "h"]) % 12 + (12 if m[key + "p"].lower().startswith("p") else 0)
    return hour * 60 + int(m[key + "m"] or 0)


def time_limits(text: str) -> list[tuple[str, int, int]]:
    """The times the instruction sets, each (``depart`` or ``arrive``, earliest, latest) in
    minutes after midnight: "leaves after 11am", "between 6am and 8pm", "arrive before 9pm"."""
    return [limit for limit, _ in said_limits(text)]


def said_limits(text: str) -> list[tuple[tuple[str, int, int], str]]:
    """Each time the instruction sets, with how it says it ("between 6am and 8pm")."""
    limits = []
    for m in _LIMIT.finditer(text):
        clause = re.split(r"[.;]", text[: m.start()])[-1][-60:]
        kind = "arrive" if _ARRIVING.search(clause) else "depart"
        if m["rel"] is None:
            limits.append(((kind, _clock(m, "a"), _clock(m, "b")), m[0]))
            continue
        at, rel = _clock(m, "c"), m["rel"].lower()
        if rel in ("after", "not before", "no earlier than"):
            limits.append(((kind, at + (1 if rel == "after" else 0), 2 * _DAY), m[0]))
        else:
            limits.append(((kind, 0, at - (1 if rel == "before" else 0)), m[0]))
    return limits


def departure_problems(text: str, clocks: list[str]) -> list[str]:
    """What is wrong with a flight leaving at the first of these times (``22:00``) for the
    departure times the instruction sets."""
    if not clocks:
        return []
    leaves = _minutes(clocks[0])
    return [
        f"that flight leaves at {clocks[0]}; I want one that leaves {said}"
        for (kind, low, high), said in said_limits(text)
        if kind == "depart" and not low <= leaves <= high
    ][:1]


def _within(offer: Offer, limits: list[tuple[str, int, int]]) -> bool:
    for kind, low, high in limits:
        when = offer.departure if kind == "depart" else offer.arrival
        if when is not None and not low <= when <= high:
            return False
    return True


NONSTOP = re.compile(r"\bnon-?stop\b|\bdirect\b", re.I)
STOP_FINE = re.compile(
    r"\bconnection is fine\b|\bstop is fine\b|\bdon'?t mind (?:a )?stop|\bif there is none\b"
    r"|\bif there(?: is|'s) no non-?stop\b|\bstop is (?:ok|okay|acceptable)\b",
    re.I,
)


def pick_offer(choices: list[str], text: str) -> str | None:
    """The itinerary the instruction's preferences pick among those the labels allow: the
    times it sets (departure or arrival), nonstop (only when asked for, or first when "a stop
    is fine" too), a time of day, then the cheapest (or the first or last of the day); None
    when nothing offered fits."""
    found = offers(choices)
    if not found:
        return None
    limits = time_limits(text)
    pool = [o for o in found if _within(o, limits)]
    window = None if limits else _time_window(text)
    if window:
        pool = [o for o in pool if window[0] <= o.departure <= window[1]]
    nonstop = [o for o in pool if o.stops == 0]
    if NONSTOP.search(text):
        pool = (nonstop or pool) if STOP_FINE.search(text) else nonstop
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
