"""The customer's profile as the agent console shows it, and the pack's saved replies filled in
for this customer: both from the pack's ``console`` section (``domain/console.py``) over the
customer's account (the account cache, as the turn reads it) and the lists the pack names
(read from the back office through the action runner). A list the back office cannot give is
shown as unavailable, with the reason, never silently left out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from warmline.domain.console import ProfileRule, fill, shown
from warmline.domain.customers import Customer, dig
from warmline.domain.pack import DomainPack, HttpRequest
from warmline.errors import ConnectorError
from warmline.services.customer_accounts import AccountCache

log = logging.getLogger("warmline.console")
MAX_ITEMS = 20


@dataclass(frozen=True)
class ProfileItem:
    text: str
    status: str = ""


@dataclass(frozen=True)
class ProfileLine:
    """One line of the profile: a value, or a list of items; ``problem`` when it could not be
    read."""

    label: str
    value: str = ""
    items: list[ProfileItem] = field(default_factory=list)
    problem: str = ""


@dataclass(frozen=True)
class MacroView:
    name: str
    shortcut: str
    text: str


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _item(rule: ProfileRule, raw: Any) -> ProfileItem:
    if rule.item is None or not isinstance(raw, dict):
        text = shown(raw) if not isinstance(raw, dict) else ", ".join(map(shown, raw.values()))
    else:
        text, _ = fill(rule.item, lambda path: dig(raw, path))
    status = shown(dig(raw, rule.status)) if rule.status and isinstance(raw, dict) else ""
    return ProfileItem(text=text, status=status)


def generic_profile(profile: dict[str, Any]) -> list[ProfileLine]:
    """Without a ``console.profile`` in the pack: the account's fields as they are."""
    lines = [ProfileLine(label=key, value=shown(value)) for key, value in profile.items()]
    return [line for line in lines if line.value]


class ConsoleProfiles:
    def __init__(self, accounts: AccountCache) -> None:
        self.accounts = accounts

    async def customer(self, pack: DomainPack, customer_id: str | None) -> Customer | None:
        customer, _ = await self.accounts.get(pack, customer_id)
        return customer

    async def profile(self, pack: DomainPack, customer: Customer | None) -> list[ProfileLine]:
        """The profile lines the pack declares, with this customer's values."""
        if customer is None:
            return []
        if not pack.console.profile:
            return generic_profile(customer.profile)
        lines = []
        for rule in pack.console.profile:
            line = await self._line(rule, customer)
            if line.value or line.items or line.problem:
                lines.append(line)
        return lines

    async def _line(self, rule: ProfileRule, customer: Customer) -> ProfileLine:
        if rule.value is not None:
            value, found = fill(rule.value, lambda path: dig(customer.profile, path))
            return ProfileLine(label=rule.label, value=value if found else "")
        source: Any = customer.profile
        if rule.request is not None:
            request = HttpRequest(method="GET", path=rule.request)
            try:
                source = await self.accounts.runner.lookup(request, {"customer_id": customer.id})
            except ConnectorError as exc:
                log.warning("profile line %s could not be read: %s", rule.label, exc.title)
                return ProfileLine(label=rule.label, problem=f"unavailable: {exc.title}")
        assert rule.items is not None  # a line has a value or items (domain/console.py)
        raw = _as_list(dig(source, rule.items))
        return ProfileLine(label=rule.label, items=[_item(rule, r) for r in raw[:MAX_ITEMS]])

    @staticmethod
    def macros(pack: DomainPack, customer: Customer | None, agent: str) -> list[MacroView]:
        """The pack's saved replies filled in: ``{agent}``, ``{customer_id}``, a field of the
        account's ``fields`` (``{first_name}``) or a dotted path of the account; a value
        missing takes the placeholder's fallback, else nothing."""

        def lookup(path: str) -> Any:
            if path == "agent":
                return agent
            if customer is None:
                return None
            if path == "customer_id":
                return customer.id
            if path in customer.facts:
                values = customer.facts[path]
                return values[0] if len(values) == 1 else values
            return dig(customer.profile, path)

        return [
            MacroView(name=m.name, shortcut=m.shortcut, text=fill(m.text, lookup)[0])
            for m in pack.console.macros
        ]
