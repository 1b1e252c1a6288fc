"""A postal address in a customer's reply: "ship it to 320 Cedar Avenue, Suite 116, San Antonio,
TX 78219" or "my new address is 12 Oak St apt 4 Springfield IL 62701".

``usaddress`` (a conditional random field trained on US addresses) labels the words; this module
keeps the text from the first house number on (so "please change it to" is not read as a
recipient), joins the labelled parts into the fields a back office stores (``address1``,
``address2``, ``city``, ``state``, ``zip``, ``country``) and returns ``None`` unless the street, the
city, the state and the zip code are all there: a half-read address is asked for again, never
guessed. Country defaults to "USA" (the parser is for US addresses)."""

from __future__ import annotations

import re
from typing import TypedDict

import usaddress

_STREET_PARTS = (
    "AddressNumberPrefix",
    "AddressNumber",
    "AddressNumberSuffix",
    "StreetNamePreModifier",
    "StreetNamePreDirectional",
    "StreetNamePreType",
    "StreetName",
    "StreetNamePostType",
    "StreetNamePostDirectional",
)
_UNIT_PARTS = ("OccupancyType", "OccupancyIdentifier", "SubaddressType", "SubaddressIdentifier")
_FIRST_NUMBER = re.compile(r"\b\d+[A-Za-z]?\s+[^\W\d_]")
_ZIP = re.compile(r"^\d{5}(?:-\d{4})?$")
_STATE = re.compile(r"^[A-Za-z]{2}$|^[A-Za-z][A-Za-z .]+$")


class Address(TypedDict):
    address1: str
    address2: str
    city: str
    state: str
    country: str
    zip: str


def _clean(value: str) -> str:
    return value.strip(" ,.;")


def read_address(text: str) -> Address | None:
    """The one complete address in ``text``, or None."""
    start = _FIRST_NUMBER.search(text)
    if start is None:
        return None
    try:
        parts, kind = usaddress.tag(text[start.start() :])
    except usaddress.RepeatedLabelError:
        return None
    if kind != "Street Address":
        return None
    street = " ".join(_clean(parts[p]) for p in _STREET_PARTS if p in parts)
    unit = " ".join(_clean(parts[p]) for p in _UNIT_PARTS if p in parts)
    city = _clean(parts.get("PlaceName", ""))
    state = _clean(parts.get("StateName", ""))
    zip_code = _clean(parts.get("ZipCode", ""))
    if not (street and "AddressNumber" in parts and city and _ZIP.match(zip_code)):
        return None
    if not _STATE.match(state):
        return None
    country = _clean(parts.get("CountryName", "")) or "USA"
    if country.lower() in ("us", "u.s.", "u.s.a", "united states", "united states of america"):
        country = "USA"
    return Address(
        address1=street,
        address2=unit,
        city=city,
        state=state.upper() if len(state) == 2 else state,
        country=country,
        zip=zip_code,
    )
