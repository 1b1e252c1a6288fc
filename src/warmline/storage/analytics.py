"""The analytics projection (Alembic revision 0005): one row of facts per conversation,
upserted in the transaction that appends its events (``INSERT ... ON CONFLICT``: the same SQL
on SQLite and PostgreSQL). Its columns are the running fold itself (``analytics/outcomes.py``'s
``Tally``: the next append continues from the row), the indexed ones a report filters by, and
the segments as JSON; the rows are narrow, so a report sums them in SQL (``sums``) quickly
instead of refolding every conversation's log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from warmline.domain.events import Event, event_from_json
from warmline.storage.errors import map_storage_errors
from warmline.storage.tables import Base, ConversationRow, EventRow


class FactRow(Base):
    """One conversation's facts (``analytics/outcomes.py`` defines each)."""

    __tablename__ = "analytics_facts"

    conversation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    pack: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    tier: Mapped[str | None] = mapped_column(String(64), nullable=True)
    customer_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    intent: Mapped[str | None] = mapped_column(String(128), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_s: Mapped[float] = mapped_column(Float)
    last_s: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    escalated: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str | None] = mapped_column(String(64), nullable=True)
    joined: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    csat: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ces: Mapped[float | None] = mapped_column(Float, nullable=True)
    bot_s: Mapped[float] = mapped_column(Float)
    human_s: Mapped[float] = mapped_column(Float)
    next_contact_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    owner: Mapped[str] = mapped_column(String(8))
    thumbs: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    thumbs_n: Mapped[int] = mapped_column(Integer, default=0)
    thumbs_down: Mapped[int] = mapped_column(Integer, default=0)
    segments: Mapped[dict[str, str]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_analytics_facts_started", "started_s"),
        Index("ix_analytics_facts_pack", "pack", "started_s"),
        Index("ix_analytics_facts_need", "customer_id", "intent", "started_s"),
    )


FACTS: Table = FactRow.__table__  # type: ignore[assignment]
COLUMN_DIMENSIONS = ("pack", "channel", "language", "tier")
"""The dimensions that are columns: grouped in SQL. Others are read from ``segments``."""
_KEPT = {"conversation_id", "next_contact_s"}  # an upsert never overwrites these
_ROW = select(FACTS).where(FACTS.c.conversation_id == bindparam("cid"))
_LOG = (
    select(EventRow.payload)
    .where(EventRow.conversation_id == bindparam("cid"), EventRow.seq <= bindparam("upto"))
    .order_by(EventRow.seq)
)
_RECONTACT = (
    update(FACTS)
    .where(
        FACTS.c.customer_id == bindparam("customer"),
        FACTS.c.intent == bindparam("need"),
        FACTS.c.started_s < bindparam("at"),
        FACTS.c.started_s >= bindparam("from_s"),
        or_(
            FACTS.c.next_contact_s.is_(None),
            FACTS.c.next_contact_s > bindparam("at") - FACTS.c.started_s,
        ),
    )
    .values(next_contact_s=bindparam("at") - FACTS.c.started_s)
)


@dataclass(frozen=True)
class Period:
    """The conversations a report is over: started in [since, until), of ``pack`` if given."""

    since_s: float
    until_s: float | None = None
    pack: str | None = None


def _upsert(dialect: str) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(FACTS)
    changed = {c.name: statement.excluded[c.name] for c in FACTS.c if c.name not in _KEPT}
    return statement.on_conflict_do_update(index_elements=["conversation_id"], set_=changed)


_UPSERTS = {name: _upsert(name) for name in ("sqlite", "postgresql")}


def _where(period: Period) -> list[Any]:
    found: list[Any] = [FACTS.c.started_s >= period.since_s]
    if period.until_s is not None:
        found.append(FACTS.c.started_s < period.until_s)
    if period.pack is not None:
        found.append(FACTS.c.pack == period.pack)
    return found


class AnalyticsRepository:
    """Reads and writes the projection. The ``*_in`` methods run on the caller's connection
    (the append's transaction); the others open their own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def row_in(self, connection: AsyncConnection, cid: str) -> dict[str, Any] | None:
        row = (await connection.execute(_ROW, {"cid": cid})).first()
        return None if row is None else dict(row._mapping)

    async def log_in(self, connection: AsyncConnection, cid: str, upto: int) -> list[Event]:
        """The conversation's events up to version ``upto``: a refold of a conversation whose
        row is missing (appended before the projection existed) or behind."""
        result = await connection.execute(_LOG, {"cid": cid, "upto": upto})
        return [event_from_json(payload) for payload in result.scalars()]

    async def upsert_in(self, connection: AsyncConnection, row: Mapping[str, Any]) -> None:
        await connection.execute(_UPSERTS[connection.dialect.name], dict(row))

    async def recontact_in(
        self, connection: AsyncConnection, customer: str, need: str, at_s: float, lookback_s: float
    ) -> None:
        """Tell the customer's earlier conversations on ``need`` (within ``lookback_s``) that
        they came back at ``at_s``: each keeps the soonest return (``next_contact_s``)."""
        params = {"customer": customer, "need": need, "at": at_s, "from_s": at_s - lookback_s}
        await connection.execute(_RECONTACT, params)

    async def rows(self, period: Period) -> list[dict[str, Any]]:
        """The period's rows, oldest first."""
        query = select(FACTS).where(*_where(period)).order_by(FACTS.c.started_s)
        with map_storage_errors("read the analytics"):
            async with self._engine.connect() as connection:
                result = await connection.execute(query)
                return [dict(row._mapping) for row in result]

    async def sums(
        self, period: Period, dimension: str, now_s: float, abandon_after_s: float, fcr_s: float
    ) -> list[dict[str, Any]]:
        """Per group of a column ``dimension`` and escalation trigger (None: not escalated),
        the sums ``analytics/metrics.py`` reads (``Sums``): one grouped scan of the period."""
        group = FACTS.c[dimension]
        left = and_(FACTS.c.resolved == 0, FACTS.c.last_s <= now_s - abandon_after_s)
        settled = or_(FACTS.c.resolved == 1, left)
        back = and_(FACTS.c.next_contact_s.is_not(None), FACTS.c.next_contact_s <= fcr_s)
        contained = and_(FACTS.c.resolved == 1, FACTS.c.escalated == 0, FACTS.c.joined == 0)
        thumbs_share = case(
            (FACTS.c.thumbs_n > 0, cast(FACTS.c.thumbs_down, Float) / FACTS.c.thumbs_n),
            else_=0.0,
        )

        def count(condition: Any) -> Any:
            return func.sum(case((condition, 1), else_=0))

        figures = (
            select(
                group.label("group"),
                FACTS.c.trigger,
                func.count().label("n"),
                count(settled).label("settled"),
                count(contained).label("contained"),
                count(left).label("abandoned"),
                count(and_(FACTS.c.resolved == 1, ~back)).label("fcr"),
                func.sum(FACTS.c.escalated).label("escalated"),
                func.count(FACTS.c.csat).label("rated"),
                func.sum(FACTS.c.csat).label("satisfied"),
                func.count(FACTS.c.ces).label("ces_n"),
                func.sum(FACTS.c.ces).label("ces_total"),
                count(FACTS.c.thumbs_n > 0).label("thumbed"),
                func.sum(thumbs_share).label("thumbs_down_total"),
                func.sum(FACTS.c.bot_s).label("bot_s"),
                func.sum(FACTS.c.joined).label("joined"),
                func.sum(case((FACTS.c.joined == 1, FACTS.c.human_s), else_=0.0)).label("human_s"),
            )
            .where(*_where(period))
            .group_by(group, FACTS.c.trigger)
        )
        with map_storage_errors("read the analytics"):
            async with self._engine.connect() as connection:
                return [dict(row._mapping) for row in await connection.execute(figures)]

    async def clear(self) -> None:
        with map_storage_errors("clear the analytics"):
            async with self._engine.begin() as connection:
                await connection.execute(delete(FACTS))

    async def conversations(self, batch: int = 500) -> AsyncIterator[list[str]]:
        """Every conversation's id, oldest first, ``batch`` at a time (for a rebuild)."""
        query = select(ConversationRow.id).order_by(ConversationRow.created_at, ConversationRow.id)
        with map_storage_errors("read the conversations"):
            async with self._engine.connect() as connection:
                ids = list((await connection.execute(query)).scalars())
        for start in range(0, len(ids), batch):
            yield ids[start : start + batch]

    async def logs(self, ids: Sequence[str]) -> dict[str, list[Event]]:
        """The whole logs of ``ids``, each in order."""
        query = (
            select(EventRow.conversation_id, EventRow.payload)
            .where(EventRow.conversation_id.in_(list(ids)))
            .order_by(EventRow.conversation_id, EventRow.seq)
        )
        found: dict[str, list[Event]] = {cid: [] for cid in ids}
        with map_storage_errors("read the conversations"):
            async with self._engine.connect() as connection:
                for cid, payload in await connection.execute(query):
                    found[cid].append(event_from_json(payload))
        return found

    def begin(self) -> Any:
        """A transaction of its own (a rebuild writes a batch in one)."""
        return self._engine.begin()
