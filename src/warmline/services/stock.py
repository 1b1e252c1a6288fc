"""The stock view: how many units of each variant the back office has free, as last heard, and
how old each figure is.

Figures arrive as the back office's change events (``heard``: from its webhook,
``api/stock_webhook.py``, or NATS JetStream, ``connectors/stock_events.py``) and from reads
(``figures``). A figure is never used older than ``max_age_s`` (``WARMLINE_STOCK_MAX_AGE_S``):
an older one, or one never heard, is read again from the back office first, all of them in
one call; so is one of no unit free, before an option is left out for it. Events carry the
back office's ``seq`` (and ``epoch``, which a restart changes): one older than the figure held
in the same epoch is dropped, so a late event never overwrites a newer read. A figure decides
only what is offered; what is promised rests on a hold, and what is sold on the write, both
checked by the back office.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from warmline.connectors.backoffice import BackOfficeClient
from warmline.errors import BackOfficeUnavailable

Source = Literal["event", "read"]
VIEW_SIZE = 100_000


@dataclass(frozen=True)
class Figure:
    """Units free (counted less held) as of ``seq``, known at ``known_at`` (monotonic)."""

    free: int
    seq: int
    known_at: float
    source: Source
    epoch: str = ""  # the back office's count of seq (a restart begins another)

    def newer_than(self, epoch: str, seq: int) -> bool:
        """Whether this figure is newer than one at ``(epoch, seq)``: only within one epoch."""
        return self.epoch == epoch and self.seq > seq


@dataclass(frozen=True)
class Figures:
    """The figures used for one decision, with the oldest one's age and how many were read
    afresh for it."""

    by_item: dict[str, Figure]
    oldest_s: float
    read_again: int


class StockView:
    def __init__(
        self,
        client: BackOfficeClient,
        max_age_s: float,
        *,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.max_age_s = max_age_s
        self._now = now
        self._figures: dict[str, Figure] = {}
        self.events_heard = 0
        self.events_dropped = 0

    def heard(self, event: Mapping[str, Any]) -> bool:
        """Take one change event; False when it is older than the figure held (dropped)."""
        item_id, seq, free = str(event["item_id"]), int(event["seq"]), int(event["free"])
        epoch = str(event.get("epoch", ""))
        held = self._figures.get(item_id)
        if held is not None and held.newer_than(epoch, seq):
            self.events_dropped += 1
            return False
        self._keep(item_id, Figure(free, seq, self._now(), "event", epoch))
        self.events_heard += 1
        return True

    def forget(self, item_ids: Sequence[str]) -> None:
        """Drop figures the back office just contradicted (a unit it said was gone): they are
        read again before the next use."""
        for item_id in item_ids:
            self._figures.pop(item_id, None)

    async def figures(self, path: str, item_ids: Sequence[str]) -> Figures:
        """The figures of ``item_ids``, each at most ``max_age_s`` old: the older ones read
        again from ``GET {path}?item_ids=...`` (raises the connector's errors)."""
        now = self._now()
        ids = list(dict.fromkeys(i for i in item_ids if i))
        stale = [i for i in ids if not self._fresh(i, now)]
        if stale:
            await self._read(path, stale)
        now = self._now()
        found = {i: self._figures[i] for i in ids if i in self._figures}
        oldest = max((now - f.known_at for f in found.values()), default=0.0)
        return Figures(found, round(oldest, 2), len(stale))

    def _fresh(self, item_id: str, now: float) -> bool:
        """Young enough to use; a figure of none free is always read again (an option is kept
        from a customer only on the back office's word of now)."""
        figure = self._figures.get(item_id)
        return figure is not None and figure.free > 0 and now - figure.known_at <= self.max_age_s

    async def _read(self, path: str, item_ids: list[str]) -> None:
        body = await self.client.request("GET", f"{path}?item_ids={','.join(item_ids)}")
        rows = body.get("stock")
        if not isinstance(rows, list):
            raise BackOfficeUnavailable(f"GET {path}: no 'stock' list in the answer")
        for row in rows:
            item_id, seq, epoch = str(row["item_id"]), int(row["seq"]), str(row.get("epoch", ""))
            held = self._figures.get(item_id)
            if held is None or not held.newer_than(epoch, seq):
                figure = Figure(int(row["free"]), seq, self._now(), "read", epoch)
                self._keep(item_id, figure)

    def _keep(self, item_id: str, figure: Figure) -> None:
        if len(self._figures) >= VIEW_SIZE and item_id not in self._figures:
            self._figures.clear()
        self._figures[item_id] = figure
