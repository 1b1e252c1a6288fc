"""Typed values in free text: dates and money amounts, normalised for an action to use.

* Dates: ``dateparser``'s search finds the phrase ("on May 22", "22/05/2024", "next Friday",
  "in 3 days", "tomorrow"), relative to the turn's time; the value is ISO ``YYYY-MM-DD``. A
  phrase in words counts only when it holds a digit or a day word (today, Friday, ...): a bare
  "may" ("may I change seat") or "now" is not a date; a phrase of digits only counts when it
  is a whole day, month and year ("12,50" is not a date).
* Amounts: a number with a currency sign or word ("$25.50", "25 dollars", "EUR 1,200",
  "30 usd"); ``price-parser`` reads the number (thousands separators, decimal commas). The value
  is ``"25.50 USD"``. A number without a currency is not an amount: order ids and counts are
  numbers too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from price_parser import Price

from warmline.domain.events import ContactMedium

Prefer = Literal["future", "past", "current_period"]

_DAY_WORDS = re.compile(
    r"\b(today|tomorrow|tonight|yesterday|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|week|weekend|month|year|days?)\b",
    re.I,
)
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
_NUMERIC_DATE = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\s*$")
_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_WORDS = {
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "bucks": "USD",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "gbp": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "jpy": "JPY",
    "yen": "JPY",
    "cad": "CAD",
    "aud": "AUD",
    "chf": "CHF",
}
_NUMBER = r"\d{1,3}(?:[,.\s]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_CODES = "|".join(sorted(_WORDS, key=len, reverse=True))
_AMOUNT = re.compile(
    rf"(?P<sign>[$€£¥])\s?(?P<n1>{_NUMBER})"
    rf"|(?P<n2>{_NUMBER})\s?(?P<word>{_CODES})\b"
    rf"|\b(?P<code>usd|eur|gbp|cad|aud|chf)\s?(?P<n3>{_NUMBER})",
    re.I,
)


@dataclass(frozen=True)
class Found:
    """A typed value found in the text: the span as written and the normalised value."""

    text: str
    value: str
    start: int
    end: int


class DateFinder:
    """Finds dates in English text. Loading dateparser's data takes a moment: build it once."""

    def __init__(self) -> None:
        from dateparser.search import search_dates

        self._search = search_dates
        self.find("on May 22", datetime(2026, 1, 1), "future")  # load its data now, not mid-turn

    def find(self, text: str, now: datetime, prefer: Prefer) -> list[Found]:
        settings: dict[str, Any] = {
            "PREFER_DATES_FROM": prefer,
            "RELATIVE_BASE": now.replace(tzinfo=None),
            "RETURN_AS_TIMEZONE_AWARE": False,
            "STRICT_PARSING": False,
        }
        try:
            hits = self._search(text, languages=["en"], settings=settings) or []
        except Exception:  # dateparser raises assorted errors on odd input; no date, then
            return []
        found: list[Found] = []
        cursor = 0
        for phrase, when in hits:
            if not _LETTER.search(phrase):
                if not _NUMERIC_DATE.match(phrase):  # "12,50" is not a date; "22/05/2024" is
                    continue
            elif not (_DIGIT.search(phrase) or _DAY_WORDS.search(phrase)):
                continue
            start = text.find(phrase, cursor)
            if start < 0:
                continue
            cursor = start + len(phrase)
            found.append(Found(phrase, when.date().isoformat(), start, cursor))
        return found


_DOLLAR_MARKERS = {"$", "dollar", "dollars", "bucks"}


def find_amounts(text: str, currency: str = "USD") -> list[Found]:
    """Money amounts with a currency sign or word. ``currency`` is the pack's own: when it is a
    dollar (USD, CAD, AUD, ...), "$" and "dollars" mean it; other signs and codes say theirs."""
    found: list[Found] = []
    for match in _AMOUNT.finditer(text):
        number = match.group("n1") or match.group("n2") or match.group("n3")
        marker = (match.group("sign") or match.group("word") or match.group("code") or "").lower()
        if marker in _DOLLAR_MARKERS and currency.endswith("D"):
            code = currency
        else:
            code = _SIGNS.get(marker) or _WORDS.get(marker, currency)
        amount = Price.fromstring(number).amount
        if amount is None:
            continue
        value = f"{amount.quantize(Decimal('0.01'))} {code}"
        found.append(Found(match.group(0), value, match.start(), match.end()))
    return found


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}")
_DATE_LIKE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d\s().-]{5,}\d(?![\w])")


def find_contact(text: str) -> tuple[ContactMedium, str] | None:
    """An email address or phone number in ``text``: (medium, contact). A phone number has 7
    digits or more written like one (with "+", spaces, dashes, dots or brackets), or 10 or more
    in a row; a shorter bare number is taken for an order or booking number."""
    email = _EMAIL.search(text)
    if email:
        return "email", email.group(0)
    for phone in _PHONE.finditer(text):
        candidate = phone.group(0).strip()
        if _DATE_LIKE.fullmatch(candidate):
            continue
        digits = sum(ch.isdigit() for ch in candidate)
        shaped = candidate.startswith("+") or any(ch in " ().-" for ch in candidate)
        # A bare run of digits is an order or booking number unless it is as long as a phone
        # number with its area code.
        if digits >= 7 and (shaped or digits >= 10):
            return "phone", candidate
    return None
