"""The audit log's table and repository: one row per read or change of someone's data (who,
what, whose, when, with a few details). Rows are only ever added."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from warmline.storage.errors import map_storage_errors
from warmline.storage.tables import Base


class AuditRow(Base):
    """One audited read or change (Alembic revision 0002)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(256))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_subject", "subject", "at"),
    )


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any] = field(default_factory=dict)


class AuditRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, entry: AuditEntry) -> None:
        with map_storage_errors("write the audit log"):
            async with self._sessions() as session, session.begin():
                session.add(
                    AuditRow(
                        at=entry.at,
                        actor=entry.actor[:128],
                        action=entry.action[:64],
                        subject=entry.subject[:256],
                        detail=entry.detail,
                    )
                )

    async def entries(
        self, *, subject: str | None = None, actor: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """The newest entries first, of one subject or actor if given."""
        query = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        if subject is not None:
            query = query.where(AuditRow.subject == subject)
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        with map_storage_errors("read the audit log"):
            async with self._sessions() as session:
                rows = (await session.execute(query)).scalars()
                return [AuditEntry(r.at, r.actor, r.action, r.subject, r.detail) for r in rows]
