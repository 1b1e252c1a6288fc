"""Conversation events: the source of truth. State, explanations and analytics fold over them.

Each event is a small frozen pydantic model with a literal ``kind``; ``Event`` is their
discriminated union and ``EVENT_ADAPTER`` (de)serialises it for storage.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from warmline.domain.decision import Decision, Reason
from warmline.domain.grounding import Citation
from warmline.domain.reasons import Trigger
from warmline.domain.understanding import Understanding


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)
    at: datetime


class ConversationStarted(_Event):
    kind: Literal["conversation_started"] = "conversation_started"
    pack: str
    customer_id: str | None = None
    channel: str = "web"
    verified_by: str | None = None
    """How the customer was verified (identity_token, customer_picker); None when the process
    that started it vouched for the id itself (the terminal, scenario tests) or no customer."""


class MessageReceived(_Event):
    """A message from the customer, exactly as received (after decoding)."""

    kind: Literal["message_received"] = "message_received"
    text: str
    idempotency_key: str | None = None
    """The key the client sent with the message (one per message it means to send once):
    a second post with it returns this turn's result; None in events stored before keys."""


class Understood(_Event):
    kind: Literal["understood"] = "understood"
    understanding: Understanding


class Decided(_Event):
    kind: Literal["decided"] = "decided"
    decision: Decision
    trace_id: str | None = None
    """The trace (OpenTelemetry, 32 hex digits) of the turn that decided, when traces are on
    (docs/observability.md): the decision in the log links to its spans; None otherwise."""


class ActionProposed(_Event):
    """A write or destructive action waiting for the customer's explicit yes."""

    kind: Literal["action_proposed"] = "action_proposed"
    action: str
    params: dict[str, str]
    confirmation: str


class ActionDeclined(_Event):
    kind: Literal["action_declined"] = "action_declined"
    action: str


class ActionExecuted(_Event):
    kind: Literal["action_executed"] = "action_executed"
    action: str
    params: dict[str, str]
    risk: str
    idempotency_key: str | None = None
    result: dict[str, Any] = Field(default_factory=dict)
    approved: bool = Field(
        False, description="a person executed it from the console's approval queue"
    )
    reasons: list[Reason] = Field(
        default_factory=list, description="why it ran: its rollout mode and the limit checked"
    )


class ActionFailed(_Event):
    kind: Literal["action_failed"] = "action_failed"
    action: str
    params: dict[str, str]
    error: str
    reason: str
    retryable: bool = False


class ActionAwaitingApproval(_Event):
    """A confirmed write that did not run: its rollout mode (``shadow``: only proposed;
    ``supervised`` or ``autonomous`` over a limit: held for approval) sent it to a person in the
    console's approval queue, with the idempotency key it will run with and the reasons."""

    kind: Literal["action_awaiting_approval"] = "action_awaiting_approval"
    action: str
    params: dict[str, str]
    mode: Literal["shadow", "supervised", "autonomous"]
    idempotency_key: str = Field(description="the write's key: it names the approval too")
    reasons: list[Reason] = Field(default_factory=list)


class ActionApproved(_Event):
    """A person executed a write held for approval (the ``action_executed`` event follows)."""

    kind: Literal["action_approved"] = "action_approved"
    idempotency_key: str
    action: str
    by: str
    note: str = ""


class ActionRejected(_Event):
    """A person rejected a write held for approval: nothing was written, and what the write
    held for itself was let go (``reasons``: ``stock_hold_released``, the unit held before its
    confirmation)."""

    kind: Literal["action_rejected"] = "action_rejected"
    idempotency_key: str
    action: str
    by: str
    note: str = ""
    reasons: list[Reason] = Field(
        default_factory=list, description="what the rejection let go: the stock the write held"
    )


class CustomerVerified(_Event):
    """The customer proved who they are with the pack's verification ``method``: from now on
    the conversation is bound to ``customer_id`` (the facts themselves are not recorded)."""

    kind: Literal["customer_verified"] = "customer_verified"
    customer_id: str
    method: str


class VerificationFailed(_Event):
    """The facts the customer gave matched no customer (``attempt``: the how-manyth failure);
    the facts themselves are not recorded."""

    kind: Literal["verification_failed"] = "verification_failed"
    method: str
    attempt: int


class BotReplied(_Event):
    kind: Literal["bot_replied"] = "bot_replied"
    text: str
    choices: list[str] = Field(default_factory=list)
    acknowledgement: str | None = Field(
        None, description="the acknowledgement the text opens with, when it has one"
    )
    citations: list[Citation] = Field(
        default_factory=list,
        description="the help pages an answer from the pack's documents comes from",
    )


class Disclosed(_Event):
    """The customer was told they are talking to an AI and how to reach a person."""

    kind: Literal["disclosed"] = "disclosed"
    how: Literal["greeting", "bot_challenge", "handed_back"]


class ExperimentAssigned(_Event):
    """The conversation's arm of one experiment, fixed for its whole life."""

    kind: Literal["experiment_assigned"] = "experiment_assigned"
    experiment: str
    arm: str


class SegmentsNoted(_Event):
    """The segments the pack declares for its analytics (``analytics.segments``: the customer's
    tier, say), read from the customer's account when it is first known: short category values
    of the declared fields only, never free text or personal data."""

    kind: Literal["segments_noted"] = "segments_noted"
    segments: dict[str, str]


class Escalated(_Event):
    kind: Literal["escalated"] = "escalated"
    trigger: Trigger
    reasons: list[Reason] = Field(default_factory=list)


ContactMedium = Literal["email", "phone"]


class CallbackRequested(_Event):
    """With nobody to take over, the customer left a way to be contacted: the ticket."""

    kind: Literal["callback_requested"] = "callback_requested"
    contact: str
    medium: ContactMedium


class AgentJoined(_Event):
    """A person claimed the conversation: from now on the bot says nothing to the customer."""

    kind: Literal["agent_joined"] = "agent_joined"
    agent: str


class AgentLeft(_Event):
    """The person let the conversation go (signed out): it waits in the queue again."""

    kind: Literal["agent_left"] = "agent_left"
    agent: str


class HandedBack(_Event):
    """The person gave the conversation back to the bot."""

    kind: Literal["handed_back"] = "handed_back"
    agent: str
    note: str = ""


class WrappedUp(_Event):
    """The person closed their work: the outcome and, when the bot misread it, the intent the
    conversation really was (for the learning loop)."""

    kind: Literal["wrapped_up"] = "wrapped_up"
    agent: str
    disposition: str
    corrected_intent: str | None = None
    note: str = ""


class AgentMessage(_Event):
    kind: Literal["agent_message"] = "agent_message"
    agent: str
    text: str


class Resolved(_Event):
    kind: Literal["resolved"] = "resolved"
    by: Literal["bot", "agent", "customer"] = "bot"


class FeedbackGiven(_Event):
    kind: Literal["feedback_given"] = "feedback_given"
    rating: int = Field(ge=1, le=5)
    comment: str = ""


class EffortRated(_Event):
    """The customer's effort score (CES): "How easy was it to get what you needed?" on 1-7,
    1 very difficult, 7 very easy. One per conversation, like the rating."""

    kind: Literal["effort_rated"] = "effort_rated"
    ces: int = Field(ge=1, le=7)


class AnswerRated(_Event):
    """A thumb on one bot reply: ``reply`` is the reply's position in the conversation's
    transcript (0 is the first line); the last thumb given on a reply counts."""

    kind: Literal["answer_rated"] = "answer_rated"
    reply: int = Field(ge=0)
    helpful: bool


Event = Annotated[
    ConversationStarted
    | MessageReceived
    | Understood
    | Decided
    | ActionProposed
    | ActionDeclined
    | ActionExecuted
    | ActionFailed
    | ActionAwaitingApproval
    | ActionApproved
    | ActionRejected
    | CustomerVerified
    | VerificationFailed
    | BotReplied
    | Disclosed
    | ExperimentAssigned
    | SegmentsNoted
    | Escalated
    | CallbackRequested
    | AgentJoined
    | AgentLeft
    | HandedBack
    | WrappedUp
    | AgentMessage
    | Resolved
    | FeedbackGiven
    | EffortRated
    | AnswerRated,
    Field(discriminator="kind"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_to_json(event: Event) -> dict[str, Any]:
    """The storage form of an event."""
    return event.model_dump(mode="json")


def event_from_json(data: dict[str, Any]) -> Event:
    """Rebuild an event from its storage form."""
    return EVENT_ADAPTER.validate_python(data)


class EventForms(list[dict[str, Any]]):
    """Events' storage forms (``event_to_json`` of each), with their JSON text (``json.dumps``
    of each) made on first need and kept: a turn's append on PostgreSQL sends the text as the
    payload and the live copy between workers sends it again in its message, so the text is
    encoded once for both. The forms are not changed once the text is made."""

    __slots__ = ("_texts",)

    def __init__(self, forms: Iterable[dict[str, Any]] = ()) -> None:
        super().__init__(forms)
        self._texts: list[str] | None = None

    def texts(self) -> list[str]:
        """``json.dumps`` of each form, in order (made once)."""
        if self._texts is None:
            self._texts = [json.dumps(form) for form in self]
        return self._texts
