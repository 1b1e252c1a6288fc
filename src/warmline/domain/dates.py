"""Month names: the one list the NLU and the policy read them with."""

from __future__ import annotations

MONTHS = (
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
)
"""The months, in order."""
MONTH_NAME = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
"""A month's name, whole or short ("September", "Sept", "Sep"), as a regular expression."""


def month_number(name: str) -> int | None:
    """The month (1 to 12) a name matched by ``MONTH_NAME`` says (None: no month)."""
    head = name.strip().lower()[:3]
    short = [month[:3] for month in MONTHS]
    return short.index(head) + 1 if head in short else None
