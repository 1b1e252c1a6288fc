"""How many copies of an item the customer's words mean, when an order holds the same item
more than once (two identical water bottles): the item is one choice whose label says how many
the order holds ("... - $48.59 each (2 in this order)"); "both water bottles", "the two
t-shirts", "2 notebooks", "the water bottles" mean every copy (or that many), "one of the water
bottles" one. Pure text, for ``policy/labels.py``: a label meant twice is picked twice, and the
value it stands for is sent twice, as the back office takes it (once per copy)."""

from __future__ import annotations

import re

HELD = re.compile(r"\s+each\s+\((\d{1,3}) in this order\)\s*$")
"""The end of the label of an item an order holds more than once ("Water Bottle (color
green) - $48.59 each (2 in this order)"): one choice for all its copies."""


def held(label: str) -> int:
    """How many copies of the item a label offers (``HELD``; one when it does not say)."""
    match = HELD.search(label)
    return int(match[1]) if match else 1


_NUMBERS = {"both": 2, "two": 2, "three": 3, "four": 4, "five": 5}
_ONE = r"one|a single|a|an|single|just one|only one"
_QUANTITY = (
    r"\b(?P<q>(?:all|the|all the)\s+(?:two|three|four|five|\d{1,2})|all(?:\s+the)?|both"
    r"|two|three|four|five|\d{1,2}|" + _ONE + r")"
    r"\s+(?:of\s+)?(?:(?:the|my|these|those|our)\s+)?(?P<words>(?:[\w-]+\s+){0,3}?)"
)
"""A quantity said before an item's name: "both", "the two", "2", "all three", "one of the";
the words between are the item's own ("both green water bottles")."""


def copies_said(text: str, labels: tuple[str, ...]) -> tuple[dict[int, int], str]:
    """How many copies of an item the text asks for, by the label of the only item its name
    ends like ("both water bottles", "the two t-shirts", "2 notebooks", "the water bottles":
    every copy; "one of the water bottles": one), and the text less the quantities, which
    then speak for no other item ("both" is then no word for every item)."""
    counts: dict[int, int] = {}
    heads = [_head(label) for label in labels]
    for i, label in enumerate(labels):
        head = heads[i]
        if head is None or heads.count(head) > 1:
            continue  # two items alike with one name: their own words tell them apart
        number, spans = _count(text, head, label)
        if number is not None:
            counts[i] = number
        for start, end in reversed(spans):
            text = f"{text[:start]} {text[end:]}"
    return counts, text


def _head(label: str) -> str | None:
    """The last word of a label's item name, lower case ("bottle" of "Water Bottle (...)")."""
    name = re.split(r" \(| - |: ", label, maxsplit=1)[0]
    words = re.findall(r"[a-z0-9][\w-]*", name.lower())
    return words[-1] if words else None


_ACTING = re.compile(r"\b(?:return|exchang|send|swap|chang|replac|refund|modif|switch)\w*", re.I)
"""A request's verb: of several quantities said of an item, those said with one are the ones
asked for ("I got two notebooks ... I want to return one of the notebooks": one)."""


def _count(text: str, head: str, label: str) -> tuple[int | None, list[tuple[int, int]]]:
    """The copies of the item of ``label`` the text asks for (None: it does not say), and the
    spans of every quantity said with its name."""
    plural_name = head.endswith("s")  # "headphones": "both" may join it to another item
    name = re.escape(head).replace(r"\-", "[- ]?") + r"(?P<plural>e?s)?\b"
    own = _words(label) | {"more", "other", "single"}
    said: list[tuple[int, int, int]] = []  # (copies, start, end)
    for match in re.finditer(_QUANTITY + name, text, re.I):
        if not _words(match["words"]) - own:  # the words between are the item's own
            number = _number(match["q"], bool(match["plural"]) or plural_name, label)
            if number and not (plural_name and match["q"].lower() == "both"):
                said.append((number, *match.span("q")))
    plurals = [
        (held(label), m.start(), m.start())
        for m in re.finditer(rf"\b{name}", text, re.I)
        if m["plural"] and not plural_name and held(label) > 1
    ]
    spans = [(start, end) for _, start, end in said]
    for found in (said, plurals):
        asked = [n for n, start, _ in found if _ACTING.search(_sentence(text, start))]
        if not _ACTING.search(text):
            asked = [n for n, _, _ in found]
        if asked:
            return asked[-1], spans
    return None, spans


def _number(quantity: str, plural: bool, label: str) -> int:
    """The copies a quantity said with an item's name asks for (0: none it can tell)."""
    said = re.sub(r"\s+", " ", quantity.lower())
    last = said.split()[-1]
    if re.fullmatch(_ONE, said):
        return 1
    if not plural:
        return 0
    if last in ("all", "the"):
        return held(label)
    return int(last) if last.isdigit() else _NUMBERS.get(last, 0)


def _sentence(text: str, at: int) -> str:
    """The clause of the text around position ``at``."""
    starts = [m.end() for m in re.finditer(r"[.;:!?]|\bbut\b", text[:at])]
    end = re.search(r"[.;:!?]|\bbut\b", text[at:])
    return text[starts[-1] if starts else 0 : at + (end.start() if end else len(text))]


def _words(text: str) -> set[str]:
    """The words of a text that can tell an item (no short filler), a plural as its singular."""
    found = re.findall(r"[a-z0-9]+", text.lower())
    return {
        w[:-1] if len(w) > 3 and w.endswith("s") else w for w in found if len(w) > 2 or w.isdigit()
    }
