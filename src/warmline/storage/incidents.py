"""The bias incident register's tables and repository (Alembic revision 0006): one row per gap
the parity monitor flagged, open, acknowledged or remediated, with its owner, deadline and the
figures that flagged it last; and its history, whose rows are only ever added (who did what,
when, with their note). One incident per metric, dimension and group while it is not
remediated: a unique partial index, so two runs at once cannot open two."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from warmline.storage.errors import map_storage_errors
from warmline.storage.tables import Base

STATES = ("open", "acknowledged", "remediated")
ACTIVE = text("state != 'remediated'")


class IncidentRow(Base):
    __tablename__ = "bias_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    metric: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[str] = mapped_column(String(64))
    group_name: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))  # open | acknowledged | remediated
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_flagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    times_flagged: Mapped[int] = mapped_column(Integer, default=1)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    n: Mapped[int] = mapped_column(Integer)
    reference_group: Mapped[str] = mapped_column(String(128))
    reference_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    difference: Mapped[float | None] = mapped_column(Float, nullable=True)
    p_adjusted: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (
        Index("ix_bias_incidents_state", "state", "opened_at"),
        Index(
            "ux_bias_incidents_active",
            "metric",
            "dimension",
            "group_name",
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        ),
    )


class IncidentNoteRow(Base):
    __tablename__ = "bias_incident_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(Integer, ForeignKey("bias_incidents.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))  # opened | acknowledged | remediated | note
    text: Mapped[str] = mapped_column(String(2000), default="")

    __table_args__ = (Index("ix_bias_incident_notes_incident", "incident_id", "id"),)


@dataclass(frozen=True)
class Gap:
    """The figures of a flagged gap, as the parity monitor reported them."""

    metric: str
    dimension: str
    group: str
    value: float | None
    n: int
    reference_group: str
    reference_value: float | None
    difference: float | None
    p_adjusted: float | None


@dataclass(frozen=True)
class Note:
    at: datetime
    actor: str
    kind: str
    text: str


@dataclass(frozen=True)
class Incident:
    id: int
    gap: Gap
    state: str
    owner: str | None
    deadline: datetime | None
    opened_at: datetime
    opened_by: str
    updated_at: datetime
    last_flagged_at: datetime
    times_flagged: int
    history: tuple[Note, ...] = field(default_factory=tuple)


class IncidentRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, postgres: bool) -> None:
        self._sessions = sessions
        self._insert: Any = postgresql.insert if postgres else sqlite.insert

    async def flag(
        self, gap: Gap, by: str, at: datetime, note: str, deadline: datetime | None = None
    ) -> tuple[int, bool]:
        """Open an incident for ``gap``, or, when one is already open or acknowledged for its
        metric, dimension and group, bring its figures up to date. Its id, and whether it
        was opened now."""
        row = IncidentRow
        figures = _figures(gap)
        insert = (
            self._insert(row)
            .values(
                metric=gap.metric,
                dimension=gap.dimension,
                group_name=gap.group,
                state="open",
                deadline=deadline,
                opened_at=at,
                opened_by=by[:128],
                updated_at=at,
                last_flagged_at=at,
                times_flagged=1,
                **figures,
            )
            .on_conflict_do_nothing(
                index_elements=["metric", "dimension", "group_name"], index_where=ACTIVE
            )
            .returning(row.id)
        )
        same = (
            row.metric == gap.metric,
            row.dimension == gap.dimension,
            row.group_name == gap.group,
        )
        with map_storage_errors("open a bias incident"):
            async with self._sessions() as session, session.begin():
                opened = (await session.execute(insert)).scalar()
                if opened is not None:
                    session.add(
                        IncidentNoteRow(
                            incident_id=opened,
                            at=at,
                            actor=by[:128],
                            kind="opened",
                            text=note[:2000],
                        )
                    )
                    return opened, True
                found = select(row.id).where(*same, row.state != "remediated")
                existing = (await session.execute(found)).scalar_one()
                await session.execute(
                    update(row)
                    .where(row.id == existing)
                    .values(last_flagged_at=at, times_flagged=row.times_flagged + 1, **figures)
                )
                return existing, False

    async def incidents(self, states: tuple[str, ...] = STATES) -> list[Incident]:
        """The incidents in ``states``, the newest first, without their history."""
        query = select(IncidentRow).where(IncidentRow.state.in_(states))
        with map_storage_errors("read the bias incidents"):
            async with self._sessions() as session:
                rows = await session.execute(query.order_by(IncidentRow.id.desc()))
                return [_incident(r) for r in rows.scalars()]

    async def get(self, incident_id: int) -> Incident | None:
        """One incident with its whole history, oldest first."""
        notes = select(IncidentNoteRow).where(IncidentNoteRow.incident_id == incident_id)
        with map_storage_errors("read a bias incident"):
            async with self._sessions() as session:
                row = await session.get(IncidentRow, incident_id)
                if row is None:
                    return None
                history = (await session.execute(notes.order_by(IncidentNoteRow.id))).scalars()
                return _incident(row, tuple(Note(n.at, n.actor, n.kind, n.text) for n in history))

    async def change(
        self,
        incident_id: int,
        *,
        by: str,
        at: datetime,
        kind: str,
        note: str,
        from_states: tuple[str, ...],
        values: dict[str, Any],
    ) -> bool:
        """Set ``values`` on the incident if it is in one of ``from_states``, and add ``kind``
        with ``note`` to its history, in one transaction. Whether it was changed."""
        change = (
            update(IncidentRow)
            .where(IncidentRow.id == incident_id, IncidentRow.state.in_(from_states))
            .values(updated_at=at, **values)
        )
        with map_storage_errors("change a bias incident"):
            async with self._sessions() as session, session.begin():
                result: Any = await session.execute(change)
                if not result.rowcount:
                    return False
                session.add(
                    IncidentNoteRow(
                        incident_id=incident_id, at=at, actor=by[:128], kind=kind, text=note[:2000]
                    )
                )
        return True


def _figures(gap: Gap) -> dict[str, Any]:
    return {
        "value": gap.value,
        "n": gap.n,
        "reference_group": gap.reference_group[:128],
        "reference_value": gap.reference_value,
        "difference": gap.difference,
        "p_adjusted": gap.p_adjusted,
    }


def _incident(r: IncidentRow, history: tuple[Note, ...] = ()) -> Incident:
    gap = Gap(
        r.metric, r.dimension, r.group_name, r.value, r.n, r.reference_group,
        r.reference_value, r.difference, r.p_adjusted,
    )  # fmt: skip
    return Incident(
        r.id, gap, r.state, r.owner, r.deadline, r.opened_at, r.opened_by, r.updated_at,
        r.last_flagged_at, r.times_flagged, history,
    )  # fmt: skip
