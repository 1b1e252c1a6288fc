"""The warm-transfer packet: everything the person taking over needs, so the customer never
repeats themselves. A pure fold over the conversation's events.

The summary is extractive: every sentence in it is built from recorded facts (the customer's own
words quoted, the intents and values the NLU found, the actions with their outcomes, the
trigger), never paraphrased, so it cannot say something the conversation did not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from warmline.domain.events import (
    ActionDeclined,
    ActionExecuted,
    ActionFailed,
    ActionProposed,
    AgentMessage,
    BotReplied,
    CallbackRequested,
    ConversationStarted,
    Escalated,
    Event,
    HandedBack,
    MessageReceived,
    Understood,
)
from warmline.domain.understanding import Understanding

QUOTE_CHARS = 160
Distress = Literal["frustration", "urgency", "confusion"]


class PacketLine(BaseModel):
    author: str
    text: str
    at: datetime


class TurnFeeling(BaseModel):
    """How the customer seemed in one turn."""

    turn: int
    text: str
    sentiment: str
    negative: float
    frustration: float
    urgency: float
    confusion: float
    cues: list[str] = Field(default_factory=list)

    def strongest(self) -> tuple[Distress, float]:
        """The distress that is strongest in this turn, with its score."""
        scores: list[tuple[Distress, float]] = [
            ("frustration", self.frustration),
            ("urgency", self.urgency),
            ("confusion", self.confusion),
        ]
        return max(scores, key=lambda pair: pair[1])


class Attempt(BaseModel):
    action: str
    params: dict[str, str]
    outcome: str  # proposed, done, declined, failed
    detail: str = ""


class Packet(BaseModel):
    conversation_id: str
    pack: str
    customer_id: str | None
    trigger: str | None
    reasons: list[str]
    summary: list[str]
    intents: list[str]
    entities: dict[str, list[str]]
    feelings: list[TurnFeeling]
    attempts: list[Attempt]
    transcript: list[PacketLine]
    callback: str | None = None
    customer: dict[str, Any] = Field(default_factory=dict)
    history: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def mood(self) -> str:
        """The last turn's feeling in words, for a queue row."""
        if not self.feelings:
            return "unknown"
        last = self.feelings[-1]
        cause, score = last.strongest()
        words = {"frustration": "frustrated", "urgency": "urgent", "confusion": "confused"}
        return words[cause] if score >= 0.5 else last.sentiment


def _quote(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


@dataclass
class _Reading:
    """What the packet gathers from the log, event by event."""

    pack: str = ""
    customer_id: str | None = None
    trigger: str | None = None
    reasons: list[str] = field(default_factory=list)
    transcript: list[PacketLine] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    entities: dict[str, list[str]] = field(default_factory=dict)
    feelings: list[TurnFeeling] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    customer_turns: list[str] = field(default_factory=list)
    callback: str | None = None
    notes: list[str] = field(default_factory=list)

    def read(self, event: Event) -> None:
        match event:
            case ConversationStarted():
                self.pack, self.customer_id = event.pack, event.customer_id
            case MessageReceived():
                self.customer_turns.append(event.text)
                self.transcript.append(PacketLine(author="customer", text=event.text, at=event.at))
            case BotReplied():
                self.transcript.append(PacketLine(author="bot", text=event.text, at=event.at))
            case AgentMessage():
                author = f"agent {event.agent}"
                self.transcript.append(PacketLine(author=author, text=event.text, at=event.at))
            case Understood():
                self._understood(event.understanding)
            case ActionProposed() | ActionDeclined() | ActionExecuted() | ActionFailed():
                self.attempts.append(_attempt(event))
            case CallbackRequested():
                self.callback = f"{event.medium} {event.contact}"
            case Escalated():
                self.trigger = event.trigger
                self.reasons = [f"{r.code}: {r.detail}" for r in event.reasons]
            case HandedBack():
                self.trigger, self.reasons = None, []  # a later handover says why
                if event.note:
                    self.notes.append(f"{event.agent}: {event.note}")

    def _understood(self, u: Understanding) -> None:
        if u.intent and u.zone != "out_of_scope" and u.intent not in self.intents:
            self.intents.append(u.intent)
        for mention in u.entities:
            values = self.entities.setdefault(mention.entity, [])
            if mention.value not in values:
                values.append(mention.value)
        if u.affect is not None:
            a = u.affect
            self.feelings.append(
                TurnFeeling(
                    turn=len(self.customer_turns),
                    text=_quote(u.text),
                    sentiment=a.sentiment,
                    negative=a.negative,
                    frustration=a.frustration,
                    urgency=a.urgency,
                    confusion=a.confusion,
                    cues=list(a.cues),
                )
            )


def _attempt(event: ActionProposed | ActionDeclined | ActionExecuted | ActionFailed) -> Attempt:
    match event:
        case ActionProposed():
            return Attempt(action=event.action, params=event.params, outcome="proposed")
        case ActionDeclined():
            return Attempt(action=event.action, params={}, outcome="declined")
        case ActionExecuted():
            return Attempt(action=event.action, params=event.params, outcome="done")
        case ActionFailed():
            return Attempt(
                action=event.action, params=event.params, outcome="failed", detail=event.reason
            )


def build_packet(conversation_id: str, events: Iterable[Event]) -> Packet:
    """The warm-transfer packet of a conversation, from its event log alone."""
    r = _Reading()
    for event in events:
        r.read(event)
    summary = _summary(r.customer_turns, r.intents, r.entities, r.attempts, r.feelings, r.trigger)
    if r.callback:
        summary.append(f"Asked to be contacted by {r.callback}.")
    summary += [f"Note from {note}" for note in r.notes]
    return Packet(
        conversation_id=conversation_id,
        pack=r.pack,
        customer_id=r.customer_id,
        trigger=r.trigger,
        reasons=r.reasons,
        summary=summary,
        intents=r.intents,
        entities=r.entities,
        feelings=r.feelings,
        attempts=r.attempts,
        transcript=r.transcript,
        callback=r.callback,
    )


def _summary(
    turns: list[str],
    intents: list[str],
    entities: dict[str, list[str]],
    attempts: list[Attempt],
    feelings: list[TurnFeeling],
    trigger: str | None,
) -> list[str]:
    lines: list[str] = []
    if turns:
        lines.append(f'The customer first wrote: "{_quote(turns[0])}"')
    if intents:
        lines.append(
            "Requests understood: " + ", ".join(i.replace("_", " ") for i in intents) + "."
        )
    if entities:
        found = "; ".join(f"{k.replace('_', ' ')} {', '.join(v)}" for k, v in entities.items())
        lines.append(f"Details given: {found}.")
    for attempt in attempts:
        params = ", ".join(f"{k}={v}" for k, v in attempt.params.items() if k != "customer_id")
        detail = f" ({attempt.detail})" if attempt.detail else ""
        lines.append(f"Action {attempt.action}({params}): {attempt.outcome}{detail}.")
    if feelings:
        peak = max(feelings, key=lambda f: f.frustration)
        if peak.frustration >= 0.5:
            lines.append(f"Most frustrated at turn {peak.turn} ({peak.frustration:.2f}).")
    if len(turns) > 1:
        lines.append(f'Last message: "{_quote(turns[-1])}"')
    if trigger:
        lines.append(f"Handed over because: {trigger.replace('_', ' ')}.")
    return lines
