"""Everything stored about one customer, read whole (the right of access) or rewritten in one
transaction (the right of erasure). The rewrite keeps every row, its position and its kind, so
counts folded from the log stay what they were."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from warmline.storage.errors import map_storage_errors
from warmline.storage.tables import ConversationRow, EventRow


@dataclass(frozen=True)
class StoredConversation:
    """A conversation as stored: its columns and its events' storage form, in order."""

    id: str
    pack: str
    customer_id: str | None
    channel: str
    status: str
    created_at: datetime
    updated_at: datetime
    events: list[dict[str, Any]] = field(default_factory=list)


class CustomerDataRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def conversations(self, customer_id: str) -> list[StoredConversation]:
        """The customer's conversations, oldest first, each with its whole event log."""
        with map_storage_errors("read the customer's conversations"):
            async with self._sessions() as session:
                rows = await self._rows(session, customer_id)
                found = []
                for row in rows:
                    payloads = await session.execute(
                        select(EventRow.payload)
                        .where(EventRow.conversation_id == row.id)
                        .order_by(EventRow.seq)
                    )
                    found.append(_stored(row, list(payloads.scalars())))
                return found

    async def rewrite(
        self,
        customer_id: str,
        new_customer_id: str,
        rewrite: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> tuple[int, int]:
        """Give the customer's conversations ``new_customer_id`` and each of their events the
        payload ``rewrite`` makes of it, in one transaction; (conversations, events)."""
        with map_storage_errors("rewrite the customer's conversations"):
            async with self._sessions() as session, session.begin():
                rows = await self._rows(session, customer_id)
                ids = [row.id for row in rows]
                events = (
                    await session.execute(
                        select(EventRow.id, EventRow.payload).where(
                            EventRow.conversation_id.in_(ids)
                        )
                    )
                ).all()
                for event_id, payload in events:
                    await session.execute(
                        update(EventRow)
                        .where(EventRow.id == event_id)
                        .values(payload=rewrite(payload))
                    )
                if ids:
                    await session.execute(
                        update(ConversationRow)
                        .where(ConversationRow.id.in_(ids))
                        .values(customer_id=new_customer_id)
                    )
                return len(ids), len(events)

    @staticmethod
    async def _rows(session: AsyncSession, customer_id: str) -> list[ConversationRow]:
        result = await session.execute(
            select(ConversationRow)
            .where(ConversationRow.customer_id == customer_id)
            .order_by(ConversationRow.created_at, ConversationRow.id)
        )
        return list(result.scalars())


def _stored(row: ConversationRow, events: list[dict[str, Any]]) -> StoredConversation:
    return StoredConversation(
        row.id,
        row.pack,
        row.customer_id,
        row.channel,
        row.status,
        row.created_at,
        row.updated_at,
        events,
    )
