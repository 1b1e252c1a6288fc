"""The promoted intent models' table and repository (Alembic revision 0010): for each pack,
one row per promotion, numbered from 1, never rewritten. A row holds the reviewed corrections
the model is trained on besides the pack's own examples (the review queue's item ids and the
intent each was promoted with; their texts stay in the conversations' logs, read through the
review queue, so erasing a customer erases them from the next model too), the model's
fingerprint, the evaluation that let it through the gate, and who promoted it, when and why.
The newest row of a pack is the model its workers serve."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, UniqueConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from warmline.errors import ConflictError
from warmline.storage.errors import map_storage_errors
from warmline.storage.tables import Base


class PromotionRow(Base):
    __tablename__ = "model_promotions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pack: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    item_ids: Mapped[list[str]] = mapped_column(JSON)
    intents: Mapped[list[str]] = mapped_column(JSON)  # the promoted intent of each item id
    fingerprint: Mapped[str] = mapped_column(String(64))
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSON)
    promoted_by: Mapped[str] = mapped_column(String(128))
    promoted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(String(2000))

    __table_args__ = (UniqueConstraint("pack", "version", name="uq_model_promotions_version"),)


@dataclass(frozen=True)
class Correction:
    """One reviewed correction a model trains on: the review item and the intent it reads."""

    item_id: str
    intent: str


@dataclass(frozen=True)
class Promotion:
    pack: str
    version: int
    corrections: tuple[Correction, ...]
    fingerprint: str
    evaluation: dict[str, Any]
    promoted_by: str
    promoted_at: datetime
    note: str = ""

    @property
    def item_ids(self) -> frozenset[str]:
        return frozenset(c.item_id for c in self.corrections)

    def examples(self, texts: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
        """The (text, intent) pairs the model trains on, the texts by item id from ``texts``
        (an item whose text is gone, its customer erased, is left out)."""
        return tuple((texts[c.item_id], c.intent) for c in self.corrections if c.item_id in texts)


def _promotion(row: PromotionRow) -> Promotion:
    corrections = tuple(
        Correction(item_id, intent)
        for item_id, intent in zip(row.item_ids, row.intents, strict=True)
    )
    return Promotion(
        row.pack,
        row.version,
        corrections,
        row.fingerprint,
        dict(row.evaluation),
        row.promoted_by,
        _aware(row.promoted_at),
        row.note,
    )


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class PromotionRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def serving(self, pack: str | None = None) -> dict[str, Promotion]:
        """The newest promotion of each pack (of ``pack`` only, if given), by pack."""
        newest = select(PromotionRow.pack, func.max(PromotionRow.version).label("version"))
        if pack is not None:
            newest = newest.where(PromotionRow.pack == pack)
        latest = newest.group_by(PromotionRow.pack).subquery()
        query = select(PromotionRow).join(
            latest,
            (PromotionRow.pack == latest.c.pack) & (PromotionRow.version == latest.c.version),
        )
        with map_storage_errors("read the promoted models"):
            async with self._sessions() as session:
                rows = (await session.execute(query)).scalars()
                return {row.pack: _promotion(row) for row in rows}

    async def history(self, pack: str, limit: int = 20) -> list[Promotion]:
        """The pack's promotions, newest first."""
        query = (
            select(PromotionRow)
            .where(PromotionRow.pack == pack)
            .order_by(PromotionRow.version.desc())
            .limit(limit)
        )
        with map_storage_errors("read the promoted models"):
            async with self._sessions() as session:
                return [_promotion(row) for row in (await session.execute(query)).scalars()]

    async def add(self, promotion: Promotion, after: int) -> Promotion:
        """Record ``promotion`` as version ``after + 1`` of its pack. ``after`` is the version
        it was judged against: when another promotion came in between, nothing is written and
        ``ConflictError`` says so (the candidate must be judged again)."""
        version = after + 1
        row = PromotionRow(
            pack=promotion.pack,
            version=version,
            item_ids=[c.item_id for c in promotion.corrections],
            intents=[c.intent for c in promotion.corrections],
            fingerprint=promotion.fingerprint,
            evaluation=promotion.evaluation,
            promoted_by=promotion.promoted_by[:128],
            promoted_at=promotion.promoted_at,
            note=promotion.note[:2000],
        )
        newest = select(func.max(PromotionRow.version)).where(PromotionRow.pack == promotion.pack)
        # the unique (pack, version) refuses a writer that took the same version meanwhile
        with map_storage_errors(
            "record a model promotion", conflict=_raced(promotion.pack, after, version)
        ):
            async with self._sessions() as session, session.begin():
                current = (await session.execute(newest)).scalar() or 0
                if current != after:
                    raise ConflictError(_raced(promotion.pack, after, current))
                session.add(row)
        return _promotion(row)


def _raced(pack: str, judged: int, now: int) -> str:
    return (
        f"pack {pack}: the candidate was judged against model version {judged}, but version "
        f"{now} is serving now; run `warmline train` again"
    )
