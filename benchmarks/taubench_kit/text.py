"""Words and labels as the scripted customer compares them: content tokens (stemmed, common
words left out), and the ids and parts of the labels the bot offers (order ids, an item's name
and options, a price)."""

from __future__ import annotations

import re

_COMMON = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "have",
        "has",
        "had",
        "was",
        "were",
        "are",
        "you",
        "your",
        "my",
        "me",
        "our",
        "not",
        "but",
        "order",
        "orders",
        "ordered",
        "item",
        "items",
        "want",
        "would",
        "like",
        "can",
        "could",
        "please",
        "just",
        "also",
    ]
)


def _stem(token: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def tokens(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9#]+", text.lower())
    return {_stem(t) for t in words if (len(t) > 2 or t.isdigit()) and t not in _COMMON}


ENDS_IN = re.compile(r"\bends? (?:in|with) (\d+)\b", re.I)
ORDER_ID = re.compile(r"#?W\d{7}\b")
ORDER_LABEL = re.compile(r"^\s*(?:order\s*)?#?W\d{7}\b", re.I)
#: an offered item: ``Lamp (color black, ...) - $20``
ITEM_LABEL = re.compile(r"^(?P<head>[^(:]+?)\s*\((?P<opts>[^)]*)\)")


def order_number(label: str) -> str:
    """The order number a label names (``W1234567``)."""
    return str(re.findall(r"W\d{7}", label)[0])


def label_name(label: str) -> str:
    """A label's name, before its options or price (``Wall Clock``)."""
    return re.split(r"\s[(-]", label, maxsplit=1)[0].strip()


def without_price(label: str) -> str:
    """A label without the price it ends with (``... - $20.00``)."""
    return re.sub(r"\s+-\s+\$[\d,.]+\s*$", "", label)
