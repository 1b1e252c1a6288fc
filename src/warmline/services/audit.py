"""The audit log: who read or changed whose personal data, and when. Every export and erasure
of a customer's data writes an entry (``services/customer_data.py``); so may any other reader
of someone's data (the console, an agent API) with ``record``. Entries hold ids and counts,
never a message's text."""

from __future__ import annotations

from typing import Any

from warmline.storage.audit import AuditEntry, AuditRepository
from warmline.types import Clock, SystemClock

__all__ = ["AuditEntry", "AuditLog"]


class AuditLog:
    def __init__(self, repo: AuditRepository, clock: Clock | None = None) -> None:
        self.repo = repo
        self.clock = clock or SystemClock()

    async def record(self, actor: str, action: str, subject: str, **detail: Any) -> AuditEntry:
        """Write one entry: ``actor`` did ``action`` (``customer.export``,
        ``customer.forget``, ``packet.read``, ...) to ``subject`` (a customer or conversation
        id), with ``detail`` (JSON values)."""
        entry = AuditEntry(self.clock.now(), actor, action, subject, dict(detail))
        await self.repo.add(entry)
        return entry

    async def entries(
        self, *, subject: str | None = None, actor: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """The newest entries first, of one subject or one actor if given."""
        return await self.repo.entries(subject=subject, actor=actor, limit=limit)
