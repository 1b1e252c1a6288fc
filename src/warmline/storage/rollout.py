"""The rollout's tables and repository: the mode a supervisor set for a pack's action (over
the pack's declared one, shared by every worker) and the approval queue (writes held for a
person: waiting, then executed or rejected, by whom and when). The conversation's event log
stays the source of truth; the queue indexes the writes waiting across conversations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from warmline.errors import ConflictError
from warmline.storage.errors import map_storage_errors
from warmline.storage.tables import Base


class RolloutModeRow(Base):
    """A supervisor's mode for one action of one pack (Alembic revision 0003)."""

    __tablename__ = "rollout_modes"

    pack: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(64), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    changed_by: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApprovalRow(Base):
    """One write held for a person's approval (Alembic revision 0003)."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(256), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(36))
    pack: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    mode: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str] = mapped_column(String(2000), default="")

    __table_args__ = (Index("ix_approvals_status", "status", "created_at"),)


@dataclass(frozen=True)
class Approval:
    id: int
    idempotency_key: str
    conversation_id: str
    pack: str
    action: str
    params: dict[str, str]
    mode: str
    created_at: datetime
    status: str = "waiting"
    reasons: list[dict[str, Any]] = field(default_factory=list)
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""


def _approval(row: ApprovalRow) -> Approval:
    return Approval(
        row.id,
        row.idempotency_key,
        row.conversation_id,
        row.pack,
        row.action,
        dict(row.params),
        row.mode,
        row.created_at,
        row.status,
        list(row.reasons),
        row.decided_by,
        row.decided_at,
        row.note,
    )


class RolloutRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def modes(self, pack: str) -> dict[str, RolloutModeRow]:
        """The modes supervisors set for ``pack``'s actions, by action."""
        query = select(RolloutModeRow).where(RolloutModeRow.pack == pack)
        with map_storage_errors("read the rollout modes"):
            async with self._sessions() as session:
                return {row.action: row for row in (await session.execute(query)).scalars()}

    async def set_mode(self, pack: str, action: str, mode: str, by: str, at: datetime) -> None:
        with map_storage_errors("write a rollout mode"):
            async with self._sessions() as session, session.begin():
                row = await session.get(RolloutModeRow, (pack, action))
                if row is None:
                    session.add(
                        RolloutModeRow(
                            pack=pack, action=action, mode=mode, changed_by=by, changed_at=at
                        )
                    )
                else:
                    row.mode, row.changed_by, row.changed_at = mode, by[:128], at

    async def add(self, approval: Approval) -> None:
        """Queue a held write; a turn retried with the same key queues nothing twice."""
        row = ApprovalRow(
            idempotency_key=approval.idempotency_key,
            conversation_id=approval.conversation_id,
            pack=approval.pack,
            action=approval.action,
            params=approval.params,
            mode=approval.mode,
            reasons=approval.reasons,
            status="waiting",
            created_at=approval.created_at,
            note="",
        )
        try:
            with map_storage_errors("queue a write for approval", conflict="queued already"):
                async with self._sessions() as session, session.begin():
                    session.add(row)
        except ConflictError:  # the same key: queued already
            return

    async def waiting(self) -> list[Approval]:
        """The writes waiting for a person, the oldest first."""
        query = (
            select(ApprovalRow)
            .where(ApprovalRow.status == "waiting")
            .order_by(ApprovalRow.created_at, ApprovalRow.id)
        )
        with map_storage_errors("read the approval queue"):
            async with self._sessions() as session:
                return [_approval(row) for row in (await session.execute(query)).scalars()]

    async def get(self, approval_id: int) -> Approval | None:
        with map_storage_errors("read an approval"):
            async with self._sessions() as session:
                row = await session.get(ApprovalRow, approval_id)
                return _approval(row) if row is not None else None

    async def decide(
        self, approval_id: int, status: str, by: str, at: datetime, note: str = ""
    ) -> bool:
        """Mark a waiting write ``status`` (``executed`` or ``rejected``); of two people
        deciding at once exactly one gets True."""
        return await self._move(approval_id, "waiting", status, by, at, note)

    async def reopen(self, approval_id: int) -> None:
        """Put back in the queue a write whose execution could not be completed."""
        statement = (
            update(ApprovalRow)
            .where(ApprovalRow.id == approval_id)
            .values(status="waiting", decided_by=None, decided_at=None, note="")
        )
        with map_storage_errors("reopen an approval"):
            async with self._sessions() as session, session.begin():
                await session.execute(statement)

    async def _move(
        self, approval_id: int, before: str, after: str, by: str, at: datetime, note: str
    ) -> bool:
        statement = (
            update(ApprovalRow)
            .where(ApprovalRow.id == approval_id, ApprovalRow.status == before)
            .values(status=after, decided_by=by[:128], decided_at=at, note=note[:2000])
        )
        with map_storage_errors("decide an approval"):
            async with self._sessions() as session, session.begin():
                result = await session.execute(statement)
                return bool(getattr(result, "rowcount", 0) == 1)

    async def agreement(self, pack: str) -> dict[str, tuple[int, int]]:
        """Per action of ``pack``: shadow cases decided, and how many were executed."""
        executed = func.sum(case((ApprovalRow.status == "executed", 1), else_=0))
        query = (
            select(ApprovalRow.action, func.count(), executed)
            .where(
                ApprovalRow.pack == pack,
                ApprovalRow.mode == "shadow",
                ApprovalRow.status.in_(("executed", "rejected")),
            )
            .group_by(ApprovalRow.action)
        )
        with map_storage_errors("read the shadow agreement"):
            async with self._sessions() as session:
                rows = (await session.execute(query)).all()
                return {action: (int(n), int(agreed or 0)) for action, n, agreed in rows}
