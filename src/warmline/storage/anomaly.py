"""The anomaly tables and their repository: each write's figures per fixed window (one row per
pack, action, window length and window, added to by every worker in one statement), and each
action's hold (one row per pack and action: held, kept, or released). The same SQL runs on
SQLite and PostgreSQL (``INSERT ... ON CONFLICT``), so every worker sharing the database
counts into and reads the same rows (Alembic revision 0004)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, Index, Integer, String, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from warmline.storage.errors import map_storage_errors
from warmline.storage.tables import Base


class AnomalyCountRow(Base):
    """One action's figures in one window (``window`` = seconds since the epoch // ``window_s``)."""

    __tablename__ = "anomaly_counts"

    pack: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_s: Mapped[int] = mapped_column(Integer, primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposed: Mapped[int] = mapped_column(Integer, default=0)
    executed: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[float] = mapped_column(Float, default=0.0)


class AnomalyHoldRow(Base):
    """One action's hold, with the figures that set it and who decided on it last."""

    __tablename__ = "anomaly_holds"

    pack: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # held | kept | released
    measure: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float] = mapped_column(Float)
    factor: Mapped[float] = mapped_column(Float)
    window_s: Mapped[int] = mapped_column(Integer)
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    released_window: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ix_anomaly_holds_state", "state"),)


@dataclass(frozen=True)
class Counted:
    """What one write adds to its window."""

    proposed: int = 0
    executed: int = 0
    amount: float = 0.0


@dataclass(frozen=True)
class HoldRecord:
    pack: str
    action: str
    state: str
    measure: str
    value: float
    baseline: float
    factor: float
    window_s: int
    held_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    released_window: int | None = None


ACTIVE = ("held", "kept")


class AnomalyRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, postgres: bool) -> None:
        self._sessions = sessions
        self._insert: Any = postgresql.insert if postgres else sqlite.insert
        # The holds in force being read, by pack, with the count of hold changes made here
        # when the read began: callers that ask meanwhile share that read (every turn of a
        # pack asks when its guard's copy expires) unless a hold changed here since.
        self._reading: dict[str | None, tuple[int, asyncio.Future[list[HoldRecord]]]] = {}
        self._changes = 0

    async def add(
        self, pack: str, action: str, window_s: int, window: int, first: int, counted: Counted
    ) -> dict[int, tuple[int, int, float]]:
        """Add ``counted`` to the window's row; the rows of windows ``first`` .. ``window``
        as they are after it (window -> proposed, executed, amount)."""
        row = AnomalyCountRow
        statement = self._insert(row).values(
            pack=pack,
            action=action,
            window_s=window_s,
            window=window,
            proposed=counted.proposed,
            executed=counted.executed,
            amount=counted.amount,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["pack", "action", "window_s", "window"],
            set_={
                "proposed": row.proposed + statement.excluded.proposed,
                "executed": row.executed + statement.excluded.executed,
                "amount": row.amount + statement.excluded.amount,
            },
        )
        query = select(row.window, row.proposed, row.executed, row.amount).where(
            row.pack == pack,
            row.action == action,
            row.window_s == window_s,
            row.window.between(first, window),
        )
        with map_storage_errors("count a write for anomaly holds"):
            async with self._sessions() as session, session.begin():
                await session.execute(statement)
                rows = (await session.execute(query)).all()
        return {w: (p, e, a) for w, p, e, a in rows}

    async def hold(self, record: HoldRecord, window: int) -> bool:
        """Put the action on hold, unless it is already held or kept, or a supervisor released
        it in this same ``window`` (they have seen this burst). Whether it was put on hold."""
        row = AnomalyHoldRow
        values = {
            "pack": record.pack,
            "action": record.action,
            "state": "held",
            "measure": record.measure,
            "value": record.value,
            "baseline": record.baseline,
            "factor": record.factor,
            "window_s": record.window_s,
            "held_at": record.held_at,
            "decided_by": None,
            "decided_at": None,
            "released_window": None,
        }
        statement = self._insert(row).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["pack", "action"],
            set_={k: v for k, v in values.items() if k not in ("pack", "action")},
            where=(row.state == "released") & (row.released_window < window),
        )
        self._changes += 1  # a read begun before or during the change is not shared after
        try:
            with map_storage_errors("put an action on hold"):
                async with self._sessions() as session, session.begin():
                    result = await session.execute(statement)
        finally:
            self._changes += 1
        return bool(getattr(result, "rowcount", 0))

    async def active(self, pack: str | None = None) -> list[HoldRecord]:
        """The holds in force (held or kept), of one pack if given, oldest first. Concurrent
        callers share one read, begun after the last change of a hold made here."""
        shared = self._reading.get(pack)
        if shared is None or shared[0] != self._changes:
            read = asyncio.ensure_future(self._active(pack))
            read.add_done_callback(_retrieved)
            shared = self._reading[pack] = (self._changes, read)
            read.add_done_callback(lambda _: self._forget(pack, shared))
        return list(await asyncio.shield(shared[1]))

    def _forget(self, pack: str | None, read: tuple[int, asyncio.Future[list[HoldRecord]]]) -> None:
        if self._reading.get(pack) is read:
            del self._reading[pack]

    async def _active(self, pack: str | None) -> list[HoldRecord]:
        query = select(AnomalyHoldRow).where(AnomalyHoldRow.state.in_(ACTIVE))
        if pack is not None:
            query = query.where(AnomalyHoldRow.pack == pack)
        with map_storage_errors("read the anomaly holds"):
            async with self._sessions() as session:
                rows = (await session.execute(query.order_by(AnomalyHoldRow.held_at))).scalars()
                return [_record(r) for r in rows]

    async def decide(
        self, pack: str, action: str, state: str, by: str, at: datetime, window: int
    ) -> HoldRecord | None:
        """Mark the hold in force ``state`` (kept or released) by ``by``; the hold as it was
        before, or None when none is in force."""
        row = AnomalyHoldRow
        found = select(row).where(row.pack == pack, row.action == action, row.state.in_(ACTIVE))
        change = (
            update(row)
            .where(row.pack == pack, row.action == action, row.state.in_(ACTIVE))
            .values(state=state, decided_by=by[:128], decided_at=at)
        )
        if state == "released":
            change = change.values(released_window=window)
        self._changes += 1  # a read begun before or during the change is not shared after
        try:
            with map_storage_errors("decide on an anomaly hold"):
                async with self._sessions() as session, session.begin():
                    before = (await session.execute(found)).scalars().first()
                    if before is None:
                        return None
                    record = _record(before)
                    await session.execute(change)
        finally:
            self._changes += 1
        return record


def _retrieved(read: asyncio.Future[list[HoldRecord]]) -> None:
    """A shared read's failure is raised to its callers; none left is no warning."""
    if not read.cancelled():
        read.exception()


def _record(r: AnomalyHoldRow) -> HoldRecord:
    return HoldRecord(
        r.pack,
        r.action,
        r.state,
        r.measure,
        r.value,
        r.baseline,
        r.factor,
        r.window_s,
        r.held_at,
        r.decided_by,
        r.decided_at,
        r.released_window,
    )
