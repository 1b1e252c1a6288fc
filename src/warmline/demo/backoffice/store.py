"""In-memory state of the reference back office, loaded from the packaged tau-bench data.

The JSON files ship gzip-compressed under ``data/<domain>/`` (MIT, see the LICENSE beside them).
The decompressed bytes are cached per process (immutable); every ``BackOfficeStore`` parses its
own copy of a table on first use, so ``reset()`` restores the shipped data and two apps never
share a record.
"""

from __future__ import annotations

import copy
import gzip
import json
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, Request

Record = dict[str, Any]

#: The fixed clock of the airline policy ("The current time is 2024-05-15 15:00:00 EST").
POLICY_NOW = datetime(2024, 5, 15, 15, 0, 0)

AIRLINE_FILES = ("users", "reservations", "flights")
RETAIL_FILES = ("users", "orders", "products")


class RuleViolation(Exception):
    """A write the service policy forbids; answered as HTTP 409 ``rule_violation``."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


class RecordNotFound(Exception):
    """An id the back office does not know; answered as HTTP 404 ``not_found``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@cache
def _raw(domain: str, name: str) -> bytes:
    """The decompressed JSON of one packaged file (bytes are immutable, so caching is safe)."""
    path = resources.files("warmline.demo.backoffice").joinpath("data", domain, f"{name}.json.gz")
    return gzip.decompress(path.read_bytes())


def load_table(domain: str, name: str) -> dict[str, Record]:
    """A fresh, private copy of one table, keyed by id."""
    table = json.loads(_raw(domain, name))
    if not isinstance(table, dict):
        raise ValueError(f"{domain}/{name}.json.gz is not a JSON object")
    return table


def normalise_order_id(order_id: str) -> str:
    """Order ids look like ``#W1234567``; accept them with or without the ``#``."""
    order_id = order_id.strip()
    return order_id if order_id.startswith("#") else f"#{order_id}"


class BackOfficeStore:
    """Airline and retail records of one back-office app, plus its fixed clock.

    Each table is parsed on first use, so an app that only serves retail never pays for the
    airline flights; ``reset()`` drops every parsed table, so the next use reloads the shipped
    data.
    """

    def __init__(self, now: datetime = POLICY_NOW) -> None:
        self.now = now
        self._tables: dict[tuple[str, str], dict[str, Record]] = {}

    def reset(self) -> None:
        """Restore the shipped data, dropping every change."""
        self._tables = {}

    def dry_copy(self) -> BackOfficeStore:
        """A private deep copy for a dry run: writes to it never reach this store."""
        twin = BackOfficeStore(now=self.now)
        twin._tables = copy.deepcopy(self._tables)
        return twin

    def _table(self, domain: str, name: str) -> dict[str, Record]:
        # Records are kept exactly as tau-bench's tools leave them (no added keys), so the
        # state after a write equals the state its tool of the same name produces; reads add
        # the derived fields (``user_id``, a reservation's ``status``).
        table = self._tables.get((domain, name))
        if table is None:
            table = self._tables[(domain, name)] = load_table(domain, name)
        return table

    @property
    def airline_users(self) -> dict[str, Record]:
        return self._table("airline", "users")

    @property
    def reservations(self) -> dict[str, Record]:
        return self._table("airline", "reservations")

    @property
    def flights(self) -> dict[str, Record]:
        return self._table("airline", "flights")

    @property
    def retail_users(self) -> dict[str, Record]:
        return self._table("retail", "users")

    @property
    def orders(self) -> dict[str, Record]:
        return self._table("retail", "orders")

    @property
    def products(self) -> dict[str, Record]:
        return self._table("retail", "products")

    # --- look-ups that raise RecordNotFound -------------------------------------------------

    def airline_user(self, user_id: str) -> Record:
        return _get(self.airline_users, user_id, f"There is no airline customer with id {user_id}.")

    def reservation(self, reservation_id: str) -> Record:
        rid = reservation_id.strip().upper()
        return _get(self.reservations, rid, f"There is no reservation {reservation_id}.")

    def flight(self, flight_number: str) -> Record:
        number = flight_number.strip().upper()
        return _get(self.flights, number, f"There is no flight {flight_number}.")

    def retail_user(self, user_id: str) -> Record:
        return _get(self.retail_users, user_id, f"There is no customer with id {user_id}.")

    def order(self, order_id: str) -> Record:
        oid = normalise_order_id(order_id)
        return _get(self.orders, oid, f"There is no order {oid}.")

    def product(self, product_id: str) -> Record:
        return _get(self.products, product_id, f"There is no product {product_id}.")


def _get(table: dict[str, Record], key: str, reason: str) -> Record:
    try:
        return table[key]
    except KeyError:
        raise RecordNotFound(reason) from None


def get_store(request: Request) -> BackOfficeStore:
    store: BackOfficeStore = request.app.state.store
    return store


StoreDep = Annotated[BackOfficeStore, Depends(get_store)]
