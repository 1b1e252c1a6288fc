"""The learning loop's review side, the use cases: collect the turns worth a human label from
the event log (incrementally, past a watermark; collecting again adds nothing new), the queue
(open items by value: corrected and thumbs-down first, then the lowest confidence), labelling
an item with one of its pack's intents or ``oos``, dismissing one, the misclassification log,
and the reviewed examples a retraining reads (``reviewed_examples``). Labels and dismissals
are written to the audit log (``services/audit.py``). docs/analytics.md, "Learning loop"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from warmline.analytics.review import REVIEW_REASONS, Candidate, ReviewRules, candidates
from warmline.domain.events import event_from_json
from warmline.domain.understanding import REJECT_INTENT
from warmline.errors import ConflictError, InputError, NotFound
from warmline.services.audit import AuditLog
from warmline.settings import Settings
from warmline.storage.audit import AuditRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.learning import STATUSES, LearningRepository, ReviewItem
from warmline.storage.migrate import upgrade
from warmline.types import Clock, SystemClock

if TYPE_CHECKING:
    from warmline.services.runtime import Runtime

__all__ = [
    "OOS_LABEL",
    "STATUSES",
    "Collected",
    "Learning",
    "ReviewItem",
    "ReviewedExample",
    "UnknownLabel",
    "learning_of",
    "open_learning",
    "rules_of",
]

OOS_LABEL = REJECT_INTENT
"""The label of a turn outside what the pack does (the intent model's reject class)."""
KINDS = ("understood", "decided", "wrapped_up", "answer_rated")
"""The events that can make a turn worth a label (a reading, a correction, a thumb)."""
SETTLE_S = 60.0
BATCH = 5000
LOGS_AT_ONCE = 200
PAGE_BATCHES = 2
"""A page load collects at most this many batches of events (the rest on the next load)."""


class UnknownLabel(InputError):
    """A label that is no intent of the item's pack, nor ``oos``: bad input that names
    something that does not exist, answered 404 like any unknown name."""

    status = 404
    title = "Unknown label"
    code = "unknown_label"


@dataclass(frozen=True)
class ReviewedExample:
    """A customer's text (masked at rest) with the intent a person labelled it (``oos``: out
    of scope), and its conversation's segments: a training example for ``warmline train``."""

    item_id: int
    text: str
    intent: str
    segments: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Collected:
    added: int
    conversations: int
    watermark: int


class Learning:
    def __init__(
        self,
        repo: LearningRepository,
        audit: AuditLog,
        intents: Mapping[str, Collection[str]] | None = None,
        clock: Clock | None = None,
        rules: ReviewRules | None = None,
        settle_s: float = SETTLE_S,
    ) -> None:
        self.repo, self.audit = repo, audit
        self.intents = dict(intents or {})
        self.clock = clock or SystemClock()
        self.rules = rules or ReviewRules()
        self.settle_s = settle_s

    async def collect(self, max_batches: int | None = None) -> Collected:
        """Queue the turns worth a label among the conversations with events past the
        watermark, and move it; ``max_batches`` of ``BATCH`` events at most (None: all)."""
        mark = await self.repo.watermark()
        settled = self.clock.now() - timedelta(seconds=self.settle_s)
        added = looked = batches = 0
        while max_batches is None or batches < max_batches:
            batches += 1
            touched = await self.repo.touched(mark, KINDS, settled, BATCH)
            ids = touched.conversations
            for start in range(0, len(ids), LOGS_AT_ONCE):
                rows = await self._rows(ids[start : start + LOGS_AT_ONCE])
                added += await self.repo.save(rows, None)
            looked += len(ids)
            moved = touched.last_event_id > mark
            if moved:
                await self.repo.save([], touched.last_event_id)
                mark = touched.last_event_id
            if not touched.more or not moved:
                break
        return Collected(added, looked, mark)

    async def _rows(self, ids: list[str]) -> list[dict[str, Any]]:
        now, rows = self.clock.now(), []
        for cid, payloads in (await self.repo.logs(ids)).items():
            events = [event_from_json(p) for p in payloads]
            rows += [_row(c, now) for c in candidates(cid, events, self.rules)]
        return rows

    async def queue(self, pack: str | None = None, limit: int = 50) -> list[ReviewItem]:
        """Open items by value: corrected, thumbs-down, disagreement, low confidence; within
        each the lowest confidence first."""
        return await self.repo.items(statuses=("open",), pack=pack, limit=limit)

    async def misclassifications(
        self, pack: str | None = None, limit: int = 50
    ) -> list[ReviewItem]:
        """The misclassification log, newest first: turns a person corrected at wrap-up (not
        dismissed) and turns labelled otherwise than the bot read them."""
        return await self.repo.items(statuses=STATUSES, pack=pack, misread=True, limit=limit)

    async def counts(self) -> dict[str, int]:
        return await self.repo.counts()

    async def get(self, item_id: int) -> ReviewItem:
        found = await self.repo.get(item_id)
        if found is None:
            raise NotFound(f"there is no review item {item_id}")
        return found

    def choices(self, pack: str) -> list[str]:
        """The labels an item of ``pack`` may get: its intents, then ``oos``."""
        if pack not in self.intents:
            raise ConflictError(f"pack {pack!r} is not loaded here: its intents are not known")
        return [i for i in sorted(self.intents[pack]) if i != OOS_LABEL] + [OOS_LABEL]

    async def label(self, item_id: int, label: str, reviewer: str) -> ReviewItem:
        """Label the item with one of its pack's intents or ``oos`` (an item already labelled
        or dismissed may be labelled again: the last label counts); audited."""
        item = await self.get(item_id)
        label = label.strip()
        if label not in self.choices(item.pack):
            raise UnknownLabel(f"{label[:64]!r} is not an intent of {item.pack}, nor {OOS_LABEL}")
        values = {"status": "labelled", "label": label}
        await self._review(item, values, STATUSES, reviewer, "review.label")
        return await self.get(item_id)

    async def dismiss(self, item_id: int, reviewer: str) -> ReviewItem:
        """Take the item out of the queue (and out of training) without a label; audited."""
        item = await self.get(item_id)
        values = {"status": "dismissed", "label": None}
        await self._review(item, values, ("open", "labelled"), reviewer, "review.dismiss")
        return await self.get(item_id)

    async def _review(
        self,
        item: ReviewItem,
        values: dict[str, Any],
        from_statuses: tuple[str, ...],
        reviewer: str,
        action: str,
    ) -> None:
        values |= {"reviewer": reviewer[:128], "reviewed_at": self.clock.now()}
        if not await self.repo.review(item.id, from_statuses, values):
            verb = action.removeprefix("review.")
            raise ConflictError(f"review item {item.id} is {item.status}: it cannot be {verb}ed")
        detail = {
            "conversation": item.conversation_id,
            "seq": item.seq,
            "pack": item.pack,
            "predicted": item.predicted,
            "label": values.get("label"),
            "from": item.status,
        }
        await self.audit.record(reviewer, action, f"review:{item.id}", **detail)

    async def reviewed_examples(self, pack: str) -> list[ReviewedExample]:
        """The pack's labelled turns, oldest label first: each text (masked at rest; a turn
        whose text was erased is left out) with its label and its conversation's segments."""
        return [
            ReviewedExample(item.id, item.text, item.label, dict(item.segments))
            for item in await self.repo.labelled(pack)
            if item.label and item.text.strip()
        ]


def _row(candidate: Candidate, now: datetime) -> dict[str, Any]:
    return {
        "conversation_id": candidate.conversation_id,
        "seq": candidate.seq,
        "pack": candidate.pack[:64],
        "at": candidate.at,
        "predicted": candidate.predicted,
        "confidence": candidate.confidence,
        "zone": candidate.zone,
        "alternatives": [[intent, p] for intent, p in candidate.alternatives],
        "reasons": [[why.code, why.detail] for why in candidate.reasons],
        "rank": REVIEW_REASONS.index(candidate.reasons[0].code),
        "suggested": candidate.suggested,
        "segments": candidate.segments,
        "status": "open",
        "label": None,
        "reviewer": None,
        "reviewed_at": None,
        "created_at": now,
    }


def rules_of(settings: Settings) -> ReviewRules:
    return ReviewRules(
        confidence_below=settings.review_confidence_below,
        margin_below=settings.review_margin_below,
    )


def learning_of(runtime: Runtime) -> Learning:
    """The review queue on the runtime's database and audit log, with its packs' intents."""
    intents = {name: list(pack.pack.intents) for name, pack in runtime.packs.items()}
    engine: Any = runtime._engine
    repo, clock = LearningRepository(engine), runtime.conversations.clock
    return Learning(repo, runtime.audit, intents, clock, rules_of(runtime.settings))


@asynccontextmanager
async def open_learning(
    database_url: str,
    intents: Mapping[str, Collection[str]] | None = None,
    rules: ReviewRules | None = None,
) -> AsyncIterator[Learning]:
    """The review queue on the database at ``database_url`` (migrated first); ``intents``:
    each pack's intent names, which labelling needs (reading does not)."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        audit = AuditLog(AuditRepository(session_factory(engine)))
        yield Learning(LearningRepository(engine), audit, intents, rules=rules)
    finally:
        await engine.dispose()
