"""Anomaly holds, the use cases: count a turn's writes into their windows and put an action
on hold when its volume jumps (``policy/anomaly.py`` decides), read the holds a turn must
respect, and a supervisor's release or keep (audited). Everything is read from and written to
the database every worker shares (``storage/anomaly.py``), at the moment it is needed: no
timer is needed for a hold, or its release, to be seen by every worker."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from warmline.domain.events import ActionExecuted, ActionProposed, Event
from warmline.domain.pack import AnomalySettings, DomainPack
from warmline.errors import NotFound
from warmline.policy.anomaly import (
    MEASURES,
    Hold,
    HoldState,
    Measure,
    WindowCounts,
    jumped,
    window_of,
)
from warmline.services.audit import AuditLog
from warmline.storage.anomaly import AnomalyRepository, Counted, HoldRecord
from warmline.types import Clock

log = logging.getLogger("warmline.anomaly")


class AnomalyGuard:
    """``fresh_s``: how long the holds read for a pack are used before they are read again
    (0: every turn reads them). A hold set or lifted in this process is seen at once; one set
    or lifted by another worker within ``fresh_s``."""

    def __init__(
        self, repo: AnomalyRepository, clock: Clock, audit: AuditLog, fresh_s: float = 0.0
    ) -> None:
        self.repo, self.clock, self.audit = repo, clock, audit
        self.fresh_s = fresh_s
        self._read: dict[str, tuple[float, dict[str, Hold]]] = {}

    async def holds(self, pack: DomainPack) -> dict[str, Hold]:
        """The pack's writes on hold now (held or kept), by action."""
        if not pack.anomaly.enabled:
            return {}
        read = self._read.get(pack.pack)
        if read is not None and time.monotonic() - read[0] < self.fresh_s:
            return read[1]
        holds = {r.action: as_hold(r) for r in await self.repo.active(pack.pack)}
        if self.fresh_s > 0:
            self._read[pack.pack] = (time.monotonic(), holds)
        return holds

    async def count(self, pack: DomainPack, events: Sequence[Event]) -> list[Hold]:
        """Count the writes proposed and executed among ``events`` into the current window
        and put each whose volume jumped on hold; the holds this set."""
        settings, held = pack.anomaly, []
        if not settings.enabled:
            return []
        for action, counted in counted_writes(pack, events).items():
            hold = await self._count_one(pack.pack, action, counted, settings)
            if hold is not None:
                held.append(hold)
        return held

    async def _count_one(
        self, pack: str, action: str, counted: Counted, settings: AnomalySettings
    ) -> Hold | None:
        now = self.clock.now()
        window = window_of(now, settings.window_s)
        first = window - settings.baseline_windows
        rows = await self.repo.add(pack, action, settings.window_s, window, first, counted)
        figures = {w: WindowCounts(*figures) for w, figures in rows.items()}
        current = figures.get(window, WindowCounts())
        previous = [figures.get(w, WindowCounts()) for w in range(first, window)]
        hold = jumped(pack, action, current, previous, settings, now)
        if hold is None:
            return None
        if not await self.repo.hold(record_of(hold), window):
            return None  # already on hold, or released in this window by a supervisor
        self._read.pop(pack, None)
        log.warning(
            "action on hold: %s/%s %s %g reached %g x baseline %g in a %d s window",
            pack, action, hold.measure, hold.value, hold.factor, hold.baseline, hold.window_s,
        )  # fmt: skip
        await self.audit.record("warmline", "action.hold", f"{pack}/{action}", **_figures(hold))
        return hold

    async def in_force(self) -> list[HoldRecord]:
        """Every hold in force, of every pack, oldest first (the console's list)."""
        return await self.repo.active()

    async def release(self, pack: DomainPack, action: str, by: str) -> HoldRecord:
        """Lift the hold: the action runs again for everyone at once. Within the window it is
        released in, the burst that set it does not set it again."""
        return await self._decide(pack, action, "released", by)

    async def keep(self, pack: DomainPack, action: str, by: str) -> HoldRecord:
        """Keep the hold, seen by ``by``: it stays until someone releases it."""
        return await self._decide(pack, action, "kept", by)

    async def _decide(self, pack: DomainPack, action: str, state: str, by: str) -> HoldRecord:
        now = self.clock.now()
        window = window_of(now, pack.anomaly.window_s)
        before = await self.repo.decide(pack.pack, action, state, by, now, window)
        self._read.pop(pack.pack, None)
        if before is None:
            raise NotFound(f"'{action}' of pack '{pack.pack}' is not on hold")
        verb = "release" if state == "released" else "keep"
        await self.audit.record(by, f"action.{verb}", f"{pack.pack}/{action}", **_figures(before))
        return before


def counted_writes(pack: DomainPack, events: Sequence[Event]) -> dict[str, Counted]:
    """What each write among ``events`` adds to its window: a proposal, an execution and,
    for an action with an ``amount_fields`` entry, the amount it moved."""
    found: dict[str, Counted] = {}
    for event in events:
        if isinstance(event, ActionProposed):
            one = Counted(proposed=1)
        elif isinstance(event, ActionExecuted) and event.risk != "read":
            one = Counted(executed=1, amount=amount_of(pack.anomaly, event))
        else:
            continue
        was = found.get(event.action, Counted())
        found[event.action] = Counted(
            was.proposed + one.proposed, was.executed + one.executed, was.amount + one.amount
        )
    return found


def amount_of(settings: AnomalySettings, event: ActionExecuted) -> float:
    """The amount the write moved, read where the pack says (0 when it names no field, or the
    field holds no number: logged, so a pack that names the wrong field is seen)."""
    where = settings.amount_fields.get(event.action)
    if where is None:
        return 0.0
    source, *path = where.split(".")
    value: Any = event.params if source == "params" else event.result
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    try:
        return abs(float(value))
    except (TypeError, ValueError):
        log.warning("no amount at %s for %s (found %r)", where, event.action, value)
        return 0.0


def as_hold(r: HoldRecord) -> Hold:
    measure: Measure = next((m for m in MEASURES if m == r.measure), "proposed")
    state: HoldState = "kept" if r.state == "kept" else "held"
    return Hold(
        r.pack, r.action, measure, r.value, r.baseline, r.factor, r.window_s, r.held_at, state
    )


def record_of(hold: Hold) -> HoldRecord:
    return HoldRecord(
        hold.pack,
        hold.action,
        hold.state,
        hold.measure,
        hold.value,
        hold.baseline,
        hold.factor,
        hold.window_s,
        hold.held_at,
    )


def _figures(hold: Hold | HoldRecord) -> dict[str, Any]:
    return {
        "measure": hold.measure,
        "window_value": hold.value,
        "baseline": hold.baseline,
        "factor": hold.factor,
        "window_s": hold.window_s,
        "held_at": _iso(hold.held_at),
    }


def _iso(at: datetime) -> str:
    return at.isoformat()
