"""SQLAlchemy 2 tables. Alembic (``storage/migrations``) owns the schema; keep them in step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ConversationRow(Base):
    """One conversation: its identity and a few columns folded from events for listing."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pack: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    channel: Mapped[str] = mapped_column(String(32), default="web")
    status: Mapped[str] = mapped_column(String(16), default="open")
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_conversations_status", "status", "updated_at"),)


HANDOVER_KINDS = ("escalated", "agent_joined", "agent_left", "handed_back")
"""The events that change who has a conversation: its last one says whether it waits for a
person. ``ix_events_handovers`` indexes these alone (a few per conversation), for the queue's
read (``ConversationRepository.waiting``) to seek each waiting conversation's last one."""

_HANDOVERS = text("kind IN ({})".format(", ".join(f"'{kind}'" for kind in HANDOVER_KINDS)))


class EventRow(Base):
    """One event of a conversation's log; ``seq`` is its position, unique per conversation."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_events_conversation_seq"),
        Index("ix_events_kind_at", "kind", "at"),
        Index(
            "ix_events_handovers",
            "conversation_id",
            "seq",
            sqlite_where=_HANDOVERS,
            postgresql_where=_HANDOVERS,
        ),
    )
