"""One conversation's outcomes, folded from its events: a ``Tally`` advanced event by event
(kept with the projection row, so an append folds only its own events), and the
``ConversationFacts`` read from it (docs/analytics.md has every definition).

* **contained**: ended resolved with no escalation and no person joined.
* **escalated**: handed to a person (``escalated``), with the first ``trigger``.
* **abandoned**: the customer left without a resolution: not resolved and nothing happened in
  it for ``abandon_after_s`` (a conversation still within that time is *in progress*).
* **csat**: top-two-box of the last rating (4 or 5 on 1-5: 1, else 0); None without a rating.
* **ces**: the effort score (``effort_rated``, or a ``ces`` field on a feedback event), 1-7,
  7 very easy; None without one.
* **thumbs_down_share**: of the bot's replies the customer gave a thumb, the share whose last
  thumb is down; None without a thumb.
* **fcr**: resolved, and the same customer did not come back on the same need (the first
  intent understood, or the one a person corrected it to) within ``fcr_window_s``: the
  projection records, on each conversation, how soon the next one on that need began
  (``next_contact_s``). A conversation without a known customer cannot be re-contacted.
* **aht_bot_s / aht_human_s**: time the bot owned the conversation (from its start until it
  was escalated or ended, again after a hand-back) and time a person owned it (from joining
  until leaving, handing back or wrapping up); ``aht_human_s`` is None when nobody joined.
* **cost**: ``bot_conversation`` per conversation plus ``human_minute`` per minute a person
  owned it.

``contained``, ``abandoned`` and ``fcr`` are None while a conversation is in progress.

Segments: ``pack`` and ``channel`` (from its start), ``language`` (of the first understood
turn), ``arm:<experiment>``, the pack's declared ones (``segments_noted``) and ``register`` and
``dialect``, from the customer's words (``Understanding.style``, ``nlu/register.py``): the first
customer turn whose register is not ``neutral`` decides ``register``, the first whose words
show a variety's features decides ``dialect`` (its strongest); until one does, and when none
does, the first English turn read gives ``neutral`` and ``standard``. A segment once decided
is kept, so the row alone carries the rule's state: a fold continued from the stored row
(``services/analytics.py``'s ``tally_of``) gives what a refold of the log gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from warmline.analytics.facts import ConversationFacts
from warmline.domain.events import (
    AgentJoined,
    AgentLeft,
    AnswerRated,
    ConversationStarted,
    CustomerVerified,
    EffortRated,
    Escalated,
    Event,
    ExperimentAssigned,
    FeedbackGiven,
    HandedBack,
    Resolved,
    SegmentsNoted,
    Understood,
    WrappedUp,
)
from warmline.domain.understanding import WritingStyle

Owner = Literal["bot", "queue", "agent", "done"]
SATISFIED = 4  # top-two-box on 1-5
UNDECIDED = {"register": "neutral", "dialect": "standard"}
"""The style segments' values until a turn decides them, and when none does."""


@dataclass(frozen=True)
class OutcomeRules:
    """What the definitions depend on: the re-contact window, the time after which a
    conversation nobody resolved counts as abandoned, and the unit costs."""

    fcr_window_s: float = 72 * 3600.0
    abandon_after_s: float = 30 * 60.0
    bot_conversation_cost: float = 0.10
    human_minute_cost: float = 1.00


class Tally(BaseModel):
    """The running fold of one conversation's events (stored as JSON with its row)."""

    conversation_id: str
    version: int = 0
    pack: str = ""
    channel: str = ""
    customer_id: str | None = None
    started_at: datetime | None = None
    last_at: datetime | None = None
    language: str | None = None
    intent: str | None = None
    arms: dict[str, str] = Field(default_factory=dict)
    attributes: dict[str, str] = Field(
        default_factory=dict,
        description="the other segments: the pack's declared ones, register and dialect",
    )
    escalated: bool = False
    trigger: str | None = None
    joined: bool = False
    resolved: bool = False
    ended_at: datetime | None = None
    rating: int | None = None
    ces: float | None = None
    thumbs: dict[int, bool] = Field(default_factory=dict)  # reply position -> helpful (last)
    owner: Owner = "bot"
    bot_s: float = 0.0
    human_s: float = 0.0

    def segments(self) -> dict[str, str]:
        """Dimension -> group; a dimension without a value is absent."""
        found = {"pack": self.pack, "channel": self.channel, "language": self.language or ""}
        found.update(self.attributes)
        found.update({f"arm:{name}": arm for name, arm in self.arms.items()})
        return {key: value for key, value in found.items() if value}


def advance(tally: Tally, events: Iterable[Event]) -> Tally:
    """A copy of ``tally`` with ``events`` folded in (one version each); ``tally`` itself is
    left as it was (the worker's copy, kept until the append commits)."""
    tally = _copy(tally)
    for event in events:
        _clock(tally, event.at)
        _apply(tally, event)
        tally.version += 1
    return tally


def _copy(tally: Tally) -> Tally:
    """``tally`` copied for a fold to change: its dicts copied, the rest shared (strings,
    numbers, times: nothing a fold changes in place). A deep copy gives the same, at several
    times the cost."""
    return tally.model_copy(
        update={
            "arms": dict(tally.arms),
            "attributes": dict(tally.attributes),
            "thumbs": dict(tally.thumbs),
        }
    )


def fold(conversation_id: str, events: Iterable[Event]) -> Tally:
    return advance(Tally(conversation_id=conversation_id), events)


def _clock(tally: Tally, at: datetime) -> None:
    """Time since the last event goes to whoever owned the conversation meanwhile."""
    if tally.last_at is not None:
        elapsed = max(0.0, (at - tally.last_at).total_seconds())
        if tally.owner == "bot":
            tally.bot_s += elapsed
        elif tally.owner == "agent":
            tally.human_s += elapsed
    tally.last_at = at


def _apply(tally: Tally, event: Event) -> None:
    match event:
        case ConversationStarted():
            tally.pack, tally.channel = event.pack, event.channel
            tally.customer_id, tally.started_at = event.customer_id, event.at
        case CustomerVerified():
            tally.customer_id = event.customer_id
        case Understood():
            reading = event.understanding
            if tally.language is None:
                tally.language = reading.language
            if tally.intent is None and reading.zone == "confident" and reading.intent:
                tally.intent = reading.intent
            if reading.style is not None:
                _note_style(tally.attributes, reading.style)
        case ExperimentAssigned():
            tally.arms[event.experiment] = event.arm
        case SegmentsNoted():
            tally.attributes.update(event.segments)
        case Escalated():
            tally.trigger = tally.trigger or event.trigger
            tally.escalated, tally.owner = True, "queue"
        case AgentJoined():
            tally.joined, tally.owner = True, "agent"
        case AgentLeft():
            tally.owner = "queue"
        case HandedBack():
            tally.owner = "bot"
        case WrappedUp():
            tally.owner = "done"
            tally.intent = event.corrected_intent or tally.intent
        case Resolved():
            tally.resolved, tally.owner, tally.ended_at = True, "done", event.at
        case FeedbackGiven():
            tally.rating = event.rating
            ces = getattr(event, "ces", None)
            tally.ces = float(ces) if isinstance(ces, int | float) else tally.ces
        case EffortRated():
            tally.ces = float(event.ces)
        case AnswerRated():
            tally.thumbs[event.reply] = event.helpful
        case _:
            pass


def _note_style(segments: dict[str, str], style: WritingStyle) -> None:
    """``register`` and ``dialect`` from one customer turn: an undecided segment takes the
    turn's value (see the module's docstring); a style not read (erased words) changes
    nothing."""
    if not style.formality:
        return
    for dimension, value in (("register", style.formality), ("dialect", style.dialect)):
        if segments.get(dimension, UNDECIDED[dimension]) == UNDECIDED[dimension]:
            segments[dimension] = value


def abandoned(tally: Tally, now: datetime, rules: OutcomeRules) -> bool:
    if tally.resolved or tally.last_at is None:
        return False
    return (now - tally.last_at).total_seconds() >= rules.abandon_after_s


def facts(
    tally: Tally, now: datetime, rules: OutcomeRules, next_contact_s: float | None = None
) -> ConversationFacts:
    """The conversation's facts as of ``now``; ``next_contact_s``: how long after its start the
    same customer began another conversation on the same need (None: not known to have)."""
    left = abandoned(tally, now, rules)
    settled = tally.resolved or left
    recontacted = next_contact_s is not None and next_contact_s <= rules.fcr_window_s
    human_min = tally.human_s / 60.0
    outcomes: dict[str, float | None] = {
        "contained": _share(tally.resolved and not (tally.escalated or tally.joined), settled),
        "escalated": float(tally.escalated),
        "abandoned": _share(left, settled),
        "csat": None if tally.rating is None else float(tally.rating >= SATISFIED),
        "ces": tally.ces,
        "thumbs_down_share": _thumbs_down(tally.thumbs),
        "fcr": _share(tally.resolved and not recontacted, settled),
        "aht_bot_s": tally.bot_s,
        "aht_human_s": tally.human_s if tally.joined else None,
        "cost": rules.bot_conversation_cost + rules.human_minute_cost * human_min,
    }
    return ConversationFacts(
        conversation_id=tally.conversation_id,
        started_at=tally.started_at or datetime.min.replace(tzinfo=UTC),
        ended_at=tally.ended_at,
        segments=tally.segments(),
        outcomes=outcomes,
        escalation_trigger=tally.trigger,
    )


def _share(hit: bool, applies: bool) -> float | None:
    return float(hit) if applies else None


def _thumbs_down(thumbs: dict[int, bool]) -> float | None:
    return sum(not up for up in thumbs.values()) / len(thumbs) if thumbs else None
