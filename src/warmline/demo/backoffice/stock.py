"""Stock per retail variant, and holds: units set aside for a customer before anything is
promised to them.

Every variant of the shipped products starts with a count derived from the data: an available
variant has 3 to 22 units (from a hash of its id, so every run starts alike), an unavailable one
none. A hold sets units aside for ``ttl_s`` seconds; what is free to hold or sell is the count
less the units held. A write that names a live hold covering its items converts it (the count
drops, the hold is gone); a write without one takes from what is free; either way a unit is
never sold twice, and a variant never goes below zero. Expired holds are dropped whenever the
book is read or changed. Every change of a variant's free units is told to ``listeners``
(``stock_events.py`` publishes them), numbered by ``seq`` so a reader can drop a late one;
``epoch`` changes when the count starts again (a reset or a restart).
"""

from __future__ import annotations

import hashlib
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from warmline.demo.backoffice.store import RecordNotFound, RuleViolation, shipped_table

Listener = Callable[[dict[str, Any]], None]

MIN_UNITS, SPREAD = 3, 20


def initial_units(item_id: str, available: bool) -> int:
    """The count a variant starts with: 3 to 22 when available, else 0 (deterministic)."""
    if not available:
        return 0
    return MIN_UNITS + int(hashlib.sha256(item_id.encode()).hexdigest()[:8], 16) % SPREAD


@dataclass
class Hold:
    hold_id: str
    items: Counter[str]
    expires_at: float


class StockBook:
    """The stock of one back-office app (``BackOfficeStore.stock``)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self.listeners: list[Listener] = []
        self.reset()

    def reset(self) -> None:
        """Back to the shipped counts, with no hold (``POST /_admin/reset``)."""
        self._counts: dict[str, int] = {}
        self._product: dict[str, str] = {}
        self._names: dict[str, str] = {}
        for product_id, product in shipped_table("retail", "products").items():
            for item_id, variant in product["variants"].items():
                self._counts[item_id] = initial_units(item_id, bool(variant["available"]))
                self._product[item_id] = product_id
                options = ", ".join(f"{k} {v}" for k, v in variant["options"].items())
                self._names[item_id] = f"{product['name']} ({options})"
        self._holds: dict[str, Hold] = {}
        self._ids = itertools.count(1)
        self.seq = 0
        self.epoch = uuid.uuid4().hex[:12]  # a new count of seq: readers start afresh
        self.oversold = 0  # units sold that were not there: stays 0 (checked by the tests)

    # --- reading -----------------------------------------------------------------------------

    def held(self, item_id: str) -> int:
        return sum(h.items[item_id] for h in self._holds.values())

    def free(self, item_id: str) -> int:
        self._expire()
        return self._counts[self._known(item_id)] - self.held(item_id)

    def figure(self, item_id: str) -> dict[str, Any]:
        """What the stock routes and the change events say about one variant."""
        self._expire()
        count, held = self._counts[self._known(item_id)], self.held(item_id)
        return {
            "item_id": item_id,
            "product_id": self._product[item_id],
            "stock": count,
            "held": held,
            "free": count - held,
            "seq": self.seq,
            "epoch": self.epoch,
        }

    def hold(self, hold_id: str) -> Hold | None:
        """The live hold ``hold_id`` (None: unknown, released, converted or expired)."""
        self._expire()
        return self._holds.get(hold_id)

    def expires_in(self, hold: Hold) -> float:
        """Seconds until ``hold`` lapses."""
        return max(hold.expires_at - self._now(), 0.0)

    # --- changing ----------------------------------------------------------------------------

    def set_count(self, item_id: str, count: int) -> None:
        """Set a variant's count (other channels' sales and deliveries: ``PUT /_admin/stock``).
        Units already held stay held; what is free may go to zero, never below."""
        self._counts[self._known(item_id)] = max(count, 0)
        self._changed([item_id])

    def place(self, item_ids: list[str], ttl_s: float, replaces: str | None = None) -> Hold:
        """Hold one unit per listed id for ``ttl_s`` seconds, all or none; ``replaces`` (a
        hold of the same customer's earlier proposal) is released first. A unit short is
        ``out_of_stock``."""
        wanted = Counter(self._known(i) for i in item_ids)
        if replaces:
            self.release(replaces)
        self._expire()
        short = [i for i, n in wanted.items() if self.free(i) < n]
        if short:
            raise RuleViolation("out_of_stock", self._sold_out(short))
        hold = Hold(f"H{next(self._ids):06d}", wanted, self._now() + ttl_s)
        self._holds[hold.hold_id] = hold
        self._changed(wanted)
        return hold

    def release(self, hold_id: str) -> bool:
        """Let the units of a hold go; False when it was not live."""
        hold = self._holds.pop(hold_id, None)
        if hold is not None:
            self._changed(hold.items)
        return hold is not None

    def take(self, item_ids: Iterable[str], hold_id: str | None, *, commit: bool) -> str:
        """Sell one unit per listed id: from the live hold ``hold_id`` when it covers them
        (the hold is converted, whatever it held beyond them let go), else from what is free;
        a unit short is ``out_of_stock``. ``commit=False`` (a dry run) only checks. Returns how
        the units were found: ``"hold"`` or ``"free"``."""
        wanted = Counter(self._known(i) for i in item_ids)
        self._expire()
        hold = self._holds.get(hold_id) if hold_id else None
        if hold is not None and not wanted - hold.items:
            if commit:
                del self._holds[hold.hold_id]
                self._sell(wanted, hold.items)
            return "hold"
        short = [i for i, n in wanted.items() if self.free(i) < n]
        if short:
            raise RuleViolation("out_of_stock", self._sold_out(short))
        if commit:
            self._sell(wanted, wanted)
        return "free"

    def _sell(self, wanted: Counter[str], touched: Iterable[str]) -> None:
        for item_id, units in wanted.items():
            left = self._counts[item_id] - units
            self.oversold += max(-left, 0)
            self._counts[item_id] = max(left, 0)
        self._changed({*wanted, *touched})

    def _expire(self) -> None:
        now = self._now()
        gone = [h for h in self._holds.values() if h.expires_at <= now]
        for hold in gone:
            del self._holds[hold.hold_id]
        if gone:
            self._changed({i for h in gone for i in h.items})

    def _sold_out(self, item_ids: list[str]) -> str:
        names = " and the ".join(self._names[i] for i in item_ids)
        verb = "has" if len(item_ids) == 1 else "have"
        return f"The {names} {verb} just sold out; please pick another option."

    def _known(self, item_id: str) -> str:
        if item_id not in self._counts:
            raise RecordNotFound(f"There is no product variant {item_id}.")
        return item_id

    def _changed(self, item_ids: Iterable[str]) -> None:
        self.seq += 1
        at = datetime.now(UTC).isoformat()
        for item_id in sorted(set(item_ids)):
            count, held = self._counts[item_id], self.held(item_id)
            event = {
                "type": "stock.changed",
                "seq": self.seq,
                "item_id": item_id,
                "product_id": self._product[item_id],
                "stock": count,
                "held": held,
                "free": count - held,
                "epoch": self.epoch,
                "at": at,
            }
            for listener in self.listeners:
                listener(event)
