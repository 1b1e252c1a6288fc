"""Search over stored conversations: by customer id, by conversation id, or by a text in the
transcript (the customer's, the bot's and the agents' messages) or in an action's parameters
(an order or reservation id).

What is searched is what is stored: personal data in texts is masked at rest
(``privacy/events.py``), so the caller masks its query the same way. SQL narrows the events
to those whose stored JSON holds the text; each is then read back and the match confirmed in
the fields a person reads, so a key name (``"text"``) or a time never matches."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, false, func, or_, select

from warmline.domain.events import (
    ActionExecuted,
    ActionFailed,
    ActionProposed,
    AgentMessage,
    BotReplied,
    Event,
    MessageReceived,
    event_from_json,
)
from warmline.storage.conversations import ConversationRepository, ConversationSummary
from warmline.storage.errors import map_storage_errors
from warmline.storage.tables import ConversationRow, EventRow

KINDS = (
    "message_received",
    "bot_replied",
    "agent_message",
    "action_proposed",
    "action_executed",
    "action_failed",
)
SCANNED = 2000
"""At most this many candidate events are read back, the most recent first."""
SNIPPET_CHARS = 120
ID_PREFIX = 8
"""A conversation id is found by its first 8 characters or more (the console shows 8)."""


@dataclass(frozen=True)
class SearchHit:
    conversation: ConversationSummary
    matched: str  # customer, conversation, message, action
    snippet: str = ""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _patterns(column: Any, query: str) -> ColumnElement[bool]:
    """``column`` (lower-cased) holds ``query`` as written or as JSON escapes it."""
    forms = {query, json.dumps(query)[1:-1]}
    return or_(*(func.lower(column).like(_like(form), escape="\\") for form in forms))


def _texts(event: Event) -> list[tuple[str, str]]:
    """What a person reads of an event, with where it is: a message, or an action's values."""
    match event:
        case MessageReceived() | BotReplied() | AgentMessage():
            return [("message", event.text)]
        case ActionProposed() | ActionExecuted() | ActionFailed():
            return [("action", f"{event.action} {v}") for v in event.params.values()]
        case _:
            return []


def snippet(text: str, query: str) -> str:
    """The part of ``text`` around the first ``query`` in it."""
    at = text.lower().find(query)
    start = max(0, at - SNIPPET_CHARS // 3)
    cut = text[start : start + SNIPPET_CHARS]
    return ("…" if start else "") + cut + ("…" if start + SNIPPET_CHARS < len(text) else "")


class ConversationSearch:
    def __init__(self, repo: ConversationRepository) -> None:
        self._sessions = repo._sessions

    async def find(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Conversations matching ``query`` (case-insensitive), the most recently active
        first, at most ``limit``, each with what matched."""
        query = query.strip().lower()
        if not query:
            return []
        hits: dict[str, tuple[str, str]] = {}
        with map_storage_errors("search the conversations"):
            async with self._sessions() as session:
                by_id = await session.execute(
                    select(ConversationRow.id, ConversationRow.customer_id).where(
                        or_(
                            _patterns(ConversationRow.customer_id, query),
                            ConversationRow.id.like(_like(query)[1:], escape="\\")
                            if len(query) >= ID_PREFIX
                            else false(),
                        )
                    )
                )
                for cid, customer in by_id:
                    found = "customer" if customer and query in customer.lower() else "conversation"
                    hits[cid] = (found, "")
                events = await session.execute(
                    select(EventRow.conversation_id, EventRow.payload)
                    .where(EventRow.kind.in_(KINDS), _patterns(cast(EventRow.payload, Text), query))
                    .order_by(EventRow.at.desc())
                    .limit(SCANNED)
                )
                for cid, payload in events:
                    if cid in hits:
                        continue
                    for where, text in _texts(event_from_json(payload)):
                        if query in text.lower():
                            hits[cid] = (where, snippet(text, query))
                            break
                if not hits:
                    return []
                rows = await session.execute(
                    select(ConversationRow)
                    .where(ConversationRow.id.in_(list(hits)))
                    .order_by(ConversationRow.updated_at.desc())
                    .limit(limit)
                )
                return [
                    SearchHit(ConversationSummary(row), *hits[row.id]) for row in rows.scalars()
                ]
