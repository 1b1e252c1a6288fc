"""What a customer prefers among offered flights, read from their words: "nonstop only", "the
cheapest", "the earliest after 11am" (11:00 is not after it), "in the afternoon" (not "a meeting
that morning", which names the day), "the one that leaves at 8". The offered choices that fit
come first, in the order asked for; the others are left out when some fit. Pure: labels are read as offered ("HAT039 22:00, nonstop, arrives 03:00 +1 day, economy
$118": the first time is the departure, the last amount the price).

Nothing is chosen here: the customer still picks, and a preference that fits no choice leaves
the choices as they were."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Order = Literal["cheapest", "earliest", "latest"]

_TIME = re.compile(r"\b(\d\d):(\d\d)\b")
_PRICE = re.compile(r"\$(\d[\d,]*(?:\.\d+)?)")
_DIRECT = re.compile(r"\b(?:non-?stop|direct)\b", re.I)
_STOP_LABEL = re.compile(r"\b(?:\d+ stops? in|->)", re.I)
_NO_DIRECT = re.compile(
    r"\b(?:no|not|isn't|aren't|without)\s+(?:a\s+|any\s+)?(?:non-?stop|direct)"
    r"|\b(?:stop|stops|stopover|connection|connections|layover)\s+(?:is|are)\s+(?:also\s+)?(?:fine|ok|okay)"
    r"|\b(?:don't|do not)\s+mind\s+(?:a\s+|one\s+)?(?:stop|stopover|connection|layover)",
    re.I,
)
_FLIGHT_WORD = r"(?=\s+(?:\w+\s+){0,2}(?:flight|one|nonstop|option|departure|connection)s?\b)"
_ORDERS: list[tuple[Order, re.Pattern[str]]] = [
    ("cheapest", re.compile(r"\b(?:cheapest|lowest[- ]price[d]?|least expensive)\b", re.I)),
    ("earliest", re.compile(rf"\b(?:earliest|first){_FLIGHT_WORD}", re.I)),
    ("latest", re.compile(rf"\b(?:latest|last){_FLIGHT_WORD}", re.I)),
]
_CLOCK = (
    r"(?:(\d{1,2})(?!\d)(?::(\d\d))?\s*(am\b|a\.m\.|pm\b|p\.m\.|o'clock|in the morning|in the evening)?"
    r"|(noon|midday))"
)
_AFTER = re.compile(rf"\b(?:after|later than)\s+{_CLOCK}", re.I)
_FROM = re.compile(rf"\b(?:not before|no earlier than)\s+{_CLOCK}", re.I)
_BEFORE = re.compile(rf"\b(?:before|not after|no later than|earlier than)\s+{_CLOCK}", re.I)
_AT = re.compile(rf"\b(?:leaves?|leaving|departs?|departing)\s+at\s+{_CLOCK}", re.I)
_DAY_NAMED = r"(?<!good )(?<!that )(?<!this )(?<!same )(?<!tomorrow )(?<!every )(?<!each )"
"""Words before "morning" that name a day, not a time to leave: "a meeting that morning",
"good morning", "every morning"."""
_WINDOWS = [
    (re.compile(rf"{_DAY_NAMED}\b(?:in the )?morning\b", re.I), (0, 11 * 60 + 59)),
    (re.compile(rf"{_DAY_NAMED}\b(?:in the )?afternoon\b", re.I), (12 * 60, 17 * 60 + 59)),
    (
        re.compile(rf"{_DAY_NAMED}\b(?:in the )?evening\b|\bat night\b", re.I),
        (17 * 60, 23 * 60 + 59),
    ),
]
_ARRIVE = re.compile(
    r"\b(?:(?i:arrives?|arriving|lands?|landing)|be (?:in|at) [A-Z][\w']*(?: [A-Z][\w']*)?"
    r"|get (?:there|in|to [A-Z][\w']*(?: [A-Z][\w']*)?))"
    rf"(?i:\s+(?:\w+\s+){{0,2}}?(before|by|no later than)\s+{_CLOCK})"
)
"""A time to arrive by: "I must be in Seattle before 9pm", "the flights that arrive before 9pm";
its time bounds the arrival (a label's last time, with its "+1 day"), never the departure."""
_ARRIVAL_LABEL = re.compile(r"\barrives (\d\d):(\d\d)(?: \+(\d+) days?)?")
_BACK = re.compile(r"\b(?:back|return|returning|inbound)\b", re.I)
_BOTH = re.compile(r"\b(?:both ways|each way|both directions|both flights)\b", re.I)


@dataclass(frozen=True)
class Wish:
    """A preference among flights: nonstop only, a window of departure times (minutes after
    midnight) and an order."""

    nonstop: bool = False
    earliest: int = 0
    latest: int = 24 * 60 - 1
    order: Order | None = None
    arrives_by: int | None = None

    def stated(self) -> bool:
        window = (self.earliest, self.latest) != (0, 1439)
        return self.nonstop or self.order is not None or window or self.arrives_by is not None


def wish(text: str) -> Wish | None:
    """The preference the text states for every flight it asks about; None when it states
    none, or states one for the flight back only or another for each way ("the cheapest out,
    back in the afternoon"): which question it answers is not told here."""
    split = _BACK.search(text)
    if split and not _BOTH.search(text) and _read(text[split.start() :]).stated():
        return None
    found = _read(text)
    return found if found.stated() else None


def _read(text: str) -> Wish:
    arrival = _ARRIVE.search(text)
    arrives_by = _minutes(arrival, start=2)
    if arrives_by is not None and arrival is not None:
        arrives_by -= 0 if arrival.group(1).lower() == "by" else 1  # 21:00 is not before 9pm
        text = _ARRIVE.sub(" ", text)  # its time is no time to leave
    nonstop = bool(_DIRECT.search(text)) and not _NO_DIRECT.search(text)
    order = next((name for name, pattern in _ORDERS if pattern.search(text)), None)
    earliest, latest = 0, 24 * 60 - 1
    at = _minutes(_AT.search(text), bare=True)
    if at is not None:
        earliest = latest = at
    for pattern, (start, end) in _WINDOWS:
        if at is None and pattern.search(text):
            earliest, latest = max(earliest, start), min(latest, end)
    after, before = _minutes(_AFTER.search(text)), _minutes(_BEFORE.search(text))
    since = _minutes(_FROM.search(text))
    if after is not None:  # "after 11am": 11:00 itself is too early
        earliest = max(earliest, after + 1)
    if since is not None:  # "not before 11am": 11:00 will do
        earliest = max(earliest, since)
    if before is not None:
        latest = min(latest, before - 1)
    return Wish(nonstop, earliest, latest, order, arrives_by)


def _minutes(match: re.Match[str] | None, bare: bool = False, start: int = 1) -> int | None:
    """A clock time said ("11am", "8 in the morning", "3:30 pm", "noon"): minutes after
    midnight. An hour alone is a time only where ``bare`` ("leaves at 8"), and before 7 it is
    taken for the afternoon; "after the 20th" or "before 2024-05-20" is no time. ``start``:
    the group the clock's hour is in."""
    if match is None:
        return None
    hour_said, minute_said, half_said, noon = (match.group(start + i) for i in range(4))
    if noon:
        return 12 * 60
    if not (bare or minute_said or half_said):
        return None
    hour, minute = int(hour_said) % 24, int(minute_said or 0)
    half = (half_said or "").lower()
    if half.startswith(("p", "in the evening")) and hour < 12:
        hour += 12
    elif half.startswith(("a", "in the morning")) and hour == 12:
        hour = 0
    elif half in ("", "o'clock") and hour < 7:
        hour += 12
    return hour * 60 + minute


@dataclass(frozen=True)
class _Flight:
    departs: int
    nonstop: bool
    price: float
    arrives: int | None


def _flight(label: str) -> _Flight | None:
    times, prices = _TIME.findall(label), _PRICE.findall(label)
    if not times or not prices:
        return None
    hour, minute = times[0]
    nonstop = bool(_DIRECT.search(label)) or not _STOP_LABEL.search(label)
    landing = _ARRIVAL_LABEL.search(label)
    arrives = None
    if landing is not None:
        days = int(landing.group(3) or 0)
        arrives = days * 24 * 60 + int(landing.group(1)) * 60 + int(landing.group(2))
    price = float(prices[-1].replace(",", ""))
    return _Flight(int(hour) * 60 + int(minute), nonstop, price, arrives)


def _fits(flight: _Flight, wanted: Wish) -> bool:
    """Whether a flight is as wished: nonstop if asked, leaving in the window, arriving in time
    (a label that says no arrival fits any time to arrive by)."""
    in_time = (
        wanted.arrives_by is None or flight.arrives is None or flight.arrives <= wanted.arrives_by
    )
    leaves = wanted.earliest <= flight.departs <= wanted.latest
    return (flight.nonstop or not wanted.nonstop) and leaves and in_time


def preferred(text: str, labels: tuple[str, ...]) -> list[int] | None:
    """The offered labels in the order the text's preference asks for, those that do not fit
    left out when some fit; None when the text states no preference or the labels are no
    flights (each a departure time and a price)."""
    wanted = wish(text)
    flights = [_flight(label) for label in labels]
    if wanted is None or not flights or any(f is None for f in flights):
        return None
    found = [f for f in flights if f is not None]
    fits = [i for i, f in enumerate(found) if _fits(f, wanted)]
    kept = fits or list(range(len(found)))
    if wanted.order == "cheapest":
        kept.sort(key=lambda i: (found[i].price, found[i].departs))
    elif wanted.order == "earliest":
        kept.sort(key=lambda i: found[i].departs)
    elif wanted.order == "latest":
        kept.sort(key=lambda i: -found[i].departs)
    return kept
