"""The learning loop's review queue (Alembic revision 0008): one row per customer turn worth a
human label (``analytics/review.py`` says which and why), unique per conversation and event
seq, open until someone labels it (an intent of its pack, or ``oos``) or dismisses it; and a
watermark, the last event id collected, so each collection reads only the events after it.

The customer's text is not copied here: it is read from the turn's own ``message_received``
event (masked at rest) whenever an item is shown, so erasing a customer's conversations
(``warmline customers forget``) erases it from the queue too. The same SQL runs on SQLite and
PostgreSQL (``INSERT ... ON CONFLICT``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from warmline.storage.errors import map_storage_errors
from warmline.storage.tables import Base, EventRow

STATUSES = ("open", "labelled", "dismissed")
WATERMARK = "events"


class ReviewItemRow(Base):
    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    pack: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    predicted: Mapped[str | None] = mapped_column(String(128), nullable=True)
    confidence: Mapped[float] = mapped_column(Float)
    zone: Mapped[str] = mapped_column(String(16))
    alternatives: Mapped[list[Any]] = mapped_column(JSON)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    rank: Mapped[int] = mapped_column(Integer)  # the index of its first reason in REVIEW_REASONS
    suggested: Mapped[str | None] = mapped_column(String(128), nullable=True)
    segments: Mapped[dict[str, str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_review_items_turn"),
        Index("ix_review_items_queue", "status", "rank", "confidence"),
        Index("ix_review_items_pack", "pack", "status"),
    )


class ReviewWatermarkRow(Base):
    __tablename__ = "review_watermark"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer)


ITEMS: Table = ReviewItemRow.__table__  # type: ignore[assignment]
MARKS: Table = ReviewWatermarkRow.__table__  # type: ignore[assignment]
_REFRESHED = ("predicted", "confidence", "zone", "alternatives", "reasons", "rank", "suggested")


@dataclass(frozen=True)
class ReviewItem:
    id: int
    conversation_id: str
    seq: int
    pack: str
    at: datetime
    text: str
    predicted: str | None
    confidence: float
    zone: str
    alternatives: list[tuple[str, float]]
    reasons: list[tuple[str, str]]  # (code, detail)
    suggested: str | None
    segments: dict[str, str] = field(default_factory=dict)
    status: str = "open"
    label: str | None = None
    reviewer: str | None = None
    reviewed_at: datetime | None = None
    created_at: datetime | None = None

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.reasons]


@dataclass(frozen=True)
class Touched:
    """What a collection reads past the watermark: the conversations with new events worth a
    look, and how far the watermark may move (every event up to it has been seen)."""

    conversations: list[str]
    last_event_id: int
    more: bool


def _insert(dialect: str) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert


def _query(*where: Any) -> Any:
    return (
        select(ITEMS, EventRow.payload)
        .outerjoin(
            EventRow,
            and_(EventRow.conversation_id == ITEMS.c.conversation_id, EventRow.seq == ITEMS.c.seq),
        )
        .where(*where)
    )


def _item(row: Any) -> ReviewItem:
    data = dict(row._mapping)
    payload = data.pop("payload") or {}
    text = payload.get("text") if isinstance(payload, dict) else None
    data["text"] = text if isinstance(text, str) else ""
    data["alternatives"] = [(str(a[0]), float(a[1])) for a in data["alternatives"] or []]
    data["reasons"] = [(str(r[0]), str(r[1])) for r in data["reasons"] or []]
    for name in ("at", "reviewed_at", "created_at"):
        data[name] = None if data[name] is None else _aware(data[name])
    data.pop("rank", None)
    return ReviewItem(**data)


class LearningRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def watermark(self) -> int:
        query = select(MARKS.c.last_event_id).where(MARKS.c.name == WATERMARK)
        with map_storage_errors("read the review watermark"):
            async with self._engine.connect() as connection:
                found = (await connection.execute(query)).scalar()
        return int(found or 0)

    async def touched(
        self, after: int, kinds: Sequence[str], settled: datetime, batch: int
    ) -> Touched:
        """The conversations with events of ``kinds`` among the (at most ``batch``) events
        after event id ``after``. The watermark may move over the events read up to the first
        one newer than ``settled``: on PostgreSQL an id is taken before its transaction
        commits, so the newest are read again next time in case a lower id was not yet
        visible (collecting twice is harmless)."""
        query = (
            select(EventRow.id, EventRow.conversation_id, EventRow.kind, EventRow.at)
            .where(EventRow.id > after)
            .order_by(EventRow.id)
            .limit(batch)
        )
        with map_storage_errors("read the events to review"):
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).all()
        wanted, seen = set(kinds), dict[str, None]()
        upto, fresh = after, False
        for event_id, cid, kind, at in rows:
            if kind in wanted:
                seen[cid] = None
            fresh = fresh or _aware(at) > settled
            upto = upto if fresh else int(event_id)
        return Touched(list(seen), upto, len(rows) == batch)

    async def logs(self, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The whole event logs of ``ids`` (storage form), each in order."""
        query = (
            select(EventRow.conversation_id, EventRow.payload)
            .where(EventRow.conversation_id.in_(list(ids)))
            .order_by(EventRow.conversation_id, EventRow.seq)
        )
        found: dict[str, list[dict[str, Any]]] = {cid: [] for cid in ids}
        with map_storage_errors("read the conversations"):
            async with self._engine.connect() as connection:
                for cid, payload in await connection.execute(query):
                    found[cid].append(payload)
        return found

    async def save(self, rows: Sequence[Mapping[str, Any]], watermark: int | None) -> int:
        """Add the items not there yet and bring the others' reading and reasons up to date
        where they changed, then move the watermark; how many were added. What is there is
        read first on a connection of its own, so the transaction that writes begins with a
        write (on SQLite a reader turned writer may be refused while another writes)."""
        keys = [(r["conversation_id"], r["seq"]) for r in rows]
        there = await self._existing(keys) if keys else {}
        new = [dict(r) for r in rows if (r["conversation_id"], r["seq"]) not in there]
        changed = [
            r for r in rows
            if (r["conversation_id"], r["seq"]) in there
            and there[(r["conversation_id"], r["seq"])] != {n: r[n] for n in _REFRESHED}
        ]  # fmt: skip
        if not new and not changed and watermark is None:
            return 0
        with map_storage_errors("save the review queue"):
            async with self._engine.begin() as connection:
                if new:
                    insert = _insert(connection.dialect.name)(ITEMS)
                    await connection.execute(
                        insert.on_conflict_do_nothing(index_elements=["conversation_id", "seq"]),
                        new,
                    )
                for row in changed:
                    await connection.execute(
                        update(ITEMS)
                        .where(ITEMS.c.conversation_id == row["conversation_id"])
                        .where(ITEMS.c.seq == row["seq"])
                        .values({name: row[name] for name in _REFRESHED})
                    )
                if watermark is not None:
                    await self._mark_in(connection, watermark)
        return len(new)

    async def _existing(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], Any]:
        """The refreshed columns of the items of ``keys`` already there."""
        columns = [ITEMS.c[name] for name in _REFRESHED]
        query = select(ITEMS.c.conversation_id, ITEMS.c.seq, *columns).where(
            tuple_(ITEMS.c.conversation_id, ITEMS.c.seq).in_(keys)
        )
        with map_storage_errors("read the review queue"):
            async with self._engine.connect() as connection:
                found = (await connection.execute(query)).all()
        return {(row[0], row[1]): dict(zip(_REFRESHED, row[2:], strict=True)) for row in found}

    async def _mark_in(self, connection: AsyncConnection, last_event_id: int) -> None:
        insert = _insert(connection.dialect.name)(MARKS).values(
            name=WATERMARK, last_event_id=last_event_id
        )
        await connection.execute(
            insert.on_conflict_do_update(
                index_elements=["name"], set_={"last_event_id": last_event_id}
            )
        )

    async def items(
        self,
        *,
        statuses: Sequence[str] = ("open",),
        pack: str | None = None,
        misread: bool = False,
        limit: int = 50,
    ) -> list[ReviewItem]:
        """Items of ``statuses`` (of ``pack`` if given), by value: the best reason first
        (``rank``), then the lowest confidence, then the oldest; ``misread``: only those a
        person corrected or labelled otherwise than the bot read (the misclassification log,
        newest first)."""
        where: list[Any] = [ITEMS.c.status.in_(list(statuses))]
        if pack is not None:
            where.append(ITEMS.c.pack == pack)
        order: list[Any] = [ITEMS.c.rank, ITEMS.c.confidence, ITEMS.c.at, ITEMS.c.id]
        if misread:
            otherwise = or_(ITEMS.c.predicted.is_(None), ITEMS.c.label != ITEMS.c.predicted)
            labelled_otherwise = and_(ITEMS.c.status == "labelled", otherwise)
            corrected = and_(ITEMS.c.status == "open", ITEMS.c.rank == 0)
            where = [or_(labelled_otherwise, corrected), *where[1:]]
            order = [ITEMS.c.at.desc(), ITEMS.c.id.desc()]
        query = _query(*where).order_by(*order).limit(limit)
        with map_storage_errors("read the review queue"):
            async with self._engine.connect() as connection:
                return [_item(row) for row in await connection.execute(query)]

    async def counts(self) -> dict[str, int]:
        """Items per status."""
        query = select(ITEMS.c.status, func.count()).group_by(ITEMS.c.status)
        with map_storage_errors("read the review queue"):
            async with self._engine.connect() as connection:
                found = {status: int(n) for status, n in await connection.execute(query)}
        return {status: found.get(status, 0) for status in STATUSES}

    async def get(self, item_id: int) -> ReviewItem | None:
        with map_storage_errors("read the review queue"):
            async with self._engine.connect() as connection:
                row = (await connection.execute(_query(ITEMS.c.id == item_id))).first()
        return None if row is None else _item(row)

    async def review(
        self, item_id: int, from_statuses: Sequence[str], values: Mapping[str, Any]
    ) -> bool:
        """Set ``values`` (status, label, reviewer, reviewed_at) on the item when it is in one
        of ``from_statuses``; whether it was."""
        statement = (
            update(ITEMS)
            .where(ITEMS.c.id == item_id, ITEMS.c.status.in_(list(from_statuses)))
            .values(dict(values))
        )
        with map_storage_errors("review an item"):
            async with self._engine.begin() as connection:
                return bool((await connection.execute(statement)).rowcount)

    async def labelled(self, pack: str) -> list[ReviewItem]:
        """The pack's labelled items, oldest first."""
        where = (ITEMS.c.status == "labelled", ITEMS.c.pack == pack)
        query = _query(*where).order_by(ITEMS.c.reviewed_at, ITEMS.c.id)
        with map_storage_errors("read the reviewed examples"):
            async with self._engine.connect() as connection:
                return [_item(row) for row in await connection.execute(query)]


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
