"""The actions runtime: fills a pack action's request from its parameters and calls the back
office through the connector. Writes carry an idempotency key, so a retried turn never applies
twice.

Each write has a circuit breaker of its own, ``write:<pack>.<action>`` (its dry run counts
too, being the same endpoint); every read shares ``read``. While a write's breaker is open its
preview raises ``BackOfficeCircuitOpen`` before anything is read: the bot promises nothing it
could not do now, and the policy tells the customer and offers a person (``circuit_open``)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from warmline.connectors.backoffice import BackOfficeClient
from warmline.domain.pack import Action, DomainPack, HttpRequest
from warmline.errors import BackOfficeCircuitOpen, PackError, PackIssue

_PLACEHOLDER = re.compile(r"{([a-z_][a-z0-9_]*)}")


def _fill(template: str, params: dict[str, str], *, in_path: bool) -> str:
    def replace(match: re.Match[str]) -> str:
        value = params.get(match.group(1), "")
        return quote(value, safe="") if in_path else value

    return _PLACEHOLDER.sub(replace, template)


READ_OPERATION = "read"


def operation(pack: DomainPack, action: Action, name: str) -> str:
    """The breaker a pack action's calls go through."""
    return READ_OPERATION if action.risk == "read" else f"write:{pack.pack}.{name}"


SPREAD = "..."
"""A body key whose value, an object parameter (an address), is spread into the body."""


def _body_value(template: str, params: dict[str, str]) -> Any:
    """A body value: an integer, or a JSON list or object (a ``many`` or ``per`` parameter),
    when the value is exactly one placeholder holding one; the text otherwise."""
    whole = _PLACEHOLDER.fullmatch(template)
    value = _fill(template, params, in_path=False)
    if whole and value.lstrip("-").isdigit():
        return int(value)
    if whole and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def build_request(
    request: HttpRequest, params: dict[str, str]
) -> tuple[str, str, dict[str, Any] | None]:
    path = _fill(request.path, params, in_path=True)
    body: dict[str, Any] = {}
    for key, template in request.body.items():
        value = _body_value(template, params)
        if key == SPREAD and isinstance(value, dict):
            body.update(value)  # an object parameter's fields become the body's own
        else:
            body[key] = value
    return request.method, path, (body if request.method != "GET" else None)


class ActionRunner:
    def __init__(self, client: BackOfficeClient) -> None:
        self.client = client

    def _action(self, pack: DomainPack, name: str) -> Action:
        action = pack.actions.get(name)
        if action is None:
            raise PackError([PackIssue(pack.pack, None, f"actions.{name}", "no such action")])
        return action

    async def preview(self, pack: DomainPack, name: str, params: dict[str, str]) -> dict[str, Any]:
        """What a write would touch, read before asking for confirmation (empty if none): the
        ``preview`` read, or the write itself as a dry run (``?dry_run=true``)."""
        action = self._action(pack, name)
        breaker = operation(pack, action, name)
        if breaker != READ_OPERATION and await self.client.circuit_open(breaker):
            raise BackOfficeCircuitOpen(
                f"back office circuit open ({breaker}): the write is paused, nothing proposed"
            )
        request = action.preview_request()
        if request is None:
            return {}
        method, path, body = build_request(request, params)
        if request.method in ("GET", "HEAD"):
            breaker = READ_OPERATION  # a preview read, not the write's dry run
        return await self.client.request(method, path, json=body, operation=breaker)

    async def execute(
        self, pack: DomainPack, name: str, params: dict[str, str], idempotency_key: str | None
    ) -> dict[str, Any]:
        action = self._action(pack, name)
        method, path, body = build_request(action.request, params)
        key = idempotency_key if action.risk != "read" else None
        return await self.client.request(
            method, path, json=body, idempotency_key=key, operation=operation(pack, action, name)
        )

    async def lookup(self, request: HttpRequest, params: dict[str, str]) -> dict[str, Any]:
        """A read the pack declares outside its actions (a verification lookup)."""
        method, path, body = build_request(request, params)
        return await self.client.request(method, path, json=body, operation=READ_OPERATION)

    async def account(self, pack: DomainPack, customer_id: str) -> dict[str, Any]:
        if pack.account is None:
            return {}
        method, path, body = build_request(pack.account.lookup, {"customer_id": customer_id})
        return await self.client.request(method, path, json=body, operation=READ_OPERATION)
