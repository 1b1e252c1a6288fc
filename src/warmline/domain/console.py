"""The pack's ``console`` section: what the agent console shows of a customer and the saved
replies (macros) an agent inserts.

Both are templates with ``{placeholders}``: a dotted path into the customer's account
(``{name.first_name}``, ``{address.city}``), or a field of the account's ``fields`` for a macro
(``{first_name}``), with an optional fallback after a bar (``{first_name|there}``). A template
is checked when the pack loads: an unbalanced brace or a malformed placeholder names the file,
line and field like any other pack error.

.. code-block:: yaml

    console:
      profile:
        - label: Name
          value: "{name.first_name} {name.last_name}"
        - label: Orders
          request: /retail/users/{customer_id}/orders   # a GET; else the account's own list
          items: orders                                # the list in the answer
          item: "{order_id}"
          status: status
      macros:
        - name: greeting
          shortcut: /greet
          text: "Hi {first_name|there}, I'm {agent}; I have read your conversation."
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
_SHORTCUT = r"^/[a-z0-9][a-z0-9_-]*$"
_NAME = r"^[a-z][a-z0-9_]*$"


def placeholders(template: str) -> list[tuple[str, str | None]]:
    """The ``(path, fallback)`` of each placeholder of ``template``; ``ValueError`` naming the
    first problem (a stray brace, an empty or malformed path)."""
    found: list[tuple[str, str | None]] = []
    rest = _PLACEHOLDER.sub("", template)
    if "{" in rest or "}" in rest:
        raise ValueError("unbalanced brace: write each placeholder as {path}")
    for match in _PLACEHOLDER.finditer(template):
        inner = match.group(1)
        path, bar, fallback = inner.partition("|")
        path = path.strip()
        if not _PATH.match(path):
            raise ValueError(
                f"'{{{inner}}}' is not a placeholder: a dotted path such as {{name.first_name}}"
            )
        found.append((path, fallback.strip() if bar else None))
    return found


def shown(value: Any) -> str:
    """A value as a person reads it: a list or a mapping of scalars joined with commas (a
    mapping by its keys), nothing for nothing."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(str(k) for k in value)
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value if not isinstance(v, dict | list))
    return str(value)


def fill(template: str, lookup: Callable[[str], Any]) -> tuple[str, int]:
    """``template`` with each placeholder replaced by ``lookup(path)`` as shown (its fallback,
    else nothing, when that is empty), and how many placeholders found a value. Spaces and
    commas left dangling by an empty value are tidied away."""
    found = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        path, bar, fallback = match.group(1).partition("|")
        value = shown(lookup(path.strip()))
        if value:
            found += 1
            return value
        return fallback.strip() if bar else ""

    text = _PLACEHOLDER.sub(replace, template)
    text = re.sub(r"\s*,(\s*,)+", ",", text)  # "a, , b": "a, b"
    text = re.sub(r"[ \t]+([,.?!;:])", r"\1", text)  # "a , b": "a, b"
    text = re.sub(r",([.?!;:])", r"\1", text)  # "anything else, ?": "anything else?"
    text = re.sub(r"[ \t]{2,}", " ", text).strip(" ,")
    return text, found


def _template(value: str | None) -> str | None:
    if value is not None:
        placeholders(value)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProfileRule(_Model):
    """One line of the customer's profile: a ``value`` made from the account, or a list of
    ``items`` (from the account, or from the answer to ``request``) each shown as ``item``,
    with its ``status``."""

    label: str = Field(min_length=1, max_length=60)
    value: str | None = Field(None, description="a template over the account")
    items: str | None = Field(None, description="the dotted path of a list")
    item: str | None = Field(None, description="a template over one item; default: the item")
    status: str | None = Field(None, description="the dotted path of an item's status")
    request: str | None = Field(
        None, description="a GET path of the back office holding the list; {customer_id}"
    )

    _templates = field_validator("value", "item")(_template)

    @field_validator("items", "status")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None and not _PATH.match(value):
            raise ValueError(f"'{value}' is not a dotted path such as orders or trip.status")
        return value

    @field_validator("request")
    @classmethod
    def _request(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.startswith("/"):
            raise ValueError("a request is a back-office path starting with /")
        names = {path for path, _ in placeholders(value)}
        if names - {"customer_id"}:
            raise ValueError("a request's only placeholder is {customer_id}")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> ProfileRule:
        if (self.value is None) == (self.items is None):
            raise ValueError("a profile line has either a value or items")
        if self.value is not None and (self.item or self.status or self.request):
            raise ValueError("item, status and request go with items, not with a value")
        return self


class Macro(_Model):
    """A saved reply: listed beside the conversation, inserted by clicking it or by typing its
    ``shortcut`` in the reply box (Tab or Enter expands it)."""

    name: str = Field(pattern=_NAME)
    shortcut: str = Field(pattern=_SHORTCUT, max_length=32)
    text: str = Field(min_length=1, max_length=2000)

    _templates = field_validator("text")(_template)


class ConsoleSpec(_Model):
    profile: list[ProfileRule] = Field(
        default_factory=list,
        description="the customer's profile lines; empty: the account's fields as they are",
    )
    macros: list[Macro] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ConsoleSpec:
        for what in ("name", "shortcut"):
            values = [getattr(m, what) for m in self.macros]
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ValueError(f"two macros have the {what} {', '.join(twice)}")
        return self
