"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from warmline.api.text import MESSAGE_PATTERN, CleanText
from warmline.domain.conversation import ConversationState
from warmline.domain.decision import Decision, Reason
from warmline.domain.grounding import Citation
from warmline.services.conversations import TurnResult
from warmline.settings import Settings

MAX_MESSAGE_CHARS = Settings.model_fields["max_message_chars"].default


class StartConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pack: CleanText | None = Field(
        None, max_length=64, description="domain pack; the default if omitted"
    )
    identity_token: CleanText | None = Field(
        None,
        max_length=4096,
        description="the signed-in customer's identity: a JWT (HS256) your site signs with "
        "WARMLINE_IDENTITY_SECRET, `sub` = their customer id (docs/identity.md)",
    )
    customer_id: CleanText | None = Field(
        None,
        max_length=128,
        description="a customer id without a credential: accepted only with the development "
        "switch WARMLINE_CUSTOMER_PICKER; otherwise 403 identity_rejected",
    )
    channel: CleanText = Field("api", max_length=32)


class PostMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: CleanText = Field(
        description="what the customer wrote: at least one character that is not white space, "
        "at most WARMLINE_MAX_MESSAGE_CHARS (2000 unless configured; longer: 413)",
        json_schema_extra={"pattern": MESSAGE_PATTERN, "maxLength": MAX_MESSAGE_CHARS},
    )
    idempotency_key: CleanText | None = Field(
        None,
        max_length=128,
        description="one key per message, made by the client (a UUID); the Idempotency-Key "
        "header does the same: a retry with the same key returns the first answer",
    )


class GiveFeedback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: int = Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy)")
    comment: CleanText = Field("", max_length=2000)
    ces: int | None = Field(
        None,
        ge=1,
        le=7,
        description='the effort score (CES): "How easy was it to get what you needed?", '
        "1 (very difficult) to 7 (very easy)",
    )


class RateAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    helpful: StrictBool = Field(description="true: thumbs up; false: thumbs down")


class Reply(BaseModel):
    text: str
    choices: list[str] = []
    citations: list[Citation] = Field(
        default_factory=list,
        description="the help pages an answer from the pack's documents comes from (title, "
        "link to the section, section name); empty for other replies",
    )


class DecisionSummary(BaseModel):
    kind: str
    intent: str | None
    confidence: float | None
    action: str | None
    escalation: str | None
    reasons: list[Reason]

    @classmethod
    def of(cls, decision: Decision) -> DecisionSummary:
        return cls(
            kind=decision.kind,
            intent=decision.intent,
            confidence=decision.confidence,
            action=decision.action,
            escalation=decision.escalation,
            reasons=decision.reasons,
        )


class TurnOut(BaseModel):
    conversation_id: str
    status: str
    replies: list[Reply]
    decision: DecisionSummary | None

    @classmethod
    def of(cls, result: TurnResult) -> TurnOut:
        return cls(
            conversation_id=result.conversation_id,
            status=result.status,
            replies=[
                Reply(text=r.text, choices=r.choices, citations=r.citations) for r in result.replies
            ],
            decision=DecisionSummary.of(result.decision) if result.decision else None,
        )


class StartedOut(TurnOut):
    conversation_token: str = Field(
        description="the key to this conversation: send it as `Authorization: Bearer <token>` "
        "with every later request about it (the response also sets it as an HttpOnly cookie "
        "scoped to the conversation's paths, for pages and EventSource)"
    )
    verified: bool = Field(description="whether the conversation is bound to a verified customer")


class Line(BaseModel):
    author: str
    text: str
    at: datetime
    choices: list[str] = []


class TranscriptOut(BaseModel):
    id: str
    pack: str
    customer_id: str | None
    status: str
    messages: list[Line]

    @classmethod
    def of(cls, conversation_id: str, state: ConversationState) -> TranscriptOut:
        return cls(
            id=conversation_id,
            pack=state.pack,
            customer_id=state.customer_id,
            status=state.status,
            messages=[
                Line(author=t.author, text=t.text, at=t.at, choices=list(t.choices))
                for t in state.transcript
            ],
        )


class EventOut(BaseModel):
    seq: int
    event: dict[str, Any]
