"""The conversation API: thin routes over ``services.conversations``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response, status
from sse_starlette.sse import EventSourceResponse

from warmline.api.access import ConversationAccess, IdentityDep, KeysDep, grant
from warmline.api.deps import ConversationsDep, RuntimeDep
from warmline.api.schemas import (
    EventOut,
    GiveFeedback,
    PostMessage,
    StartConversation,
    StartedOut,
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

# Every route about one conversation needs its token (api/access.py): 401 without, 403 with
# another conversation's.
_ACCESS = {
    401: {"description": "no conversation token (problem: conversation_token_required)"},
    403: {"description": "not this conversation's token (problem: conversation_access_denied)"},
}
router = APIRouter(prefix="/api", tags=["conversations"])


@router.post(
    "/conversations",
    status_code=status.HTTP_201_CREATED,
    response_model=StartedOut,
    responses={403: {"description": "identity token not accepted (problem: identity_rejected)"}},
)
async def start_conversation(
    body: StartConversation,
    request: Request,
    response: Response,
    conversations: ConversationsDep,
    identity: IdentityDep,
    keys: KeysDep,
) -> StartedOut:
    """Start a conversation; the reply holds the greeting with the AI disclosure and the
    conversation token. It is bound to a customer only through a verified identity token."""
    who = identity.identify(body.identity_token, body.customer_id)
    result = await conversations.start(
        body.pack,
        who.customer_id if who else None,
        body.channel,
        verified_by=who.verified_by if who else None,
    )
    token = keys.issue(result.conversation_id)
    grant(request, response, result.conversation_id, token)
    turn = TurnOut.of(result)
    return StartedOut(**turn.model_dump(), conversation_token=token, verified=who is not None)


@router.post("/conversations/{conversation_id}/messages", response_model=TurnOut, responses=_ACCESS)
async def post_message(
    conversation_id: ConversationAccess, body: PostMessage, conversations: ConversationsDep
) -> TurnOut:
    """Post a customer message; returns the reply and a summary of the decision with its reasons."""
    return TurnOut.of(await conversations.post_message(conversation_id, body.text))


@router.post("/conversations/{conversation_id}/handoff", response_model=TurnOut, responses=_ACCESS)
async def request_person(
    conversation_id: ConversationAccess, conversations: ConversationsDep
) -> TurnOut:
    """The customer asks for a person: always honoured at once."""
    return TurnOut.of(await conversations.request_person(conversation_id))


@router.post(
    "/conversations/{conversation_id}/feedback",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ACCESS,
)
async def give_feedback(
    conversation_id: ConversationAccess, body: GiveFeedback, conversations: ConversationsDep
) -> None:
    """The customer's rating of the conversation (CSAT); the last one given counts."""
    await conversations.give_feedback(conversation_id, body.rating, body.comment)


@router.get("/conversations/{conversation_id}", response_model=TranscriptOut, responses=_ACCESS)
async def transcript(
    conversation_id: ConversationAccess, conversations: ConversationsDep
) -> TranscriptOut:
    state, _ = await conversations.state(conversation_id)
    return TranscriptOut.of(conversation_id, state)


@router.get(
    "/conversations/{conversation_id}/events", response_model=list[EventOut], responses=_ACCESS
)
async def events(
    conversation_id: ConversationAccess, conversations: ConversationsDep
) -> list[EventOut]:
    """The conversation's event log: every decision with its reasons."""
    _, log = await conversations.state(conversation_id)
    return [EventOut(seq=i + 1, event=event_to_json(e)) for i, e in enumerate(log)]


@router.get("/conversations/{conversation_id}/stream", responses=_ACCESS)
async def stream(
    conversation_id: ConversationAccess, request: Request, runtime: RuntimeDep
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
