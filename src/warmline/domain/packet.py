"""The warm-transfer packet: everything the person taking over needs, so the customer never
repeats themselves. A pure fold over the conversation's events.

The summary is extractive: every sentence in it is built from recorded facts (the customer's own
words quoted, the intents and values the NLU found, the actions with their outcomes, the
trigger), never paraphrased, so it cannot say something the conversation did not.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def build_packet(conversation_id: str, events: Iterable[Event]) -> Packet:
    pack, customer_id, trigger = "", None, None
    reasons: list[str] = []
    transcript: list[PacketLine] = []
    intents: list[str] = []
    entities: dict[str, list[str]] = {}
    feelings: list[TurnFeeling] = []
    attempts: list[Attempt] = []
    customer_turns: list[str] = []
    callback: str | None = None
    notes: list[str] = []
    for event in events:
        if isinstance(event, ConversationStarted):
            pack, customer_id = event.pack, event.customer_id
        elif isinstance(event, MessageReceived):
            customer_turns.append(event.text)
            transcript.append(PacketLine(author="customer", text=event.text, at=event.at))
        elif isinstance(event, BotReplied):
            transcript.append(PacketLine(author="bot", text=event.text, at=event.at))
        elif isinstance(event, AgentMessage):
            transcript.append(
                PacketLine(author=f"agent {event.agent}", text=event.text, at=event.at)
            )
        elif isinstance(event, Understood):
            u = event.understanding
            if u.intent and u.zone != "out_of_scope" and u.intent not in intents:
                intents.append(u.intent)
            for mention in u.entities:
                values = entities.setdefault(mention.entity, [])
                if mention.value not in values:
                    values.append(mention.value)
            if u.affect is not None:
                a = u.affect
                feelings.append(
                    TurnFeeling(
                        turn=len(customer_turns),
                        text=_quote(u.text),
                        sentiment=a.sentiment,
                        negative=a.negative,
                        frustration=a.frustration,
                        urgency=a.urgency,
                        confusion=a.confusion,
                        cues=list(a.cues),
                    )
                )
        elif isinstance(event, ActionProposed):
            attempts.append(Attempt(action=event.action, params=event.params, outcome="proposed"))
        elif isinstance(event, ActionDeclined):
            attempts.append(Attempt(action=event.action, params={}, outcome="declined"))
        elif isinstance(event, ActionExecuted):
            attempts.append(Attempt(action=event.action, params=event.params, outcome="done"))
        elif isinstance(event, ActionFailed):
            attempts.append(
                Attempt(
                    action=event.action, params=event.params, outcome="failed", detail=event.reason
                )
            )
        elif isinstance(event, CallbackRequested):
            callback = f"{event.medium} {event.contact}"
        elif isinstance(event, Escalated):
            trigger = event.trigger
            reasons = [f"{r.code}: {r.detail}" for r in event.reasons]
        elif isinstance(event, HandedBack):
            trigger, reasons = None, []  # the bot had it again; a later handover says why
            if event.note:
                notes.append(f"{event.agent}: {event.note}")
    summary = _summary(customer_turns, intents, entities, attempts, feelings, trigger)
    if callback:
        summary.append(f"Asked to be contacted by {callback}.")
    summary += [f"Note from {note}" for note in notes]
    return Packet(
        conversation_id=conversation_id,
        pack=pack,
        customer_id=customer_id,
        trigger=trigger,
        reasons=reasons,
        summary=summary,
        intents=intents,
        entities=entities,
        feelings=feelings,
        attempts=attempts,
        transcript=transcript,
        callback=callback,
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
