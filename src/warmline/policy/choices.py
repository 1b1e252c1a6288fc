"""Resolve a customer's answer to a question with choices: "2", "the second one", or a label."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz, process

_ORDINALS = {
    "first": 0,
    "1st": 0,
    "one": 0,
    "second": 1,
    "2nd": 1,
    "two": 1,
    "third": 2,
    "3rd": 2,
    "three": 2,
    "fourth": 3,
    "4th": 3,
    "four": 3,
    "fifth": 4,
    "5th": 4,
    "five": 4,
    "last": -1,
}
_NUMBER = re.compile(r"^\s*(?:option|number|#)?\s*(\d{1,2})\s*[.)]?\s*$", re.I)
CARDINALS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
"""Numbers said as words, as a count ("four bags"), not a position."""
_LEADING = re.compile(r"^\s*(\d{1,3})\b")
_COUNT = re.compile(
    rf"^\s*(\d{{1,2}}|{'|'.join(CARDINALS)})\b(?:\s+[a-z]+){{0,3}}\s*[.!]?\s*$", re.I
)
"""A short answer that is a count ("4", "four", "four bags please")."""
LABEL_MIN_SCORE = 80.0


_MIN_PREFIX = 12  # characters of a label that say which one it is, without its price


def resolve_choice(text: str, choices: Sequence[str]) -> int | None:
    """Index of the choice the text picks, or ``None`` when it picks none clearly."""
    if not choices:
        return None
    lowered = text.strip().lower()
    for i, choice in enumerate(choices):
        if lowered == choice.lower():
            return i
    # a label given without its tail (" - $143.15"): the one choice it begins
    begun = [i for i, choice in enumerate(choices) if choice.lower().startswith(lowered)]
    if len(begun) == 1 and len(lowered) >= _MIN_PREFIX:
        return begun[0]
    counted = _by_count(lowered, choices)
    if counted is not None:
        return counted if counted >= 0 else None
    number = _NUMBER.match(lowered)
    if number:
        index = int(number.group(1)) - 1
        return index if 0 <= index < len(choices) else None
    words = re.findall(r"[\w']+", lowered)
    if len(words) <= 4:
        for word in words:
            if word in _ORDINALS:
                index = _ORDINALS[word]
                index = len(choices) - 1 if index < 0 else index
                return index if index < len(choices) else None
    best = process.extractOne(lowered, [c.lower() for c in choices], scorer=fuzz.token_set_ratio)
    if best is not None and best[1] >= LABEL_MIN_SCORE and len(words) <= 8:
        return int(best[2])
    return None


def leading_number(label: str) -> int | None:
    """The number a label begins with ("4 bags (2 free)": 4), or None."""
    match = _LEADING.match(label)
    return int(match[1]) if match else None


def _by_count(lowered: str, choices: Sequence[str]) -> int | None:
    """The choice a count picks: the one whose label says that number first ("four" of "0
    bags" ... "5 bags" is "4 bags", never the fourth); -1 when the choices are all counts and
    none is that one; None when the answer is no count, or the labels are none (a number
    word is then a position)."""
    match = _COUNT.match(lowered)
    if match is None:
        return None
    said = match[1].lower()
    number = int(said) if said.isdigit() else CARDINALS[said]
    leading = [leading_number(choice) for choice in choices]
    if number in leading:
        return leading.index(number)
    return -1 if all(n is not None for n in leading) else None
