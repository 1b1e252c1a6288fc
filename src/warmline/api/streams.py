"""A conversation's live messages as server-sent events, for the customer's chat page (with the
conversation's token) and for the agent console (with a signed-in agent who may read it)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from sse_starlette.sse import EventSourceResponse

from warmline.domain.events import AgentMessage, BotReplied, Escalated, MessageReceived, Resolved
from warmline.services.runtime import Runtime

__all__ = ["conversation_stream"]


async def conversation_stream(runtime: Runtime, conversation_id: str) -> EventSourceResponse:
    """First ``ready`` once the subscription is in place (nothing recorded after it is missed),
    then each new message (customer, bot or agent) as it is recorded, and status changes."""
    await runtime.conversations.state(conversation_id)  # 404 before the stream opens

    async def messages() -> AsyncIterator[dict[str, str]]:
        async with runtime.broker.subscribe(conversation_id) as queue:
            yield {"event": "ready", "data": "{}"}
            while True:
                event = await queue.get()
                if isinstance(event, MessageReceived):
                    data = {"author": "customer", "text": event.text, "choices": []}
                elif isinstance(event, BotReplied):
                    data = {"author": "bot", "text": event.text, "choices": event.choices}
                elif isinstance(event, AgentMessage):
                    data = {"author": "agent", "text": event.text, "choices": []}
                elif isinstance(event, Escalated | Resolved):
                    yield {"event": "status", "data": json.dumps({"status": event.kind})}
                    continue
                else:
                    continue
                yield {"event": "message", "data": json.dumps(data)}

    return EventSourceResponse(messages(), ping=15)
