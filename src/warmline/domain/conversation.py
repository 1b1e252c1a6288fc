"""Conversation state: a fold over the conversation's events. Nothing here is stored twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, assert_never

from warmline.domain.decision import Decision
from warmline.domain.events import (
    ActionApproved,
    ActionAwaitingApproval,
    ActionDeclined,
    ActionExecuted,
    ActionFailed,
    ActionProposed,
    ActionRejected,
    AgentJoined,
    AgentLeft,
    AgentMessage,
    AnswerRated,
    BotReplied,
    CallbackRequested,
    ConversationStarted,
    CustomerVerified,
    Decided,
    Disclosed,
    EffortRated,
    Escalated,
    Event,
    ExperimentAssigned,
    FeedbackGiven,
    HandedBack,
    MessageReceived,
    Resolved,
    SegmentsNoted,
    Understood,
    VerificationFailed,
    WrappedUp,
)
from warmline.domain.reasons import Trigger
from warmline.domain.understanding import TurnContext

CONTEXT_TURNS = 4
Status = Literal["open", "escalated", "closed"]
Author = Literal["customer", "bot", "agent"]


@dataclass(frozen=True)
class TranscriptLine:
    author: Author
    text: str
    at: datetime
    choices: tuple[str, ...] = ()
    fact: bool = False  # a customer's answer to a verification question: no words of a request


@dataclass(frozen=True)
class PendingAction:
    action: str
    params: dict[str, str]
    confirmation: str
    proposal: int = 0  # the version of the proposal event: one proposal executes at most once


@dataclass(frozen=True)
class Filling:
    """The action whose parameters are being filled (or that awaits its yes): the values so
    far, and the customer turn its request began with (its words are read for the choices)."""

    action: str
    intent: str | None
    params: dict[str, str]
    since: int


@dataclass(frozen=True)
class Offer:
    """The choices of one parameter, evaluated from fresh records for one turn: labels and the
    values they send; ``found`` is False when the record itself was not found. ``basis`` is
    the other parameters' values it was evaluated with: once one of them changes (a
    correction), the offer is stale and is evaluated again."""

    labels: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    found: bool = True
    basis: tuple[tuple[str, str], ...] = ()

    def fresh_for(self, params: dict[str, str]) -> bool:
        """Whether the offer was evaluated with these values of the other parameters."""
        return all(params.get(key) == value for key, value in self.basis)


@dataclass(frozen=True)
class Refusal:
    """A write's dry run the back office refused: its rule id (``not_found`` for a record it
    does not have) and its reason in its own words."""

    rule: str
    reason: str


@dataclass(frozen=True)
class Verifying:
    """The pack's verification under way: the method and fact asked for last (the method may
    change as the customer answers another of the pack's methods), the request it stands in
    front of (carried on once verified), and the customer turns before it began (the replies
    after them are read for the facts)."""

    method: str
    fact: str
    intent: str | None
    since: int


@dataclass(frozen=True)
class TurnReading:
    """What one customer turn was read as: its top intent, entity values and negativity
    (a turn nobody read, as while a person owns the conversation: none, none, 0)."""

    intent: str | None
    values: list[str]
    negative: float
    frustration: float = 0.0


@dataclass
class ConversationState:
    """What the policy needs to know about a conversation so far."""

    pack: str = ""
    customer_id: str | None = None
    channel: str = "web"
    status: Status = "open"
    version: int = 0
    started_at: datetime | None = None
    transcript: list[TranscriptLine] = field(default_factory=list)
    pending: PendingAction | None = None
    choices: tuple[str, ...] = ()
    choice_values: tuple[str, ...] = ()
    filling: Filling | None = None
    offers: dict[str, Offer] = field(default_factory=dict)  # this turn's only: never folded
    refusals: dict[str, Refusal] = field(default_factory=dict)  # this turn's only: never folded
    clarify_for: tuple[str, ...] = ()
    awaiting_param: str | None = None
    awaiting_intent: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    # an entity named with several values in one turn and no word telling which is which: the
    # values, kept until a question about them is answered (the slot holds the first)
    several: dict[str, tuple[str, ...]] = field(default_factory=dict)
    last_intent: str | None = None
    clarify_streak: int = 0
    out_of_scope_count: int = 0
    disclosed: bool = False
    arms: dict[str, str] = field(default_factory=dict)
    segments: dict[str, str] = field(default_factory=dict)  # the pack's analytics segments
    readings: list[TurnReading] = field(default_factory=list)
    acknowledged_streak: int = 0
    acknowledgements: list[str] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    effort: int | None = None  # the effort score (CES, 1-7), given once
    thumbs: dict[int, bool] = field(default_factory=dict)  # transcript position -> helpful
    escalation: Trigger | None = None
    owner: str | None = None
    callback: str | None = None
    message_keys: frozenset[str] = frozenset()  # the idempotency keys of the messages recorded
    actions_done: list[str] = field(default_factory=list)
    actions_failed: list[str] = field(default_factory=list)
    verifying: Verifying | None = None
    verification_failures: int = 0
    asked_again: int = 0  # times in a row the last question was asked again, nothing new said
    # an action each time the back office refused it (its dry run, or the write after the yes)
    refused: list[str] = field(default_factory=list)
    circumstances: list[str] = field(default_factory=list)  # urgent ones told: "health"
    # writes held for a person's approval (their rollout mode): idempotency key -> action
    awaiting_approval: dict[str, str] = field(default_factory=dict)

    def customer_turns(self) -> int:
        return sum(1 for line in self.transcript if line.author == "customer")

    def turn_context(self, now: datetime | None = None, turns: int = CONTEXT_TURNS) -> TurnContext:
        """The context the next customer turn is read with: the last ``turns`` of theirs."""
        recent = [line.text for line in self.transcript if line.author == "customer"]
        readings = self.readings[-turns:]
        return TurnContext(
            recent=recent[-turns:],
            last_intent=self.last_intent,
            now=now,
            recent_negative=[r.negative for r in readings],
            recent_intents=[r.intent for r in readings],
            recent_values=[r.values for r in readings],
            answering=self.asked(),
        )

    def asked(self) -> bool:
        """Whether the bot's last reply asked the customer something: a detail, one of its
        choices, a yes or no, a fact to verify."""
        waiting = self.awaiting_param is not None or self.pending is not None
        return waiting or bool(self.choices) or self.verifying is not None


STATUS_AFTER: dict[str, Status] = {
    "escalated": "escalated",
    "handed_back": "open",
    "resolved": "closed",
}
"""The events that change a conversation's status, and the status they leave it in."""


def status_after(status: Status, events: Iterable[Event]) -> Status:
    """The status once ``events`` are applied: the one rule for services and storage alike."""
    for event in events:
        status = STATUS_AFTER.get(event.kind, status)
    return status


def apply(state: ConversationState, event: Event) -> ConversationState:
    """Apply one event to the state, in place, and return it. mypy checks that every kind of
    event is handled: a new one cannot be silently ignored."""
    state.version += 1
    state.status = STATUS_AFTER.get(event.kind, state.status)
    match event:
        case ConversationStarted():
            state.pack, state.customer_id = event.pack, event.customer_id
            state.channel, state.started_at = event.channel, event.at
        case MessageReceived():
            state.transcript.append(TranscriptLine("customer", event.text, event.at))
            state.readings.append(TurnReading(None, [], 0.0))
            if event.idempotency_key:
                state.message_keys = state.message_keys | {event.idempotency_key}
        case Understood():
            _apply_understanding(state, event)
        case Decided():
            _apply_decision(state, event)
        case ActionProposed():
            state.pending = PendingAction(
                event.action, dict(event.params), event.confirmation, proposal=state.version
            )
        case ActionDeclined():
            state.pending, state.filling, state.several = None, None, {}
        case ActionExecuted() | ActionAwaitingApproval() | ActionApproved() | ActionRejected():
            _apply_rollout(state, event)
        case ActionFailed():
            state.pending, state.filling, state.several = None, None, {}
            state.actions_failed.append(event.action)
        case CustomerVerified() | VerificationFailed():
            _apply_verification(state, event)
        case BotReplied():
            state.transcript.append(
                TranscriptLine("bot", event.text, event.at, tuple(event.choices))
            )
            if event.acknowledgement:
                state.acknowledgements.append(event.acknowledgement)
        case Disclosed():
            state.disclosed = True
        case ExperimentAssigned() | SegmentsNoted():
            _apply_segments(state, event)
        case FeedbackGiven() | EffortRated() | AnswerRated():
            _apply_feedback(state, event)
        case AgentMessage():
            state.transcript.append(TranscriptLine("agent", event.text, event.at))
        case Escalated():
            state.escalation, state.pending, state.filling = event.trigger, None, None
        case CallbackRequested():
            state.callback = f"{event.medium} {event.contact}"
        case AgentJoined():
            state.owner = event.agent
        case AgentLeft() | WrappedUp():
            state.owner = None
        case HandedBack():
            _apply_hand_back(state)
        case Resolved():
            pass
        case _:
            assert_never(event)
    return state


def _apply_feedback(
    state: ConversationState, event: FeedbackGiven | EffortRated | AnswerRated
) -> None:
    """What the customer said of the conversation (rating, effort) and of single answers."""
    if isinstance(event, FeedbackGiven):
        state.ratings.append(event.rating)
    elif isinstance(event, EffortRated):
        state.effort = event.ces
    else:
        state.thumbs[event.reply] = event.helpful


def _apply_segments(state: ConversationState, event: ExperimentAssigned | SegmentsNoted) -> None:
    """What the conversation is grouped by: an experiment's arm, the pack's declared segments."""
    if isinstance(event, ExperimentAssigned):
        state.arms[event.experiment] = event.arm
    else:
        state.segments = {**state.segments, **event.segments}


def _apply_rollout(
    state: ConversationState,
    event: ActionExecuted | ActionAwaitingApproval | ActionApproved | ActionRejected,
) -> None:
    """A write that ran or was held ends the request under way (one a person approved later
    leaves the request under way alone); a held one waits until a person decides it."""
    if isinstance(event, ActionApproved | ActionRejected):
        state.awaiting_approval.pop(event.idempotency_key, None)
        return
    if isinstance(event, ActionAwaitingApproval):
        state.awaiting_approval[event.idempotency_key] = event.action
    if isinstance(event, ActionAwaitingApproval) or not event.approved:
        state.pending, state.filling, state.several = None, None, {}
    if isinstance(event, ActionExecuted):
        state.actions_done.append(event.action)


def _apply_understanding(state: ConversationState, event: Understood) -> None:
    u = event.understanding
    said: dict[str, list[str]] = {}
    for mention in u.entities:
        values = said.setdefault(mention.entity, [])
        if mention.value not in values:
            values.append(mention.value)
    if state.verifying is not None:
        said = {}  # the facts that prove who the customer is are no details of their request
        if state.transcript and state.transcript[-1].author == "customer":
            state.transcript[-1] = replace(state.transcript[-1], fact=True)
    for entity, values in said.items():  # a second value is kept beside the first, not over it
        state.slots[entity] = values[0]
        if len(values) > 1:
            state.several[entity] = tuple(values)
        else:
            state.several.pop(entity, None)
    if "health_circumstance" in u.topics and "health" not in state.circumstances:
        state.circumstances.append("health")
    state.readings[-1:] = [
        TurnReading(
            u.intent if u.zone != "out_of_scope" else None,
            [m.value for m in u.entities],
            u.affect.negative if u.affect else 0.0,
            u.affect.frustration if u.affect else 0.0,
        )
    ]


def _apply_verification(
    state: ConversationState, event: CustomerVerified | VerificationFailed
) -> None:
    """A match binds the conversation to the customer found; a miss counts."""
    if isinstance(event, CustomerVerified):  # the turn's decision ends the verification
        state.customer_id = event.customer_id
    else:
        state.verification_failures += 1


def _apply_hand_back(state: ConversationState) -> None:
    """The bot starts afresh: nothing from before the handover counts towards a trigger."""
    state.owner = None
    state.escalation = None
    state.clarify_streak = 0
    state.out_of_scope_count = 0
    state.acknowledged_streak = 0
    state.refused = []
    state.readings = [TurnReading(None, [], 0.0) for _ in state.readings]


def _apply_decision(state: ConversationState, event: Decided) -> None:
    decision = event.decision
    if decision.kind != "act":
        # a proposal is answered by the very next turn: anything else (a correction, a
        # refused dry run, another request) leaves no yes that could still run it
        state.pending = None
    state.asked_again = times_asked_again(state, decision)
    state.choices = tuple(decision.choices)
    state.choice_values = tuple(decision.choice_values)
    state.filling = _filling(state, decision)
    answered = decision.params.get(state.awaiting_param or "")
    if answered:  # the question asked is answered: the values it chose among are settled
        state.several = {k: v for k, v in state.several.items() if answered not in v}
    state.awaiting_param = decision.missing
    state.awaiting_intent = decision.intent if decision.missing else None
    if decision.kind == "clarify" and not decision.missing:
        state.clarify_streak += 1
        state.clarify_for = tuple(decision.choices)
    else:
        state.clarify_streak = 0
        state.clarify_for = ()
    if decision.intent and decision.kind in ("answer", "act", "confirm"):
        state.last_intent = decision.intent
    if decision.acknowledgement is not None:
        state.acknowledged_streak += 1
    elif not decision.empathy_buffer_spent:
        state.acknowledged_streak = 0
    if decision.out_of_scope:
        state.out_of_scope_count += 1
    if decision.action and "precondition_failed" in decision.reason_codes():
        state.refused.append(decision.action)
    for key, value in decision.params.items():
        state.slots[key] = value
    state.verifying = _verifying(state, decision)


def times_asked_again(state: ConversationState, decision: Decision) -> int:
    """How many times in a row the question ``decision`` asks was asked before with the same
    values filled: the answers since moved nothing on."""
    filling = state.filling
    same = (
        decision.missing is not None
        and decision.missing == state.awaiting_param
        and filling is not None
        and filling.action == decision.action
        and dict(decision.params) == filling.params
    )
    return state.asked_again + 1 if same else 0


def _filling(state: ConversationState, decision: Decision) -> Filling | None:
    """The action under way after ``decision``: kept while its parameters are asked for or it
    awaits a yes; gone once it runs, is declined or another request starts."""
    asking = decision.kind == "clarify" and decision.missing is not None
    # a refused dry run keeps the request's values: a correction may follow it
    refused = decision.kind == "answer" and "precondition_failed" in decision.reason_codes()
    if decision.action is None or not (asking or refused or decision.kind == "confirm"):
        return None
    before = state.filling
    goes_on = before is not None and before.action == decision.action
    if goes_on and "slot_corrected" not in decision.reason_codes():
        since = before.since if before is not None else 0
    elif before is None and state.verifying is not None and state.customer_id is not None:
        since = max(state.verifying.since - 1, 0)  # just verified: from the turn it stood before
    else:  # a new request, or one corrected: its words from this turn on
        since = max(state.customer_turns() - 1, 0)
    return Filling(decision.action, decision.intent, dict(decision.params), since)


def _verifying(state: ConversationState, decision: Decision) -> Verifying | None:
    """The verification under way after ``decision`` (None: it asks for no fact)."""
    if decision.verify_method is None or decision.verify_fact is None:
        return None
    before = state.verifying
    if before is not None:  # still the same verification, whichever method it goes on with
        return replace(before, method=decision.verify_method, fact=decision.verify_fact)
    return Verifying(
        decision.verify_method, decision.verify_fact, decision.intent, state.customer_turns()
    )


def fold(events: Iterable[Event]) -> ConversationState:
    """Rebuild a conversation's state from its events."""
    state = ConversationState()
    for event in events:
        apply(state, event)
    return state
