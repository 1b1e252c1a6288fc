"""tau-bench tool calls as REST calls of the reference back office.

``tool_request(domain, name, kwargs)`` answers the ``(method, path, body)`` whose effect on the
back office's data is the effect of tau-bench's tool ``name`` with ``kwargs`` (reads map to their
GET, with the query in the path), or ``None`` for the tools that touch no data (``think``,
``calculate``, ``transfer_to_human_agents``). A benchmark replays a task's gold calls with it.

Airline writes carry ``?checks=tool``: they make only the checks tau-bench's tool makes, since
its policy leaves the cancellation, flight-change and baggage-allowance rules to the agent ("the
API does not check these"); the bot's own calls keep every rule of the policy. Retail's tools
check the policy's rules themselves, so retail writes need no such flag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

Kwargs = dict[str, Any]
Request = tuple[str, str, Kwargs | None]

NO_DATA_TOOLS = frozenset({"think", "calculate", "transfer_to_human_agents"})
_ADDRESS = ("address1", "address2", "city", "state", "country", "zip")


def _seg(value: Any) -> str:
    return quote(str(value), safe="")


def _get(path: str, **query: Any) -> Request:
    return ("GET", f"{path}?{urlencode(query)}" if query else path, None)


def _pick(kwargs: Kwargs, *names: str) -> Kwargs:
    return {n: kwargs[n] for n in names if n in kwargs}


def _order(kwargs: Kwargs, tail: str = "") -> str:
    return f"/retail/orders/{_seg(kwargs['order_id'])}{tail}"


TOOL_CHECKS = "?checks=tool"


def _reservation(kwargs: Kwargs, tail: str = "") -> str:
    return f"/airline/reservations/{_seg(kwargs['reservation_id'])}{tail}"


def _write(path: str) -> str:
    """An airline write path with tau-bench's checks only (see the module docstring)."""
    return f"{path}{TOOL_CHECKS}"


RETAIL: dict[str, Callable[[Kwargs], Request]] = {
    "find_user_id_by_email": lambda k: _get("/retail/users", email=k["email"]),
    "find_user_id_by_name_zip": lambda k: _get(
        "/retail/users", first_name=k["first_name"], last_name=k["last_name"], zip=k["zip"]
    ),
    "get_user_details": lambda k: _get(f"/retail/users/{_seg(k['user_id'])}"),
    "get_order_details": lambda k: _get(_order(k)),
    "get_product_details": lambda k: _get(f"/retail/products/{_seg(k['product_id'])}"),
    "list_all_product_types": lambda k: _get("/retail/products"),
    "cancel_pending_order": lambda k: ("POST", _order(k, "/cancel"), _pick(k, "reason")),
    "return_delivered_order_items": lambda k: (
        "POST",
        _order(k, "/return"),
        _pick(k, "item_ids", "payment_method_id"),
    ),
    "exchange_delivered_order_items": lambda k: (
        "POST",
        _order(k, "/exchange"),
        _pick(k, "item_ids", "new_item_ids", "payment_method_id"),
    ),
    "modify_pending_order_items": lambda k: (
        "POST",
        _order(k, "/items"),
        _pick(k, "item_ids", "new_item_ids", "payment_method_id"),
    ),
    "modify_pending_order_payment": lambda k: (
        "POST",
        _order(k, "/payment"),
        _pick(k, "payment_method_id"),
    ),
    "modify_pending_order_address": lambda k: ("PUT", _order(k, "/address"), _pick(k, *_ADDRESS)),
    "modify_user_address": lambda k: (
        "PUT",
        f"/retail/users/{_seg(k['user_id'])}/address",
        _pick(k, *_ADDRESS),
    ),
}

AIRLINE: dict[str, Callable[[Kwargs], Request]] = {
    "get_user_details": lambda k: _get(f"/airline/users/{_seg(k['user_id'])}"),
    "get_reservation_details": lambda k: _get(_reservation(k)),
    "list_all_airports": lambda k: _get("/airline/airports"),
    "search_direct_flight": lambda k: _get(
        "/airline/flights", **_pick(k, "origin", "destination", "date")
    ),
    "search_onestop_flight": lambda k: _get(
        "/airline/flights/search", **_pick(k, "origin", "destination", "date"), stops=1
    ),
    "book_reservation": lambda k: ("POST", _write("/airline/reservations"), dict(k)),
    "cancel_reservation": lambda k: (
        "POST",
        _write(_reservation(k, "/cancel")),
        {"reason": "unspecified"},
    ),
    "update_reservation_baggages": lambda k: (
        "POST",
        _write(_reservation(k, "/baggages")),
        _pick(k, "total_baggages", "nonfree_baggages", "payment_id"),
    ),
    "update_reservation_flights": lambda k: (
        "PUT",
        _write(_reservation(k, "/flights")),
        _pick(k, "cabin", "flights", "payment_id"),
    ),
    "update_reservation_passengers": lambda k: (
        "PUT",
        _write(_reservation(k, "/passengers")),
        _pick(k, "passengers"),
    ),
    "send_certificate": lambda k: (
        "POST",
        f"/airline/users/{_seg(k['user_id'])}/certificates",
        _pick(k, "amount"),
    ),
}

TOOLS: dict[str, dict[str, Callable[[Kwargs], Request]]] = {"retail": RETAIL, "airline": AIRLINE}


def tool_request(domain: str, name: str, kwargs: Kwargs) -> Request | None:
    """The REST call with the effect of one tau-bench tool call; ``None`` for no-data tools.

    Raises ``KeyError`` for a domain or tool tau-bench does not have.
    """
    if name in NO_DATA_TOOLS:
        return None
    return TOOLS[domain][name](kwargs)
