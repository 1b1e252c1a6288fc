"""A customer's rights over their data: access (``export``: every conversation and event of
theirs, as stored, so masked as stored) and erasure (``forget``: their conversations kept for
the counts, their id replaced by a pseudonym and every text and value emptied). Both write an
entry to the audit log, in the same run."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from warmline.privacy.events import forgotten
from warmline.services.audit import AuditLog
from warmline.storage.audit import AuditRepository
from warmline.storage.customers import CustomerDataRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade
from warmline.types import Clock, SystemClock

EXPORT_FORMAT = "warmline.customer-export/1"


@dataclass(frozen=True)
class Forgotten:
    """What ``forget`` did: how many conversations and events it erased, and the pseudonym
    that now stands for the customer in them."""

    customer_id: str
    pseudonym: str
    conversations: int
    events: int


class CustomerData:
    def __init__(
        self, repo: CustomerDataRepository, audit: AuditLog, clock: Clock | None = None
    ) -> None:
        self.repo = repo
        self.audit = audit
        self.clock = clock or SystemClock()

    async def export(self, customer_id: str, actor: str) -> dict[str, Any]:
        """Every conversation of ``customer_id`` with its whole event log, as JSON; audited."""
        found = await self.repo.conversations(customer_id)
        document = {
            "format": EXPORT_FORMAT,
            "customer_id": customer_id,
            "exported_at": self.clock.now().isoformat(),
            "conversations": [
                {
                    "id": c.id,
                    "pack": c.pack,
                    "channel": c.channel,
                    "status": c.status,
                    "created_at": c.created_at.isoformat(),
                    "updated_at": c.updated_at.isoformat(),
                    "events": c.events,
                }
                for c in found
            ],
        }
        events = sum(len(c.events) for c in found)
        await self.audit.record(
            actor, "customer.export", customer_id, conversations=len(found), events=events
        )
        return document

    async def forget(self, customer_id: str, actor: str) -> Forgotten:
        """Erase ``customer_id`` from their conversations (one transaction); audited."""
        pseudonym = f"forgotten-{uuid.uuid4().hex[:12]}"
        conversations, events = await self.repo.rewrite(
            customer_id, pseudonym, lambda payload: forgotten(payload, pseudonym)
        )
        await self.audit.record(
            actor,
            "customer.forget",
            customer_id,
            pseudonym=pseudonym,
            conversations=conversations,
            events=events,
        )
        return Forgotten(customer_id, pseudonym, conversations, events)


@asynccontextmanager
async def open_customer_data(database_url: str) -> AsyncIterator[CustomerData]:
    """The customer data service on the database at ``database_url`` (migrated first)."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        yield CustomerData(CustomerDataRepository(sessions), AuditLog(AuditRepository(sessions)))
    finally:
        await engine.dispose()
