"""The customer as the back office describes them, and the facts a pack declares relevant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Customer(BaseModel):
    """``facts`` maps each name in the pack's ``account.fields`` to the values found there."""

    model_config = ConfigDict(frozen=True)
    id: str
    profile: dict[str, Any] = Field(default_factory=dict)
    facts: dict[str, list[str]] = Field(default_factory=dict)


def dig(data: Any, dotted: str) -> Any:
    """Follow a dotted path (``a.b.0.c``) through dicts and lists; ``None`` when absent."""
    current = data
    for part in dotted.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def facts_from_profile(profile: dict[str, Any], fields: dict[str, str]) -> dict[str, list[str]]:
    facts: dict[str, list[str]] = {}
    for name, path in fields.items():
        value = dig(profile, path)
        if value is None:
            facts[name] = []
        elif isinstance(value, dict):
            facts[name] = [str(k) for k in value]
        elif isinstance(value, list):
            facts[name] = [str(v) for v in value]
        else:
            facts[name] = [str(value)]
    return facts


VerificationResult = Literal["matched", "no_match", "unavailable", "circuit_open"]


@dataclass(frozen=True)
class VerificationCheck:
    """What one reply did for the verification under way (``ConversationState.verifying``):
    the facts read from it (names only, never values), the next fact still to give, and, once
    every fact was in, what the back office's lookup found."""

    method: str
    given: tuple[str, ...] = ()
    missing: str | None = None
    result: VerificationResult | None = None
    customer_id: str | None = None
    attempts_allowed: int = 3
    detail: str = ""
