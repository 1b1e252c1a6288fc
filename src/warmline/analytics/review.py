"""The learning loop's review side: which customer turns of one conversation are worth a human
label, and why, read from its events alone (docs/analytics.md, "Learning loop").

A turn (one ``message_received`` with the ``understood`` and ``decided`` that followed it) is a
candidate for one or more of these reasons, most valuable first:

* ``corrected``: a person wrapping the conversation up gave the intent it really was
  (``wrapped_up.corrected_intent``) and the bot read its request turn otherwise: the
  misclassification log. The request turn is the first read confidently, else the first read.
* ``thumbs_down``: the customer's last thumb on a reply to the turn is down.
* ``disagreement``: the top two intents were close (their margin under ``margin_below``), or
  the customer corrected the reading in a later turn (a correction act, or a request
  re-opened: ``request_reopened``).
* ``low_confidence``: the calibrated top confidence was under ``confidence_below``, or the
  bot was not sure (zone ``clarify``), unless it was out of scope with high certainty (the
  reject class first with at least ``certain_oos``).

Turns that answer the bot (a yes, a choice, a detail, a fact proving who the customer is) and
turns with nothing read (no words, an unsupported language) are never candidates: their
reading is not an intent to label. The embedding and n-gram views of the intent model are not
recorded apart in the events, so their disagreement is not a reason today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import pairwise

from warmline.analytics.outcomes import fold
from warmline.domain.events import (
    AgentMessage,
    AnswerRated,
    BotReplied,
    Decided,
    Event,
    MessageReceived,
    Understood,
    WrappedUp,
)
from warmline.domain.understanding import REJECT_INTENT, Understanding

REVIEW_REASONS = ("corrected", "thumbs_down", "disagreement", "low_confidence")
"""Why a turn is queued, most valuable first (the queue's order)."""

ANSWERING = frozenset(
    {
        "confirmed",
        "declined",
        "confirmation_unsure",
        "confirmation_abandoned",
        "choice_selected",
        "choice_unknown",
        "slot_filled",
        "slot_unreadable",
        "slot_from_words",
        "slot_auto",
        "slot_added",
        "slot_corrected",
        "kept_as_is",
        "values_undecided",
        "customer_verified",
        "verification_no_match",
    }
)
"""Decision reasons of a turn that answered the bot rather than asked for something."""

ALTERNATIVES = 3


@dataclass(frozen=True)
class ReviewRules:
    confidence_below: float = 0.7
    margin_below: float = 0.15
    certain_oos: float = 0.8


@dataclass(frozen=True)
class Why:
    """One reason a turn is queued, with its words for the reviewer."""

    code: str
    detail: str


@dataclass(frozen=True)
class Candidate:
    """A turn worth a label: where it is, what the customer wrote (masked at rest as stored),
    what the bot read (``predicted``: the top intent, or ``oos`` when it read the turn as out
    of scope), why it is queued, and the conversation's segments."""

    conversation_id: str
    seq: int
    at: datetime
    pack: str
    text: str
    predicted: str | None
    confidence: float
    zone: str
    alternatives: list[tuple[str, float]]
    reasons: tuple[Why, ...]
    segments: dict[str, str] = field(default_factory=dict)
    suggested: str | None = None
    """The intent a person gave in their wrap-up (``corrected``), offered to the reviewer."""

    @property
    def codes(self) -> list[str]:
        return [why.code for why in self.reasons]


@dataclass
class _Turn:
    seq: int
    at: datetime
    text: str
    answers_fact: bool
    reading: Understanding | None = None
    decided: Decided | None = None
    replies: list[int] = field(default_factory=list)  # transcript positions of the bot's replies


def candidates(
    conversation_id: str, events: Sequence[Event], rules: ReviewRules | None = None
) -> list[Candidate]:
    """The turns of one conversation worth a label, in their order (each once, with every
    reason that applies)."""
    rules = rules or ReviewRules()
    turns = _turns(events)
    found: dict[int, list[Why]] = {}
    requests = [t for t in turns if _labellable(t)]
    for turn in requests:
        found.setdefault(turn.seq, []).extend(_reading_reasons(turn, rules))
    for earlier, why in _corrected_later(requests):
        found.setdefault(earlier.seq, []).append(why)
    for turn, why in _thumbs_down(requests, events):
        found.setdefault(turn.seq, []).append(why)
    suggested = _wrap_up_correction(events)
    request = _request_turn(requests)
    if suggested is not None and request is not None and suggested != _predicted(request):
        detail = f"a person wrapping up said it was {suggested}, the bot read {_read(request)}"
        found.setdefault(request.seq, []).append(Why("corrected", detail))
    tally = fold(conversation_id, events)
    segments, by_seq = tally.segments(), {t.seq: t for t in requests}
    made = []
    for seq, whys in sorted(found.items()):
        if whys:
            made.append(_candidate(conversation_id, tally.pack, by_seq[seq], whys, segments))
    return [
        replace(c, suggested=suggested) if "corrected" in c.codes else c
        for c in made  # the agent's correction is offered where it applies
    ]


def _turns(events: Sequence[Event]) -> list[_Turn]:
    """The customer's turns, each with its reading, its decision and the transcript positions
    of the bot's replies to it."""
    turns: list[_Turn] = []
    position, asked_fact = 0, False
    for index, event in enumerate(events):
        match event:
            case MessageReceived():
                turns.append(_Turn(index + 1, event.at, event.text, asked_fact))
                position += 1
            case Understood() if turns:
                turns[-1].reading = event.understanding
            case Decided() if turns:
                turns[-1].decided = event
                asked_fact = event.decision.verify_fact is not None
            case BotReplied():
                if turns:
                    turns[-1].replies.append(position)
                position += 1
            case AgentMessage():
                position += 1
            case _:
                pass
    return turns


def _labellable(turn: _Turn) -> bool:
    """A request read by the NLU: not an answer to the bot, not a fact, not empty."""
    if turn.answers_fact or turn.reading is None or not turn.reading.ranking:
        return False
    codes = set(turn.decided.decision.reason_codes()) if turn.decided is not None else set()
    return not codes & ANSWERING


def _reading_reasons(turn: _Turn, rules: ReviewRules) -> list[Why]:
    reading = turn.reading
    assert reading is not None and reading.top is not None
    top = reading.top
    certain = top.intent == REJECT_INTENT and top.probability >= rules.certain_oos
    if reading.zone == "out_of_scope" and certain:
        return []  # out of scope, and sure of it
    found = []
    if reading.zone == "clarify":
        found.append(Why("low_confidence", f"not sure: {top.intent} at {top.probability:.2f}"))
    elif top.probability < rules.confidence_below:
        detail = f"{top.intent} at {top.probability:.2f}, under {rules.confidence_below:.2f}"
        found.append(Why("low_confidence", detail))
    if len(reading.ranking) > 1:
        second = reading.ranking[1]
        margin = top.probability - second.probability
        if margin < rules.margin_below:
            detail = (
                f"{top.intent} {top.probability:.2f} against {second.intent} "
                f"{second.probability:.2f}: a margin of {margin:.2f}"
            )
            found.append(Why("disagreement", detail))
    return found


def _corrected_later(requests: list[_Turn]) -> list[tuple[_Turn, Why]]:
    """Each request the customer corrected in the next request turn (a correction act, or a
    request re-opened), with the words of the correction's reason."""
    found = []
    for earlier, later in pairwise(requests):
        acts = later.reading.acts if later.reading is not None else None
        codes = set(later.decided.decision.reason_codes()) if later.decided else set()
        correction = acts is not None and acts.has("correction")
        if correction or "request_reopened" in codes:
            how = "re-opened the request" if "request_reopened" in codes else "corrected it"
            found.append((earlier, Why("disagreement", f"the customer {how} in the next turn")))
    return found


def _thumbs_down(requests: list[_Turn], events: Sequence[Event]) -> list[tuple[_Turn, Why]]:
    """The turns whose reply's last thumb is down."""
    thumbs: dict[int, bool] = {}
    for event in events:
        if isinstance(event, AnswerRated):
            thumbs[event.reply] = event.helpful
    found = []
    for turn in requests:
        down = [p for p in turn.replies if thumbs.get(p) is False]
        if down:
            found.append(
                (turn, Why("thumbs_down", "the customer found the answer to it not helpful"))
            )
    return found


def _wrap_up_correction(events: Sequence[Event]) -> str | None:
    """The intent the last person to wrap up said the conversation was, if they said one."""
    said = None
    for event in events:
        if isinstance(event, WrappedUp) and event.corrected_intent:
            said = event.corrected_intent
    return said


def _request_turn(requests: list[_Turn]) -> _Turn | None:
    """The turn the conversation's need was read from: the first read confidently, else the
    first read."""
    for turn in requests:
        if turn.reading is not None and turn.reading.zone == "confident":
            return turn
    return requests[0] if requests else None


def _predicted(turn: _Turn) -> str | None:
    reading = turn.reading
    if reading is None:
        return None
    return REJECT_INTENT if reading.zone == "out_of_scope" else reading.intent


def _read(turn: _Turn) -> str:
    reading = turn.reading
    assert reading is not None
    if reading.zone == "out_of_scope":
        return "it as out of scope"
    sure = "" if reading.zone == "confident" else " (not sure)"
    return f"{reading.intent} at {reading.confidence:.2f}{sure}"


def _candidate(
    conversation_id: str, pack: str, turn: _Turn, whys: list[Why], segments: dict[str, str]
) -> Candidate:
    reading = turn.reading
    assert reading is not None
    unique = {why.code: why for why in reversed(whys)}  # the first of each code is kept
    ordered = tuple(unique[code] for code in REVIEW_REASONS if code in unique)
    alternatives = [(s.intent, round(s.probability, 4)) for s in reading.ranking[1:]]
    return Candidate(
        conversation_id=conversation_id,
        seq=turn.seq,
        at=turn.at,
        pack=pack,
        text=turn.text,
        predicted=_predicted(turn),
        confidence=round(reading.confidence, 4),
        zone=reading.zone,
        alternatives=alternatives[:ALTERNATIVES],
        reasons=ordered,
        segments=dict(segments),
    )
