"""What the customer knows about themselves (identity facts, their orders and what each holds)
and the facts they give when the bot asks to verify them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .talk import questions


@dataclass
class Identity:
    """What a person knows about themselves."""

    user_id: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    zip: str = ""
    dob: str = ""
    payment_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: order id -> the product names it holds (what a person remembers of their orders)
    orders: dict[str, list[str]] = field(default_factory=dict)
    #: order id -> its status (a person knows whether an order has arrived)
    statuses: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_user(
        cls, user_id: str, user: dict[str, Any], orders: dict[str, Any] | None = None
    ) -> Identity:
        name = user.get("name") or {}
        held = {
            str(o): [str(i.get("name", "")) for i in (orders or {}).get(o, {}).get("items", [])]
            for o in user.get("orders", []) or []
        }
        statuses = {
            str(o): str((orders or {}).get(o, {}).get("status", ""))
            for o in user.get("orders", []) or []
        }
        return cls(
            payment_methods=dict(user.get("payment_methods") or {}),
            orders=held,
            statuses=statuses,
            user_id=user_id,
            email=str(user.get("email", "")),
            first_name=str(name.get("first_name", "")),
            last_name=str(name.get("last_name", "")),
            zip=str((user.get("address") or {}).get("zip", "")),
            dob=str(user.get("dob", "")),
        )


_ASKS = [
    ("email", re.compile(r"\be-?mail\b", re.I)),
    ("user_id", re.compile(r"\buser ?id\b|\busername\b", re.I)),
    ("dob", re.compile(r"\bdate of birth\b|\bbirth ?(?:day|date)\b|\bborn\b", re.I)),
    ("name", re.compile(r"\b(?:full )?name\b", re.I)),
    ("zip", re.compile(r"\bzip\b|\bpostal code\b|\bpost ?code\b", re.I)),
]


def asked_facts(bot_text: str) -> list[str]:
    """The identity facts a question asks for, in the order of ``_ASKS``; when it offers
    another way (``... or ... instead``), only the first."""
    asked_in = " ".join(questions(bot_text))
    asked = [name for name, pattern in _ASKS if pattern.search(asked_in)]
    if "email" in asked and re.search(r"\binstead\b|\brather\b|\bor\b", bot_text, re.I):
        return ["email"]
    return asked


def identity_answer(bot_text: str, me: Identity) -> str | None:
    """The facts asked for, or None when the text asks for none."""
    values = {
        "email": me.email,
        "user_id": me.user_id,
        "dob": me.dob,
        "name": f"{me.first_name} {me.last_name}".strip(),
        "zip": me.zip,
    }
    parts = [values[fact] for fact in asked_facts(bot_text) if values[fact]]
    if not parts:
        return None
    return " and ".join(parts) if len(parts) > 1 else parts[0]
