"""The learning loop's review queue over JSON (``/api/agent/review``): the open items by value
or the misclassification log, collecting the turns past the watermark, labelling an item with
an intent of its pack or ``oos``, dismissing one. Any signed-in agent (401 without a session);
a POST carries the session's CSRF token in ``X-CSRF-Token``. Thin routes over
``services/learning.py``, which audits labels and dismissals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from warmline.api.deps import RuntimeDep, SignedInDep
from warmline.api.problems import documented
from warmline.api.sessions import require_csrf_when_signed_in
from warmline.api.text import CLEAN_PATTERN, CleanText
from warmline.services.learning import PAGE_BATCHES, ReviewItem, learning_of

ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the review item's id")]

router = APIRouter(
    prefix="/api/agent/review",
    tags=["review"],
    dependencies=[Depends(require_csrf_when_signed_in)],
    responses=documented(
        {
            400: "a text holds a lone surrogate, or the body is not valid UTF-8",
            401: "no agent is signed in, or the session has ended (not_signed_in)",
            403: "the CSRF token is missing, or the request comes from another site's page",
            404: "no such review item, or the label is no intent of the item's pack nor oos "
            "(not_found, unknown_label)",
            409: "the item was dismissed already, or its pack is not loaded here",
            413: "the body is too large (request_too_large)",
            422: "a field is invalid (validation_error) or a text holds a control character "
            "(invalid_text)",
            429: "too many requests from this address (rate_limited; Retry-After)",
            503: "the database is unavailable for the moment (storage_unavailable)",
        }
    ),
)


class IntentOut(BaseModel):
    intent: str
    probability: float


class WhyOut(BaseModel):
    code: str = Field(description="corrected, thumbs_down, disagreement or low_confidence")
    detail: str


class ReviewItemOut(BaseModel):
    id: int
    conversation_id: str
    seq: int = Field(description="the event seq of the customer's message in its conversation")
    pack: str
    at: datetime
    text: str = Field(description="the customer's text as stored (masked at rest)")
    predicted: str | None = Field(description="what the bot read: an intent, or oos")
    confidence: float
    zone: str
    alternatives: list[IntentOut]
    reasons: list[WhyOut]
    suggested: str | None = Field(description="the intent an agent gave at wrap-up")
    segments: dict[str, str]
    status: str = Field(description="open, labelled or dismissed")
    label: str | None
    reviewer: str | None
    reviewed_at: datetime | None

    @classmethod
    def of(cls, item: ReviewItem) -> ReviewItemOut:
        return cls(
            **{name: getattr(item, name) for name in _PLAIN},
            alternatives=[IntentOut(intent=i, probability=p) for i, p in item.alternatives],
            reasons=[WhyOut(code=code, detail=detail) for code, detail in item.reasons],
        )


_PLAIN = (
    "id", "conversation_id", "seq", "pack", "at", "text", "predicted", "confidence", "zone",
    "suggested", "segments", "status", "label", "reviewer", "reviewed_at",
)  # fmt: skip


class CollectedOut(BaseModel):
    added: int = Field(description="items added by this collection")
    conversations: int = Field(description="conversations with new events looked at")
    watermark: int = Field(description="the last event id collected")


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: CleanText = Field(max_length=128, description="an intent of the item's pack, or oos")


@router.get("")
async def review_items(
    agent: SignedInDep,
    runtime: RuntimeDep,
    view: Annotated[Literal["queue", "log"], Query()] = "queue",
    pack: Annotated[str | None, Query(max_length=64, pattern=CLEAN_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ReviewItemOut]:
    """The open items by value (``queue``: corrected and thumbs-down first, then the lowest
    confidence) or the misclassification log (``log``, newest first), after collecting what
    is new."""
    learning = learning_of(runtime)
    await learning.collect(PAGE_BATCHES)
    if view == "log":
        items = await learning.misclassifications(pack, limit)
    else:
        items = await learning.queue(pack, limit)
    return [ReviewItemOut.of(item) for item in items]


@router.post("/collect")
async def collect(agent: SignedInDep, runtime: RuntimeDep) -> CollectedOut:
    """Queue the turns worth a label among the events since the last collection."""
    found = await learning_of(runtime).collect(PAGE_BATCHES)
    return CollectedOut(
        added=found.added, conversations=found.conversations, watermark=found.watermark
    )


@router.post("/{item_id}/label")
async def label_item(
    item_id: ItemId, body: LabelIn, agent: SignedInDep, runtime: RuntimeDep
) -> ReviewItemOut:
    """Label the item (the last label counts); audited."""
    return ReviewItemOut.of(await learning_of(runtime).label(item_id, body.label, agent.name))


@router.post("/{item_id}/dismiss")
async def dismiss_item(item_id: ItemId, agent: SignedInDep, runtime: RuntimeDep) -> ReviewItemOut:
    """Take the item out of the queue without a label; audited."""
    return ReviewItemOut.of(await learning_of(runtime).dismiss(item_id, agent.name))
