"""Analytics over the event log: the projection kept in step with every append (one upsert in
the append's transaction), the facts of a period's conversations, the metrics per segment
(summed in SQL for the column dimensions) and the rebuild that refolds every log
(docs/analytics.md)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from warmline.analytics.facts import ConversationFacts
from warmline.analytics.metrics import UNKNOWN_GROUP, MetricRow, Sums, by_segment, metric_rows
from warmline.analytics.outcomes import OutcomeRules, Tally, advance, facts, fold
from warmline.domain.events import Event
from warmline.errors import InputError
from warmline.settings import Settings
from warmline.storage.analytics import COLUMN_DIMENSIONS, AnalyticsRepository, Period
from warmline.storage.database import create_engine
from warmline.storage.migrate import upgrade
from warmline.types import Clock, SystemClock

RECONTACT_LOOKBACK_S = 30 * 86_400.0
"""How far back a new conversation marks the customer's earlier ones on the same need as
re-contacted: the longest FCR window a report can ask for."""
CACHE_SIZE = 10_000
DIMENSION_HELP = "pack, channel, language, tier, arm:<experiment> or a declared attribute"


def rules_of(settings: Settings) -> OutcomeRules:
    return OutcomeRules(
        fcr_window_s=settings.analytics_fcr_window_h * 3600.0,
        abandon_after_s=settings.analytics_abandon_after_min * 60.0,
        bot_conversation_cost=settings.analytics_cost_bot_conversation,
        human_minute_cost=settings.analytics_cost_human_minute,
    )


def _epoch(at: datetime | None) -> float:
    return 0.0 if at is None else at.timestamp()


def row_of(tally: Tally) -> dict[str, Any]:
    """The projection row of a tally (``storage/analytics.py``)."""
    started = tally.started_at or tally.last_at or datetime.fromtimestamp(0, UTC)
    return {
        "conversation_id": tally.conversation_id,
        "version": tally.version,
        "pack": tally.pack,
        "channel": tally.channel,
        "language": tally.language,
        "tier": tally.attributes.get("tier"),
        "customer_id": tally.customer_id,
        "intent": tally.intent,
        "started_at": started,
        "started_s": started.timestamp(),
        "last_s": _epoch(tally.last_at),
        "ended_at": tally.ended_at,
        "escalated": int(tally.escalated),
        "trigger": tally.trigger,
        "joined": int(tally.joined),
        "resolved": int(tally.resolved),
        "csat": None if tally.rating is None else int(tally.rating >= 4),
        "ces": tally.ces,
        "bot_s": tally.bot_s,
        "human_s": tally.human_s,
        "next_contact_s": None,
        "segments": tally.segments(),
        "tally": tally.model_dump(mode="json"),
    }


class Analytics:
    """Built by the runtime (the projection hook wired into the conversation repository) or
    on a database URL by ``open_analytics`` (the command line)."""

    def __init__(
        self, store: AnalyticsRepository, rules: OutcomeRules, clock: Clock | None = None
    ) -> None:
        self.store = store
        self.rules = rules
        self.clock = clock or SystemClock()
        self._recent: OrderedDict[str, Tally] = OrderedDict()

    async def on_append(
        self, connection: AsyncConnection, cid: str, after: int, events: Sequence[Event]
    ) -> None:
        """The repository's ``after_append`` hook: fold the appended events into the
        conversation's row, in the append's transaction. The tally continues from this
        worker's copy when it is at version ``after`` (one statement), else from the row
        (one read more), else from the log (a row missing or behind)."""
        tally = await self._tally(connection, cid, after)
        new = advance(tally, events)
        await self.store.upsert_in(connection, row_of(new))
        had_need = tally.customer_id is not None and tally.intent is not None
        if not had_need and new.customer_id is not None and new.intent is not None:
            at_s = _epoch(new.started_at)
            await self.store.recontact_in(
                connection, new.customer_id, new.intent, at_s, RECONTACT_LOOKBACK_S
            )
        self._recent[cid] = new
        self._recent.move_to_end(cid)
        if len(self._recent) > CACHE_SIZE:
            self._recent.popitem(last=False)

    async def _tally(self, connection: AsyncConnection, cid: str, after: int) -> Tally:
        cached = self._recent.get(cid)
        if cached is not None and cached.version == after:
            return cached
        if after == 0:
            return Tally(conversation_id=cid)
        stored = await self.store.tally_in(connection, cid)
        if stored is not None and stored.get("version") == after:
            return Tally.model_validate(stored)
        return fold(cid, await self.store.log_in(connection, cid, after))

    async def facts(
        self, since: datetime, until: datetime | None = None, pack: str | None = None
    ) -> list[ConversationFacts]:
        """The facts of the conversations started in [since, until), of ``pack`` if given,
        oldest first, as of now."""
        now = self.clock.now()
        rows = await self.store.tallies(_period(since, until, pack))
        return [facts(Tally.model_validate(tally), now, self.rules, after) for tally, after in rows]

    async def report(
        self,
        since: datetime,
        by: str,
        until: datetime | None = None,
        pack: str | None = None,
    ) -> list[MetricRow]:
        """Every metric per group of dimension ``by`` (docs/analytics.md)."""
        if not by or by.strip() != by:
            raise InputError(f"--by takes a dimension: {DIMENSION_HELP}")
        period = _period(since, until, pack)
        if by not in COLUMN_DIMENSIONS:
            return metric_rows(by, by_segment(await self.facts(since, until, pack), by), self.rules)
        now_s = self.clock.now().timestamp()
        sums, triggers = await self.store.sums(
            period, by, now_s, self.rules.abandon_after_s, self.rules.fcr_window_s
        )
        groups = {
            _group(key): Sums.of(values, triggers.get(key, {})) for key, values in sums.items()
        }
        return metric_rows(by, groups, self.rules)

    async def rebuild(self, batch: int = 500) -> int:
        """Refold every conversation's log into the projection, oldest first; returns how many
        conversations. For a database older than the projection or a changed definition."""
        await self.store.clear()
        self._recent.clear()
        count = 0
        async for ids in self.store.conversations(batch):
            logs = await self.store.logs(ids)
            async with self.store.begin() as connection:
                for cid in ids:
                    await self.on_append(connection, cid, 0, logs[cid])
            count += len(ids)
        self._recent.clear()
        return count


def _group(key: str | None) -> str:
    return UNKNOWN_GROUP if key is None or key == "" else key


def _period(since: datetime, until: datetime | None, pack: str | None) -> Period:
    if until is not None and until <= since:
        raise InputError("--until must be after --since")
    return Period(since.timestamp(), None if until is None else until.timestamp(), pack)


@asynccontextmanager
async def open_analytics(database_url: str, rules: OutcomeRules) -> AsyncIterator[Analytics]:
    """The analytics of the database at ``database_url`` (migrated first)."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        yield Analytics(AnalyticsRepository(engine), rules)
    finally:
        await engine.dispose()
