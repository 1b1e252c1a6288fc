"""A conversation's live messages as server-sent events, for the customer's chat page (with the
conversation's token) and for the agent console (with a signed-in agent who may read it).

Events, each a JSON object in ``data``:

- ``ready``: the subscription is in place; nothing recorded after it is missed.
- ``message``: a new message: ``author`` (customer, bot, agent), ``text``, ``choices``, ``at``
  (ISO 8601, the server's time) and, for an agent's, ``agent`` (their display name).
- ``status``: the status changed (``escalated``, ``resolved``), as before.
- ``escalated``, ``agent_joined``, ``agent_left``, ``handed_back``, ``wrapped_up``: who owns
  the conversation changed; ``agent`` is the person's display name (``""`` for escalated),
  ``at`` the time. A page shows who the customer is talking to from these alone.

The stream ends when the live feed between workers breaks or comes back (docs/scaling.md): the
client reconnects, and a second ``ready`` tells it to read what it may have missed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from sse_starlette.sse import EventSourceResponse

from warmline.domain.events import (
    AgentJoined,
    AgentLeft,
    AgentMessage,
    BotReplied,
    Escalated,
    Event,
    HandedBack,
    MessageReceived,
    Resolved,
    WrappedUp,
)
from warmline.services.runtime import Runtime
from warmline.settings import Settings

__all__ = ["agent_display_name", "conversation_stream", "stream_items"]

OWNERSHIP = (AgentJoined, AgentLeft, HandedBack, WrappedUp, Escalated)


def agent_display_name(settings: Settings, agent: str) -> str:
    """The name a customer sees for ``agent``: the account's display name when it has one,
    else the sign-in name with a capital first letter ("dana" -> "Dana")."""
    account = settings.agents.get(agent)
    shown = getattr(account, "display_name", None) if account is not None else None
    return str(shown) if shown else agent[:1].upper() + agent[1:]


def stream_items(settings: Settings, event: Event) -> list[dict[str, str]]:
    """The server-sent events one recorded event becomes (none for most kinds)."""
    at = event.at.isoformat()
    data: dict[str, object] | None = None
    if isinstance(event, MessageReceived):
        data = {"author": "customer", "text": event.text, "choices": [], "at": at}
    elif isinstance(event, BotReplied):
        data = {"author": "bot", "text": event.text, "choices": event.choices, "at": at}
        if event.citations:  # an answer from the documents: its help pages, for the page
            data["citations"] = [c.model_dump() for c in event.citations]
    elif isinstance(event, AgentMessage):
        name = agent_display_name(settings, event.agent)
        data = {"author": "agent", "text": event.text, "choices": [], "at": at, "agent": name}
    if data is not None:
        return [{"event": "message", "data": json.dumps(data)}]
    items = []
    if isinstance(event, OWNERSHIP):
        agent = getattr(event, "agent", "")
        shown = agent_display_name(settings, agent) if agent else ""
        items.append({"event": event.kind, "data": json.dumps({"agent": shown, "at": at})})
    if isinstance(event, Escalated | Resolved):
        items.append({"event": "status", "data": json.dumps({"status": event.kind})})
    return items


async def conversation_stream(runtime: Runtime, conversation_id: str) -> EventSourceResponse:
    """First ``ready`` once the subscription is in place (nothing recorded after it is missed),
    then each new message (customer, bot or agent) as it is recorded, status changes and
    changes of who owns the conversation."""
    await runtime.conversations.state(conversation_id)  # 404 before the stream opens

    async def messages() -> AsyncIterator[dict[str, str]]:
        async with runtime.broker.subscribe(conversation_id) as queue:
            yield {"event": "ready", "data": "{}"}
            while (event := await queue.get()) is not None:
                for item in stream_items(runtime.settings, event):
                    yield item
            # the live feed between workers broke: ending the stream makes the client reconnect
            # (EventSource does by itself) and read what it missed; see docs/scaling.md

    return EventSourceResponse(messages(), ping=15)
