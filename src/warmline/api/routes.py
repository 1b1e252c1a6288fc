"""The conversation API: thin routes over ``services.conversations``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response, status
from sse_starlette.sse import EventSourceResponse

from warmline.api.access import ConversationAccess, IdentityDep, KeysDep, grant
from warmline.api.deps import ConversationsDep, RuntimeDep
from warmline.api.problems import documented
from warmline.api.schemas import (
    EventOut,
    GiveFeedback,
    PostMessage,
    RateAnswer,
    StartConversation,
    StartedOut,
    TranscriptOut,
    TurnOut,
)
from warmline.api.streams import conversation_stream
from warmline.domain.events import event_to_json
from warmline.services.feedback import Feedback

# What the conversation routes can answer besides success: every route about one conversation
# needs its token (api/access.py); the middleware checks origins, rate limits and text first.
PROBLEMS = documented(
    {
        400: "a text holds a lone surrogate, or the body is not valid UTF-8 (undecodable_input)",
        401: "no conversation token (conversation_token_required)",
        403: "not this conversation's token (conversation_access_denied), an identity token "
        "that does not verify (identity_rejected), or a request from another site's page "
        "(cross_origin)",
        404: "no such pack, or no reply of the assistant at that position (not_found)",
        409: "the conversation has ended (conversation_closed), changed meanwhile (conflict), "
        "or has been rated already (conflict)",
        413: "the body or the message is too long (request_too_large, message_too_long)",
        422: "a field is invalid (validation_error), the message is empty (empty_message) or a "
        "text holds a control character (invalid_text)",
        429: "too many conversations or messages from this address (rate_limited; Retry-After)",
        503: "the database is unavailable for the moment (storage_unavailable)",
    }
)
router = APIRouter(prefix="/api", tags=["conversations"], responses=PROBLEMS)


@router.post(
    "/conversations",
    status_code=status.HTTP_201_CREATED,
    response_model=StartedOut,
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


@router.post("/conversations/{conversation_id}/messages", response_model=TurnOut)
async def post_message(
    conversation_id: ConversationAccess,
    body: PostMessage,
    conversations: ConversationsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=128,
            description="one key per message, made by the client (a UUID): a retry with the "
            "same key returns the first answer and records nothing again",
        ),
    ] = None,
) -> TurnOut:
    """Post a customer message; returns the reply and a summary of the decision with its reasons.
    With an ``Idempotency-Key`` header (or ``idempotency_key`` in the body), a second post with
    the same key runs no turn: it returns the replies of the first."""
    key = idempotency_key or body.idempotency_key
    return TurnOut.of(await conversations.post_message(conversation_id, body.text, key))


@router.post("/conversations/{conversation_id}/handoff", response_model=TurnOut)
async def request_person(
    conversation_id: ConversationAccess, conversations: ConversationsDep
) -> TurnOut:
    """The customer asks for a person: always honoured at once."""
    return TurnOut.of(await conversations.request_person(conversation_id))


@router.post(
    "/conversations/{conversation_id}/feedback",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def give_feedback(
    conversation_id: ConversationAccess, body: GiveFeedback, conversations: ConversationsDep
) -> None:
    """The customer's rating of the conversation (CSAT) and, with ``ces``, how easy it was
    (CES, 1-7), once: a second rating of the same conversation is refused with 409 (conflict)
    and changes nothing."""
    await Feedback(conversations).give(conversation_id, body.rating, body.comment, body.ces)


@router.post(
    "/conversations/{conversation_id}/replies/{n}/rating",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def rate_answer(
    conversation_id: ConversationAccess,
    n: Annotated[int, Path(ge=0, description="the reply's position in the transcript's messages")],
    body: RateAnswer,
    conversations: ConversationsDep,
) -> None:
    """A thumb up or down on one reply of the assistant (``messages[n]`` of the transcript); a
    later thumb on the same reply replaces it. 404 when that message is not the assistant's."""
    await Feedback(conversations).rate_answer(conversation_id, n, body.helpful)


@router.get("/conversations/{conversation_id}", response_model=TranscriptOut)
async def transcript(
    conversation_id: ConversationAccess, conversations: ConversationsDep
) -> TranscriptOut:
    state, _ = await conversations.state(conversation_id)
    return TranscriptOut.of(conversation_id, state)


@router.get("/conversations/{conversation_id}/events", response_model=list[EventOut])
async def events(
    conversation_id: ConversationAccess, conversations: ConversationsDep
) -> list[EventOut]:
    """The conversation's event log: every decision with its reasons."""
    _, log = await conversations.state(conversation_id)
    return [EventOut(seq=i + 1, event=event_to_json(e)) for i, e in enumerate(log)]


@router.get("/conversations/{conversation_id}/stream")
async def stream(conversation_id: ConversationAccess, runtime: RuntimeDep) -> EventSourceResponse:
    """Server-sent events: first ``ready`` once the subscription is in place (nothing recorded
    after it is missed), then each new message (customer, bot or agent) as it is recorded."""
    return await conversation_stream(runtime, conversation_id)
