"""In-memory state of the reference back office, loaded from the packaged tau-bench data.

The JSON files ship gzip-compressed under ``data/<domain>/`` (MIT, see the LICENSE beside them).
Each table is parsed once per process and never handed out: a store's table is a copy-on-access
``Overlay`` over it, so a record is copied the first time a store reads it, ``reset()`` (a new
overlay) costs nothing, and two apps never share a record. A dry run's store is an overlay over
the live store's tables, so it copies only the records the write reads or changes.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping, MutableMapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, Request

Record = dict[str, Any]
Table = MutableMapping[str, Record]

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


@cache
def _shipped(domain: str, name: str) -> Mapping[str, Record]:
    """The parsed shipped table, shared by every store of the process: only read, never handed
    out (an ``Overlay`` copies a record before anyone sees it)."""
    return load_table(domain, name)


def shipped_table(domain: str, name: str) -> Mapping[str, Record]:
    """The shipped table, read only (never change or hand out its records)."""
    return _shipped(domain, name)


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars); several times faster than deepcopy."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


class Overlay(MutableMapping[str, Record]):
    """A table that reads through to ``base`` and copies a record the first time it is read.

    Writes (to a record read from it, or ``[key] =`` / ``del``) stay in the overlay; ``base`` is
    never changed. Iteration keeps ``base``'s order, then keys added here.
    """

    def __init__(self, base: Mapping[str, Record]) -> None:
        self._base = base
        self._own: dict[str, Record] = {}
        self._gone: set[str] = set()

    def __getitem__(self, key: str) -> Record:
        record = self._own.get(key)
        if record is None:
            if key in self._gone:
                raise KeyError(key)
            record = self._own[key] = copy_json(self._base[key])
        return record

    def __setitem__(self, key: str, record: Record) -> None:
        self._own[key] = record
        self._gone.discard(key)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._own.pop(key, None)
        self._gone.add(key)

    def __contains__(self, key: object) -> bool:
        return key in self._own or (key not in self._gone and key in self._base)

    def __iter__(self) -> Iterator[str]:
        for key in self._base:
            if key not in self._gone:
                yield key
        yield from (key for key in self._own if key not in self._base)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Overlay:
        """A snapshot: a new overlay over the same base with copies of the records read here."""
        twin = Overlay(self._base)
        twin._own = copy_json(self._own)
        twin._gone = set(self._gone)
        return twin


def normalise_order_id(order_id: str) -> str:
    """Order ids look like ``#W1234567``; accept them with or without the ``#``."""
    order_id = order_id.strip()
    return order_id if order_id.startswith("#") else f"#{order_id}"


class BackOfficeStore:
    """Airline and retail records of one back-office app, plus its fixed clock.

    Each table is an ``Overlay`` over the shipped data (or, for a dry run, over another store's
    tables), made on first use; ``reset()`` drops every overlay, so the next use sees the
    shipped data again.
    """

    def __init__(self, now: datetime = POLICY_NOW, base: BackOfficeStore | None = None) -> None:
        from warmline.demo.backoffice.stock import StockBook  # it reads the shipped tables

        self.now = now
        self._base = base
        self._tables: dict[tuple[str, str], Table] = {}
        # one stock for the app: a dry run's copy reads it and never changes it (``take``
        # with ``commit=False``)
        self.stock: StockBook = base.stock if base is not None else StockBook()

    def reset(self) -> None:
        """Restore the shipped data and stock, dropping every change and hold."""
        self._tables = {}
        self.stock.reset()

    def dry_copy(self) -> BackOfficeStore:
        """A private copy for a dry run: it copies only the records the write touches, and
        writes to it never reach this store."""
        return BackOfficeStore(now=self.now, base=self)

    def _table(self, domain: str, name: str) -> Table:
        # Records are kept exactly as tau-bench's tools leave them (no added keys), so the
        # state after a write equals the state its tool of the same name produces; reads add
        # the derived fields (``user_id``, a reservation's ``status``).
        table = self._tables.get((domain, name))
        if table is None:
            base = _shipped(domain, name) if self._base is None else self._base._table(domain, name)
            table = self._tables[(domain, name)] = Overlay(base)
        return table

    @property
    def airline_users(self) -> Table:
        return self._table("airline", "users")

    @property
    def reservations(self) -> Table:
        return self._table("airline", "reservations")

    @property
    def flights(self) -> Table:
        return self._table("airline", "flights")

    @property
    def retail_users(self) -> Table:
        return self._table("retail", "users")

    @property
    def orders(self) -> Table:
        return self._table("retail", "orders")

    @property
    def products(self) -> Table:
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


def _get(table: Table, key: str, reason: str) -> Record:
    try:
        return table[key]
    except KeyError:
        raise RecordNotFound(reason) from None


def get_store(request: Request) -> BackOfficeStore:
    store: BackOfficeStore = request.app.state.store
    return store


StoreDep = Annotated[BackOfficeStore, Depends(get_store)]
