"""The typed vocabulary shared by every layer: ids and small protocols."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType, Protocol

ConversationId = NewType("ConversationId", str)
CustomerId = NewType("CustomerId", str)
PackName = NewType("PackName", str)
IntentName = NewType("IntentName", str)
ActionName = NewType("ActionName", str)


class Clock(Protocol):
    """Where time comes from, so tests can fix it."""

    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)
