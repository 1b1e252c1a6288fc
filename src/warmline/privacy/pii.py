"""Personal data in free text: payment cards, email addresses, phone numbers, US social
security numbers and IBANs, found by patterns and checksums and masked.

* A card is 13 to 19 digits (12 for a Maestro-range number), in groups split by single spaces
  or dashes, that passes the Luhn check: an order number that fails it is not a card. Masked to
  its last four: ``[card ending 4242]``.
* An email address keeps its first letter and its domain: ``m***@example.com``.
* A phone number is 7 to 15 digits written like one: with ``+`` or ``00``, brackets, spaces,
  dots or dashes, an optional extension; a bare run of digits counts from 10 digits on (a
  shorter one is an order or booking number). Dates, times, amounts, ZIP+4 codes and dotted
  addresses are not phones. Masked to its last two digits: ``[phone ending 67]``.
* An SSN is ``AAA-GG-SSSS`` (or with spaces) with a valid area, group and serial: ``[SSN]``.
* An IBAN is a country code, two check digits and 11 to 30 letters and digits (in groups of
  four or not) whose mod-97 check holds: ``[IBAN ending 7566]``.

Reservation codes (``ZFA04Y``), order ids (``#W2378156``), user ids (``mia_li_3668``), amounts,
dates and ZIP codes are none of these and are left as they are. Masking is idempotent: a masked
text has nothing left to mask. Pure functions of the text; no model, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Kind = Literal["card", "email", "phone", "ssn", "iban"]
KINDS: tuple[Kind, ...] = ("email", "iban", "card", "ssn", "phone")
"""Every kind, in the order they win when two overlap."""


@dataclass(frozen=True)
class Found:
    """One piece of personal data: its kind, where it is, and what it is masked to."""

    kind: Kind
    start: int
    end: int
    text: str
    mask: str


@dataclass(frozen=True)
class MaskResult:
    """The masked text and what was masked in the original (spans of the original text)."""

    text: str
    found: tuple[Found, ...] = ()

    @property
    def kinds(self) -> set[Kind]:
        return {f.kind for f in self.found}

    @property
    def changed(self) -> bool:
        return bool(self.found)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN written without spaces."""
    iban = iban.upper()
    if not (15 <= len(iban) <= 34 and iban[:2].isalpha() and iban[2:4].isdigit()):
        return False
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
_DIGIT_RUN = re.compile(r"(?<![\w.,+])\d+(?:[ -]\d+)*(?![\w])")
_MAESTRO_12 = ("50", "56", "57", "58", "6", "0604")
_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
_IBAN = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{1,4}){3,8}(?![\w])")
_PHONE = re.compile(
    r"(?<![\w+$€£¥.,/:#-])"
    r"(?:\+|00)?\(?\d[\d().\- /]{5,}\d"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?"
    r"(?![\w/:]|[.,]\d)",
    re.I,
)
_EXTENSION = re.compile(r"\s?(?:x|ext\.?|extension)\s?\d{1,6}$", re.I)
_NOT_PHONE = re.compile(
    r"(?<![\d.,/+-])(?:"
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # 2024-05-22
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"  # 22/05/2024
    r"|\d{1,2}:\d{2}"  # 12:30
    r"|\d{5}-\d{4}"  # ZIP+4
    r"|\d{1,3}(?:\.\d{1,3}){3}"  # an IPv4 address
    r"|\d+[.,]\d{1,2}"  # an amount
    r"|\d{1,2} ?- ?\d{1,2}|\d{1,3}/\d{1,3}"  # a range or a fraction: 9-17, 3/4
    r")(?![\d]|[.,/-]\d)"
)
_AFTER_AMOUNT = re.compile(r"\s?(?:usd|eur|gbp|dollars?|euros?|pounds?|%)\b", re.I)


def _cards(text: str) -> Iterator[Found]:
    for run in _DIGIT_RUN.finditer(text):
        found = run.group()
        if len(found) - found.count(" ") - found.count("-") < CARD_DIGITS:
            continue  # too few digits for any card
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in _group(run.group())]
        i = 0
        while i < len(groups):
            for j in range(len(groups), i, -1):
                start, end = groups[i][0], groups[j - 1][1]
                digits = "".join(ch for ch in text[start:end] if ch.isdigit())
                if _card_number(digits):
                    yield Found("card", start, end, text[start:end], f"[card ending {digits[-4:]}]")
                    i = j
                    break
            else:
                i += 1


def _group(run: str) -> Iterator[re.Match[str]]:
    return re.finditer(r"\d+", run)


def _card_number(digits: str) -> bool:
    n = len(digits)
    if n == 12:
        return digits.startswith(_MAESTRO_12) and luhn_valid(digits)
    return 13 <= n <= 19 and luhn_valid(digits)


def _emails(text: str) -> Iterator[Found]:
    for m in _EMAIL.finditer(text):
        local, domain = m.group().split("@", 1)
        yield Found("email", m.start(), m.end(), m.group(), f"{local[0]}***@{domain}")


def _ssns(text: str) -> Iterator[Found]:
    for m in _SSN.finditer(text):
        area, group, serial = m.group(1), m.group(3), m.group(4)
        if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
            continue
        yield Found("ssn", m.start(), m.end(), m.group(), "[SSN]")


def _ibans(text: str) -> Iterator[Found]:
    for m in _IBAN.finditer(text):
        candidate = m.group()
        while candidate:  # a word after the number may have been taken for its last group
            compact = candidate.replace(" ", "")
            if iban_valid(compact):
                end = m.start() + len(candidate)
                yield Found("iban", m.start(), end, candidate, f"[IBAN ending {compact[-4:]}]")
                break
            candidate = candidate.rpartition(" ")[0]


_CONTEXT = re.compile(
    r"\b(?:(?P<phone>phone|call|mobile|cell|tel|telephone|whatsapp|sms|text me|reach me|ring|"
    r"fax|landline|number is)"
    r"|(?P<id>order|tracking|booking|reservation|confirmation|invoice|ticket|account|ref|"
    r"reference|item|product|sku|serial|parcel|case))\b",
    re.I,
)


def _context(text: str, start: int) -> str | None:
    """What the words just before ``start`` say the number is: "phone", "id" or nothing."""
    said = None
    for m in _CONTEXT.finditer(text, max(0, start - 32), start):
        said = m.lastgroup
    return said


def _bare_phone(digits: str, context: str | None) -> bool:
    """A run of digits alone is a phone when the words before it say so, or when it is as
    long as one (9 to 12 digits from a leading 0, 10 to 12 otherwise) and not said to be an
    order, booking or tracking number."""
    if context == "phone":
        return True
    shortest = 9 if digits[0] == "0" else 10
    return context is None and shortest <= len(digits) <= 12


def _phones(text: str) -> Iterator[Found]:
    blanked = _NOT_PHONE.sub(lambda m: "_" * len(m.group()), text)
    for m in _PHONE.finditer(blanked):
        candidate = m.group()
        start, end = m.start(), m.end()
        while candidate and candidate[-1] in ")-./ ":  # a closing bracket of the sentence
            candidate, end = candidate[:-1], end - 1
        number = _EXTENSION.sub("", candidate)
        digits = "".join(ch for ch in number if ch.isdigit())
        if not 7 <= len(digits) <= 15:
            continue
        shaped = number.startswith(("+", "(")) or any(ch in " ().-/" for ch in number)
        if not shaped and not _bare_phone(digits, _context(text, start)):
            continue
        if _AFTER_AMOUNT.match(text, end):
            continue
        yield Found("phone", start, end, text[start:end], f"[phone ending {digits[-2:]}]")


_MAYBE = re.compile(r"[\d@]")
_DIGIT = re.compile(r"\d")
CARD_DIGITS = 12
FEWEST_DIGITS: dict[Kind, int] = {"card": CARD_DIGITS, "ssn": 9, "phone": 7}
"""The digits a text must hold for a kind to be in it at all (its shortest form)."""

_RECOGNISERS = {
    "email": _emails,
    "iban": _ibans,
    "card": _cards,
    "ssn": _ssns,
    "phone": _phones,
}


def find_pii(text: str, kinds: tuple[Kind, ...] = KINDS) -> list[Found]:
    """Every piece of personal data in ``text``, in reading order; where two overlap, the kind
    first in ``KINDS`` wins (an email's digits are not a phone, a card's not an SSN)."""
    if _MAYBE.search(text) is None:  # every kind holds a digit or an @
        return []
    digits = len(_DIGIT.findall(text))
    taken: list[Found] = []
    for kind in kinds:
        if digits < FEWEST_DIGITS.get(kind, 0) or (kind == "email" and "@" not in text):
            continue  # cannot be there: skip its patterns
        for found in _RECOGNISERS[kind](text):
            if all(found.end <= t.start or found.start >= t.end for t in taken):
                taken.append(found)
    return sorted(taken, key=lambda f: f.start)


def mask_text(text: str, kinds: tuple[Kind, ...] = KINDS) -> MaskResult:
    """``text`` with its personal data masked, and what was found."""
    found = find_pii(text, kinds)
    if not found:
        return MaskResult(text)
    parts: list[str] = []
    cursor = 0
    for f in found:
        parts += [text[cursor : f.start], f.mask]
        cursor = f.end
    parts.append(text[cursor:])
    return MaskResult("".join(parts), tuple(found))


def mask(text: str) -> str:
    """``text`` with its personal data masked."""
    return mask_text(text).text


def mask_contact(medium: str, contact: str) -> str:
    """A contact left for a call back, as shown where it is not needed in full."""
    masked = mask(contact)
    if masked != contact:
        return masked
    digits = "".join(ch for ch in contact if ch.isdigit())
    return f"[{medium} ending {digits[-2:]}]" if medium == "phone" else "[contact]"
