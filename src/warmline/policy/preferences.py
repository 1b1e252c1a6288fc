"""What a customer prefers among offered flights, read from their words: "nonstop only", "the
cheapest", "the earliest after 11am", "in the afternoon", "the one that leaves at 8". The
offered choices that fit come first, in the order asked for; the others are left out when some
fit. Pure: labels are read as offered ("HAT039 22:00, nonstop, arrives 03:00 +1 day, economy
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
_AFTER = re.compile(rf"\b(?:after|not before|no earlier than|later than)\s+{_CLOCK}", re.I)
_BEFORE = re.compile(rf"\b(?:before|not after|no later than|earlier than)\s+{_CLOCK}", re.I)
_AT = re.compile(rf"\b(?:leaves?|leaving|departs?|departing)\s+at\s+{_CLOCK}", re.I)
_WINDOWS = [
    (re.compile(r"(?<!good )\b(?:in the )?morning\b", re.I), (0, 11 * 60 + 59)),
    (re.compile(r"(?<!good )\b(?:in the )?afternoon\b", re.I), (12 * 60, 17 * 60 + 59)),
    (re.compile(r"(?<!good )\b(?:in the )?evening\b|\bat night\b", re.I), (17 * 60, 23 * 60 + 59)),
]
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

    def stated(self) -> bool:
        return self.nonstop or self.order is not None or (self.earliest, self.latest) != (0, 1439)


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
    if after is not None:
        earliest = max(earliest, after)
    if before is not None:
        latest = min(latest, before - 1)
    return Wish(nonstop, earliest, latest, order)


def _minutes(match: re.Match[str] | None, bare: bool = False) -> int | None:
    """A clock time said ("11am", "8 in the morning", "3:30 pm", "noon"): minutes after
    midnight. An hour alone is a time only where ``bare`` ("leaves at 8"), and before 7 it is
    taken for the afternoon; "after the 20th" or "before 2024-05-20" is no time."""
    if match is None:
        return None
    if match.group(4):
        return 12 * 60
    if not (bare or match.group(2) or match.group(3)):
        return None
    hour, minute = int(match.group(1)) % 24, int(match.group(2) or 0)
    half = (match.group(3) or "").lower()
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


def _flight(label: str) -> _Flight | None:
    times, prices = _TIME.findall(label), _PRICE.findall(label)
    if not times or not prices:
        return None
    hour, minute = times[0]
    nonstop = bool(_DIRECT.search(label)) or not _STOP_LABEL.search(label)
    return _Flight(int(hour) * 60 + int(minute), nonstop, float(prices[-1].replace(",", "")))


def preferred(text: str, labels: tuple[str, ...]) -> list[int] | None:
    """The offered labels in the order the text's preference asks for, those that do not fit
    left out when some fit; None when the text states no preference or the labels are no
    flights (each a departure time and a price)."""
    wanted = wish(text)
    flights = [_flight(label) for label in labels]
    if wanted is None or not flights or any(f is None for f in flights):
        return None
    found = [f for f in flights if f is not None]
    fits = [
        i
        for i, f in enumerate(found)
        if (f.nonstop or not wanted.nonstop) and wanted.earliest <= f.departs <= wanted.latest
    ]
    kept = fits or list(range(len(found)))
    if wanted.order == "cheapest":
        kept.sort(key=lambda i: (found[i].price, found[i].departs))
    elif wanted.order == "earliest":
        kept.sort(key=lambda i: found[i].departs)
    elif wanted.order == "latest":
        kept.sort(key=lambda i: -found[i].departs)
    return kept
