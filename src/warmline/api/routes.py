"""The conversation API: thin routes over ``services.conversations``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, status
from sse_starlette.sse import EventSourceResponse

from warmline.api.deps import ConversationsDep, RuntimeDep
from warmline.api.schemas import (
    EventOut,
    GiveFeedback,
    PostMessage,
    StartConversation,
    TranscriptOut,
    TurnOut,
)
from warmline.domain.events import (
    AgentMessage,
    BotReplied,
    Escalated,
    MessageReceived,
    Resolved,
    event_to_json,
)

router = APIRouter(prefix="/api", tags=["conversations"])


@router.post("/conversations", status_code=status.HTTP_201_CREATED, response_model=TurnOut)
async def start_conversation(body: StartConversation, conversations: ConversationsDep) -> TurnOut:
    """Start a conversation; the reply holds the greeting with the AI disclosure."""
    return TurnOut.of(await conversations.start(body.pack, body.customer_id, body.channel))


@router.post("/conversations/{conversation_id}/messages", response_model=TurnOut)
async def post_message(
    conversation_id: str, body: PostMessage, conversations: ConversationsDep
) -> TurnOut:
    """Post a customer message; returns the reply and a summary of the decision with its reasons."""
    return TurnOut.of(await conversations.post_message(conversation_id, body.text))


@router.post("/conversations/{conversation_id}/handoff", response_model=TurnOut)
async def request_person(conversation_id: str, conversations: ConversationsDep) -> TurnOut:
    """The customer asks for a person: always honoured at once."""
    return TurnOut.of(await conversations.request_person(conversation_id))


@router.post("/conversations/{conversation_id}/feedback", status_code=status.HTTP_204_NO_CONTENT)
async def give_feedback(
    conversation_id: str, body: GiveFeedback, conversations: ConversationsDep
) -> None:
    """The customer's rating of the conversation (CSAT); the last one given counts."""
    await conversations.give_feedback(conversation_id, body.rating, body.comment)


@router.get("/conversations/{conversation_id}", response_model=TranscriptOut)
async def transcript(conversation_id: str, conversations: ConversationsDep) -> TranscriptOut:
    state, _ = await conversations.state(conversation_id)
    return TranscriptOut.of(conversation_id, state)


@router.get("/conversations/{conversation_id}/events", response_model=list[EventOut])
async def events(conversation_id: str, conversations: ConversationsDep) -> list[EventOut]:
    """The conversation's event log: every decision with its reasons."""
    _, log = await conversations.state(conversation_id)
    return [EventOut(seq=i + 1, event=event_to_json(e)) for i, e in enumerate(log)]


@router.get("/conversations/{conversation_id}/stream")
async def stream(
    conversation_id: str, request: Request, runtime: RuntimeDep
) -> EventSourceResponse:
    """Server-sent events: first ``ready`` once the subscription is in place (nothing recorded
    after it is missed), then each new message (customer, bot or agent) as it is recorded."""
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
