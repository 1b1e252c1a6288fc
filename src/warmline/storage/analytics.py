"""The analytics projection (Alembic revision 0005): one row of facts per conversation,
upserted in the transaction that appends its events (``INSERT ... ON CONFLICT``: the same SQL
on SQLite and PostgreSQL). Its columns are the running fold itself (``analytics/outcomes.py``'s
``Tally``: the next append continues from the row), the indexed ones a report filters by, and
the segments as JSON; the rows are narrow, so a report sums them in SQL (``sums``) quickly
instead of refolding every conversation's log.

Every figure the dashboard shows is summed here, grouped in SQL: by a dimension (a column, or
its key in the segments JSON: ``segments[key].as_string()``, the same expression on SQLite
and PostgreSQL), by escalation trigger, by day or hour (``series``), and per segment group of
per combination of segment values for the dashboard and the parity monitor
(``combinations``: every dimension's groups added up from one scan); a page of one group's or one day's rows (``page``) and the rows of an export
(``stream``) are read in order, a batch at a time."""

from __future__ import annotations

import json
import re
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
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.functions import FunctionElement

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


DIMENSION_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_:.\-]{0,63}")
"""What a dimension may be called (a JSON key read in SQL: no quotes, no spaces)."""


@dataclass(frozen=True)
class Period:
    """The conversations a report is over: started in [since, until), of ``pack`` if given;
    ``dimension`` = ``group`` narrows them to one segment group (None: those without a value)."""

    since_s: float
    until_s: float | None = None
    pack: str | None = None
    dimension: str | None = None
    group: str | None = None


def group_of(dimension: str) -> ColumnElement[Any]:
    """The expression a dimension's groups are read from: its column, or its key in the
    segments JSON (``->>`` on PostgreSQL, ``JSON_EXTRACT`` on SQLite)."""
    if dimension in COLUMN_DIMENSIONS:
        return FACTS.c[dimension]
    if not DIMENSION_NAME.fullmatch(dimension):
        raise ValueError(f"not a dimension name: {dimension!r}")
    found: ColumnElement[Any] = FACTS.c.segments[dimension].as_string()
    return found


class _Bucket(FunctionElement[int]):
    """``floor(started_s / size)``: the day or hour a conversation started in (epoch seconds
    are never negative, so SQLite's truncating cast is the floor)."""

    type = Integer()
    inherit_cache = True


@compiles(_Bucket, "sqlite")
def _bucket_sqlite(element: _Bucket, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


@compiles(_Bucket, "postgresql")
def _bucket_postgresql(element: _Bucket, compiler: Any, **kw: Any) -> str:
    return f"CAST(floor({compiler.process(element.clauses, **kw)}) AS BIGINT)"


def bucket_of(size_s: int) -> ColumnElement[int]:
    """The bucket index of each row: its start divided by ``size_s`` (a literal, so that the
    SELECT and the GROUP BY are the same expression on PostgreSQL)."""
    return _Bucket(FACTS.c.started_s / literal_column(str(int(size_s))))


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _outcomes(now_s: float, abandon_after_s: float, fcr_s: float) -> dict[str, Any]:
    """The per-row outcome conditions (``analytics/outcomes.py``'s definitions, in SQL)."""
    left = and_(FACTS.c.resolved == 0, FACTS.c.last_s <= now_s - abandon_after_s)
    back = and_(FACTS.c.next_contact_s.is_not(None), FACTS.c.next_contact_s <= fcr_s)
    return {
        "left": left,
        "settled": or_(FACTS.c.resolved == 1, left),
        "contained": and_(FACTS.c.resolved == 1, FACTS.c.escalated == 0, FACTS.c.joined == 0),
        "fcr": and_(FACTS.c.resolved == 1, ~back),
        "human": case((FACTS.c.joined == 1, FACTS.c.human_s), else_=0.0),
    }


def _sums(now_s: float, abandon_after_s: float, fcr_s: float) -> list[Any]:
    """The sums ``analytics/metrics.py``'s ``Sums`` is made of, one labelled column each."""
    o = _outcomes(now_s, abandon_after_s, fcr_s)
    thumbs_share = case(
        (FACTS.c.thumbs_n > 0, cast(FACTS.c.thumbs_down, Float) / FACTS.c.thumbs_n),
        else_=0.0,
    )
    return [
        func.count().label("n"),
        _count(o["settled"]).label("settled"),
        _count(o["contained"]).label("contained"),
        _count(o["left"]).label("abandoned"),
        _count(o["fcr"]).label("fcr"),
        func.sum(FACTS.c.escalated).label("escalated"),
        func.count(FACTS.c.csat).label("rated"),
        func.sum(FACTS.c.csat).label("satisfied"),
        func.count(FACTS.c.ces).label("ces_n"),
        func.sum(FACTS.c.ces).label("ces_total"),
        _count(FACTS.c.thumbs_n > 0).label("thumbed"),
        func.sum(thumbs_share).label("thumbs_down_total"),
        func.sum(FACTS.c.bot_s).label("bot_s"),
        func.sum(FACTS.c.joined).label("joined"),
        func.sum(o["human"]).label("human_s"),
    ]


MOMENTS = ("aht_total", "aht_squares", "ces_squares", "human_total", "human_squares")
"""What the parity monitor's tests need beyond the report's sums (``_moments``)."""


def _moments() -> list[Any]:
    """The sums and sums of squares of the means the parity monitor compares: handling time
    (the bot's and a person's), the effort score, a person's time (the cost's part)."""
    aht = FACTS.c.bot_s + case((FACTS.c.joined == 1, FACTS.c.human_s), else_=0.0)
    return [
        func.sum(aht).label("aht_total"),
        func.sum(aht * aht).label("aht_squares"),
        func.sum(FACTS.c.ces * FACTS.c.ces).label("ces_squares"),
        func.sum(FACTS.c.human_s).label("human_total"),
        func.sum(FACTS.c.human_s * FACTS.c.human_s).label("human_squares"),
    ]


def _upsert(dialect: str) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(FACTS)
    changed = {c.name: statement.excluded[c.name] for c in FACTS.c if c.name not in _KEPT}
    return statement.on_conflict_do_update(index_elements=["conversation_id"], set_=changed)


_UPSERTS = {name: _upsert(name) for name in ("sqlite", "postgresql")}


def upsert_statement(dialect: str) -> Any:
    """The upsert ``upsert`` runs, for the dialect named."""
    return _UPSERTS[dialect]


async def upsert(connection: AsyncConnection, row: Mapping[str, Any]) -> None:
    """Write a conversation's row (``INSERT ... ON CONFLICT DO UPDATE``), on the caller's
    connection: every column but ``conversation_id`` and ``next_contact_s``."""
    await connection.execute(_UPSERTS[connection.dialect.name], dict(row))


_CASTS = {String: "VARCHAR", Integer: "INTEGER", Float: "DOUBLE PRECISION", JSON: "JSON"}
FOLDED_PREFIX = "f_"
"""The prefix of the folded upsert's parameters: column ``pack`` is ``:f_pack``."""


def _cast(column: Any) -> str:
    if isinstance(column.type, DateTime):
        return "TIMESTAMPTZ"
    return next(name for kind, name in _CASTS.items() if isinstance(column.type, kind))


def folded_upsert(source: str) -> tuple[str, list[BindParameter[Any]]]:
    """PostgreSQL: the upsert of ``upsert`` as a CTE of another statement, ``projected AS
    (INSERT INTO analytics_facts (...) SELECT :f_<column>, ... FROM <source> ON CONFLICT
    (conversation_id) DO UPDATE SET ...)``: the row is written only when ``source`` (the
    append's version bump) has a row. Its parameters are typed as their columns, so that a
    value is sent as ``upsert`` sends it (the JSON columns serialised the same way); a
    VARCHAR cast keeps no length, so a value too long for its column is refused as before."""
    names = [c.name for c in FACTS.c]
    values = ", ".join(f"CAST(:{FOLDED_PREFIX}{c.name} AS {_cast(c)})" for c in FACTS.c)
    sets = ", ".join(f'"{n}" = EXCLUDED."{n}"' for n in names if n not in _KEPT)
    columns = ", ".join(f'"{n}"' for n in names)
    sql = (
        f"projected AS (INSERT INTO analytics_facts ({columns}) SELECT {values} FROM {source} "
        f"ON CONFLICT (conversation_id) DO UPDATE SET {sets})"
    )
    binds = [bindparam(f"{FOLDED_PREFIX}{c.name}", type_=c.type) for c in FACTS.c]
    return sql, binds


def _where(period: Period) -> list[Any]:
    found: list[Any] = [FACTS.c.started_s >= period.since_s]
    if period.until_s is not None:
        found.append(FACTS.c.started_s < period.until_s)
    if period.pack is not None:
        found.append(FACTS.c.pack == period.pack)
    if period.dimension is not None:
        group = group_of(period.dimension)
        if period.group is None:  # the conversations without a value for it
            found.append(or_(group.is_(None), group == ""))
        else:
            found.append(group == period.group)
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
        await upsert(connection, row)

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

    async def _all(self, query: Any) -> list[dict[str, Any]]:
        with map_storage_errors("read the analytics"):
            async with self._engine.connect() as connection:
                return [dict(row._mapping) for row in await connection.execute(query)]

    async def sums(
        self,
        period: Period,
        dimension: str | None,
        now_s: float,
        abandon_after_s: float,
        fcr_s: float,
    ) -> list[dict[str, Any]]:
        """Per group of ``dimension`` (a column or a segments key; None: the whole period as
        one group) and escalation trigger (None: not escalated), the sums
        ``analytics/metrics.py`` reads (``Sums``): one grouped scan of the period."""
        keys: list[Any] = [FACTS.c.trigger]
        if dimension is not None:
            keys.insert(0, group_of(dimension).label("group"))
        query = (
            select(*keys, *_sums(now_s, abandon_after_s, fcr_s))
            .where(*_where(period))
            .group_by(*keys)
        )
        return await self._all(query)

    async def series(
        self, period: Period, size_s: int, now_s: float, abandon_after_s: float, fcr_s: float
    ) -> list[dict[str, Any]]:
        """The same sums per day or hour (``size_s``) the conversations started in, UTC:
        ``bucket`` is the bucket's start divided by ``size_s``; buckets without a
        conversation are absent."""
        bucket = bucket_of(size_s).label("bucket")
        query = (
            select(bucket, *_sums(now_s, abandon_after_s, fcr_s))
            .where(*_where(period))
            .group_by(bucket)
            .order_by(bucket)
        )
        return await self._all(query)

    async def combinations(
        self, period: Period, now_s: float, abandon_after_s: float, fcr_s: float
    ) -> list[dict[str, Any]]:
        """The report's sums and the parity monitor's moments per combination of segment
        values (the segments JSON as text) and escalation trigger: one grouped scan from which
        the whole period's figures, those per group of any dimension and the parity monitor's
        input are all added up without another read. A period has few combinations (packs x
        channels x languages x tiers x arms...), far fewer than conversations."""
        keys = [cast(FACTS.c.segments, String).label("segments"), FACTS.c.trigger]
        figures = [*_sums(now_s, abandon_after_s, fcr_s), *_moments()]
        query = select(*keys, *figures).where(*_where(period)).group_by(*keys)
        return await self._all(query)

    async def dimensions(self, period: Period) -> list[str]:
        """The segment keys the period's conversations have, in name order."""
        query = select(cast(FACTS.c.segments, String)).distinct().where(*_where(period))
        with map_storage_errors("read the analytics"):
            async with self._engine.connect() as connection:
                texts = list((await connection.execute(query)).scalars())
        return sorted({key for text in texts for key in json.loads(text)})

    async def page(
        self, period: Period, offset: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many rows the period has, and ``limit`` of them from ``offset``, oldest first."""
        counted = select(func.count()).select_from(FACTS).where(*_where(period))
        query = (
            select(FACTS)
            .where(*_where(period))
            .order_by(FACTS.c.started_s, FACTS.c.conversation_id)
            .offset(offset)
            .limit(limit)
        )
        with map_storage_errors("read the analytics"):
            async with self._engine.connect() as connection:
                total = int((await connection.execute(counted)).scalar_one())
                rows = [dict(row._mapping) for row in await connection.execute(query)]
        return total, rows

    async def stream(
        self, period: Period, batch: int = 2_000
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The period's rows, oldest first, ``batch`` at a time (a server-side cursor on
        PostgreSQL): an export never holds the whole period in memory."""
        query = (
            select(FACTS)
            .where(*_where(period))
            .order_by(FACTS.c.started_s, FACTS.c.conversation_id)
            .execution_options(yield_per=batch)
        )
        with map_storage_errors("read the analytics"):
            async with self._engine.connect() as connection:
                result = await connection.stream(query)
                async for part in result.partitions(batch):
                    yield [dict(row._mapping) for row in part]

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
