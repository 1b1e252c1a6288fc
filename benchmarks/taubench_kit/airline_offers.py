"""The flights offered as choices (``HAT052 03:00 -> HAT003 07:00, economy $225``) and the one
the instruction's preferences pick: nonstop, a time of day, the cheapest, the first or last."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FLIGHT_LABEL = re.compile(
    r"^(?P<legs>HAT\d{3} \d\d:\d\d(?: -> HAT\d{3} \d\d:\d\d)*)(?:, [^,]+?)*?, (?P<cabin>[a-z ]+) \$(?P<price>[\d.]+)$"
)
"""A flight label: its legs first, what else it tells ("nonstop", "1 stop in ORD", "arrives
10:00 +1 day"), then the cabin and price."""
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
