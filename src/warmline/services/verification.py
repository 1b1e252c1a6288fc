"""In-conversation verification, the services' half: read the facts the pack's verification
methods ask for from the customer's replies (deterministic readers: an email, a 5-digit zip, a
name, a pattern, a date, the text), look the customer up in the back office once every fact of
a method is in, and compare the facts the method says the record must match. A match is
recorded as ``CustomerVerified``, a miss as ``VerificationFailed``; what follows is the
policy's (``policy/verification.py``).

A fact's value is used for the lookup only: it is in no event field kept raw (the customer's
message holding it is masked at rest like any other, ``privacy/events.py``)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any

from warmline.domain.customers import VerificationCheck, VerificationResult, dig
from warmline.domain.events import CustomerVerified, VerificationFailed
from warmline.domain.pack import NAME_PARTS, VerificationFact, VerificationMethod
from warmline.errors import (
    BackOfficeCircuitOpen,
    BackOfficeNotFound,
    BackOfficeRejected,
    ConnectorError,
)
from warmline.nlu.names import read_name
from warmline.nlu.values import DateFinder
from warmline.privacy.pii import find_pii
from warmline.services.actions import ActionRunner
from warmline.services.turn.context import Turn

_ZIP = re.compile(r"(?<!\d)\d{5}(?!\d)")


class FactReader:
    """Reads one fact from a text; the date reader (dateparser) is built on first use."""

    def __init__(self) -> None:
        self._dates: DateFinder | None = None

    def read(self, fact: VerificationFact, text: str, now: datetime) -> str | None:
        if fact.reader == "email":
            found = find_pii(text, ("email",))
            return found[0].text if found else None
        if fact.reader == "zip":
            match = _ZIP.search(text)
            return match.group(0) if match else None
        if fact.reader == "name":
            name = read_name(text)
            return " ".join(name) if name else None
        if fact.reader == "pattern":
            assert fact.pattern is not None
            match = re.search(fact.pattern, text)
            return match.group(0) if match else None
        if fact.reader == "date":
            if self._dates is None:
                self._dates = DateFinder()
            dates = self._dates.find(text, now, "past")
            return dates[0].value if dates else None
        return text.strip() or None


class Verifier:
    def __init__(self, runner: ActionRunner, attempts: int) -> None:
        self.runner = runner
        self.attempts = attempts
        self.reader = FactReader()

    async def check(self, turn: Turn, text: str) -> VerificationCheck | None:
        """What ``text`` does for the verification under way (None: none is); records the
        match or the miss on the turn. Every method's facts are read; the first method that
        this reply gives a fact of and whose facts are all in is looked up (else the first
        this reply gives a fact of, with the fact it still lacks)."""
        state = turn.state
        if state.verifying is None or state.customer_id is not None:
            return None  # one customer per conversation: a bound one is never verified again
        if not any(m.name == state.verifying.method for m in turn.pack.verification):
            return None
        readings = await asyncio.to_thread(self._read_all, turn, text)
        if not readings:
            return self._check(state.verifying.method, (), None)
        method, given, values = readings[0]
        for candidate in readings:
            if all(f.name in candidate[2] for f in candidate[0].facts):
                method, given, values = candidate
                break
        missing = next((f.name for f in method.facts if f.name not in values), None)
        if missing is not None:
            return self._check(method.name, given, missing)
        result, customer_id, detail = await self._lookup(method, values)
        if result == "matched" and customer_id is not None:
            turn.add(CustomerVerified(at=turn.at, customer_id=customer_id, method=method.name))
        elif result == "no_match":
            attempt = state.verification_failures + 1
            turn.add(VerificationFailed(at=turn.at, method=method.name, attempt=attempt))
        return self._check(method.name, given, None, result, customer_id, detail)

    def _read_all(
        self, turn: Turn, text: str
    ) -> list[tuple[VerificationMethod, tuple[str, ...], dict[str, str]]]:
        """Each method this reply gives a fact of, in the pack's order: the facts it gives,
        and every fact's latest value since the verification began."""
        readings = []
        for method in turn.pack.verification:
            given, values = self._read(turn, method, text)
            if given:
                readings.append((method, given, values))
        return readings

    def _check(
        self,
        method: str,
        given: tuple[str, ...],
        missing: str | None,
        result: VerificationResult | None = None,
        customer_id: str | None = None,
        detail: str = "",
    ) -> VerificationCheck:
        return VerificationCheck(method, given, missing, result, customer_id, self.attempts, detail)

    def _read(
        self, turn: Turn, method: VerificationMethod, text: str
    ) -> tuple[tuple[str, ...], dict[str, str]]:
        """The facts in ``text`` (their names), and each fact's latest value in the replies
        since the verification began, this one first."""
        assert turn.state.verifying is not None
        earlier = [line.text for line in turn.state.transcript if line.author == "customer"]
        replies = [text, *reversed(earlier[turn.state.verifying.since :])]
        values: dict[str, str] = {}
        given: list[str] = []
        for fact in method.facts:
            for index, reply in enumerate(replies):
                value = self.reader.read(fact, reply, turn.at)
                if value is not None:
                    values[fact.name] = value
                    if index == 0:
                        given.append(fact.name)
                    break
        return tuple(given), values

    async def _lookup(
        self, method: VerificationMethod, values: dict[str, str]
    ) -> tuple[VerificationResult, str | None, str]:
        """The back office's answer: the customer found (and matching), none, or a failure."""
        try:
            record = await self.runner.lookup(method.lookup, _with_name_parts(method, values))
        except (BackOfficeNotFound, BackOfficeRejected):
            return "no_match", None, ""
        except BackOfficeCircuitOpen as exc:
            return "circuit_open", None, exc.title
        except ConnectorError as exc:
            return "unavailable", None, exc.title
        found = record.get(method.customer_field, values.get(method.customer_field))
        if not isinstance(found, str) or not found or not _matches(method, record, values):
            return "no_match", None, ""
        return "matched", found, ""


def _matches(method: VerificationMethod, record: dict[str, Any], values: dict[str, str]) -> bool:
    """Whether every fact the method compares equals its field of the record found."""
    for fact, field in method.match.items():
        held = dig(record, field)
        if held is None or str(held).strip().casefold() != values[fact].strip().casefold():
            return False
    return True


def _with_name_parts(method: VerificationMethod, values: dict[str, str]) -> dict[str, str]:
    """The lookup's values: the facts, and a ``name`` fact's first and last name."""
    named = next((f.name for f in method.facts if f.reader == "name"), None)
    if named is None:
        return values
    first, _, last = values[named].partition(" ")
    return {**values, **dict(zip(NAME_PARTS, (first, last), strict=True))}
