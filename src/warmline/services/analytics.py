"""Analytics over the event log: the projection kept in step with every append (one upsert in
the append's transaction), the facts of a period's conversations, the metrics per segment
(summed in SQL, for a column or a segments key alike) and the rebuild that refolds every log
(docs/analytics.md)."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from warmline.analytics.facts import ConversationFacts
from warmline.analytics.metrics import UNKNOWN_GROUP, MetricRow, Sums, metric_rows
from warmline.analytics.outcomes import OutcomeRules, Tally, advance, facts, fold
from warmline.analytics.parity_stats import Groups, Moments
from warmline.domain.events import Event
from warmline.errors import InputError
from warmline.settings import Settings
from warmline.storage.analytics import DIMENSION_NAME, MOMENTS, AnalyticsRepository, Period
from warmline.storage.conversations import Projected
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
        "rating": tally.rating,
        "owner": tally.owner,
        "thumbs": {str(reply): up for reply, up in tally.thumbs.items()},
        "thumbs_n": len(tally.thumbs),
        "thumbs_down": sum(not up for up in tally.thumbs.values()),
        "segments": tally.segments(),
    }


BUILT_IN = ("pack", "channel", "language")


def _utc(at: datetime | None) -> datetime | None:
    """SQLite gives back a stored time without its zone: it was stored in UTC."""
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def tally_of(row: Mapping[str, Any]) -> Tally:
    """The running fold a projection row holds (the inverse of ``row_of``)."""
    segments: dict[str, str] = dict(row["segments"])
    arms = {k.removeprefix("arm:"): v for k, v in segments.items() if k.startswith("arm:")}
    attributes = {
        k: v for k, v in segments.items() if k not in BUILT_IN and not k.startswith("arm:")
    }
    return Tally(
        conversation_id=row["conversation_id"],
        version=row["version"],
        pack=row["pack"],
        channel=row["channel"],
        customer_id=row["customer_id"],
        started_at=datetime.fromtimestamp(row["started_s"], UTC),
        last_at=datetime.fromtimestamp(row["last_s"], UTC),
        language=row["language"],
        intent=row["intent"],
        arms=arms,
        attributes=attributes,
        escalated=bool(row["escalated"]),
        trigger=row["trigger"],
        joined=bool(row["joined"]),
        resolved=bool(row["resolved"]),
        ended_at=_utc(row["ended_at"]),
        rating=row["rating"],
        ces=row["ces"],
        thumbs={int(reply): bool(up) for reply, up in (row["thumbs"] or {}).items()},
        owner=row["owner"],
        bot_s=row["bot_s"],
        human_s=row["human_s"],
    )


class Projection:
    """The projection hook of a conversation repository (its ``AppendHook``): ``fold`` hands
    the row to the append, which writes it; called, it folds and writes the row itself, on the
    caller's connection and transaction (a rebuild)."""

    def __init__(self, analytics: Analytics) -> None:
        self.fold = analytics.fold
        self._store = analytics.store

    async def __call__(
        self, connection: AsyncConnection, cid: str, after: int, events: Sequence[Event]
    ) -> None:
        projected = await self.fold(connection, cid, after, events)
        await self._store.upsert_in(connection, projected.row)
        projected.done()


@dataclass(frozen=True)
class Combination:
    """The conversations of one combination of segment values and one escalation trigger:
    the report's sums and, in ``moments``, the sums and squares the parity monitor tests
    (``storage/analytics.py``'s ``MOMENTS``)."""

    segments: dict[str, str]
    sums: Sums
    moments: dict[str, float]


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
        self._hook = Projection(self)

    @property
    def on_append(self) -> Projection:
        """The repository's projection hook (``repo.after_append = analytics.on_append``); also
        called as ``await on_append(connection, cid, after, events)`` to fold and write a row
        at once (a rebuild)."""
        return self._hook

    async def fold(
        self, connection: AsyncConnection, cid: str, after: int, events: Sequence[Event]
    ) -> Projected:
        """Fold the events about to be appended after version ``after`` into the
        conversation's row, in the append's transaction, before its statements: the append
        writes the row (``storage/conversations.py``). The tally continues from this worker's
        copy when it is at version ``after`` (no statement), else from the row (one read),
        else from the log (a row missing or behind); the copy moves on once the append has
        committed. A conversation whose customer and need become known marks the customer's
        earlier ones on the same need as re-contacted (one statement, once)."""
        tally = await self._tally(connection, cid, after)
        new = advance(tally, events)
        had_need = tally.customer_id is not None and tally.intent is not None
        if not had_need and new.customer_id is not None and new.intent is not None:
            at_s = _epoch(new.started_at)
            await self.store.recontact_in(
                connection, new.customer_id, new.intent, at_s, RECONTACT_LOOKBACK_S
            )
        return Projected(row_of(new), lambda: self._remember(new))

    def _remember(self, tally: Tally) -> None:
        cid = tally.conversation_id
        self._recent[cid] = tally
        self._recent.move_to_end(cid)
        if len(self._recent) > CACHE_SIZE:
            self._recent.popitem(last=False)

    async def _tally(self, connection: AsyncConnection, cid: str, after: int) -> Tally:
        cached = self._recent.get(cid)
        if cached is not None and cached.version == after:
            return cached
        if after == 0:
            return Tally(conversation_id=cid)
        stored = await self.store.row_in(connection, cid)
        if stored is not None and stored["version"] == after:
            return tally_of(stored)
        return fold(cid, await self.store.log_in(connection, cid, after))

    async def facts(
        self, since: datetime, until: datetime | None = None, pack: str | None = None
    ) -> list[ConversationFacts]:
        """The facts of the conversations started in [since, until), of ``pack`` if given,
        oldest first, as of now."""
        now = self.clock.now()
        rows = await self.store.rows(period_of(since, until, pack))
        return [facts(tally_of(row), now, self.rules, row["next_contact_s"]) for row in rows]

    async def report(
        self,
        since: datetime,
        by: str,
        until: datetime | None = None,
        pack: str | None = None,
    ) -> list[MetricRow]:
        """Every metric per group of dimension ``by`` (docs/analytics.md)."""
        return metric_rows(by, await self.groups(period_of(since, until, pack), by), self.rules)

    async def groups(self, period: Period, by: str | None) -> dict[str, Sums]:
        """The sums per group of dimension ``by`` (a column or a segments key, summed in SQL;
        None: one group, ``""``, for the whole period, with the escalations by trigger)."""
        if by is not None:
            check_dimension(by)
        found = await self.store.sums(period, by, *self._now_and_windows())
        return _by_group(found, "" if by is None else None)

    def _now_and_windows(self) -> tuple[float, float, float]:
        now_s = self.clock.now().timestamp()
        return now_s, self.rules.abandon_after_s, self.rules.fcr_window_s

    async def series(self, period: Period, size_s: int) -> dict[int, Sums]:
        """The sums per bucket of ``size_s`` seconds (a day, an hour: UTC), by its index
        (``started_s // size_s``); buckets without a conversation are absent."""
        found = await self.store.series(period, size_s, *self._now_and_windows())
        return {int(part.pop("bucket")): Sums.of(part, {}) for part in found}

    async def dimensions(
        self, since: datetime, until: datetime | None = None, pack: str | None = None
    ) -> list[str]:
        """The dimensions a report can group by: the built-in ones and every segment key the
        period's conversations carry (a pack's declared segments, ``arm:<experiment>``,
        ``register``, ...), in name order."""
        found = await self.store.dimensions(period_of(since, until, pack))
        return sorted(set(BUILT_IN) | set(found))

    async def combinations(self, period: Period) -> list[Combination]:
        """The period's sums per combination of segment values and trigger, summed in SQL
        (``storage/analytics.py``): any dimension's groups are added up from them."""
        found = await self.store.combinations(period, *self._now_and_windows())
        parsed: dict[str, dict[str, str]] = {}
        combinations = []
        for part in found:
            text, trigger = part.pop("segments"), part.pop("trigger")
            if text not in parsed:
                parsed[text] = json.loads(text)
            extras = {name: float(part.pop(name) or 0.0) for name in MOMENTS}
            sums = Sums.of(part, {trigger: int(part["escalated"] or 0)} if trigger else {})
            combinations.append(Combination(parsed[text], sums, extras))
        return combinations

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


def moments_by_dimension(found: Sequence[Combination], rules: OutcomeRules) -> Mapping[str, Groups]:
    """Each dimension's groups with the parity monitor's ``Moments``, added up from the
    combinations (a conversation without a value for a dimension is in none of its groups):
    the input of ``analytics/parity_stats.py`` for the dashboard and ``warmline parity``."""
    added: dict[tuple[str, str], tuple[Sums, dict[str, float]]] = {}
    for c in found:
        for dimension, group in c.segments.items():
            sums, extras = added.get((dimension, group), (Sums(), {}))
            more = {k: extras.get(k, 0.0) + v for k, v in c.moments.items()}
            added[dimension, group] = (sums + c.sums, more)
    dimensions: dict[str, dict[str, tuple[int, Mapping[str, Moments]]]] = {}
    for (dimension, group), (sums, extras) in added.items():
        dimensions.setdefault(dimension, {})[group] = (sums.n, _moments(sums, extras, rules))
    return dimensions


def _moments(s: Sums, x: Mapping[str, float], rules: OutcomeRules) -> dict[str, Moments]:
    """One group's values of each parity metric (``analytics/parity.py``'s ``METRICS``)."""
    a, b, h = rules.bot_conversation_cost, rules.human_minute_cost / 60.0, x["human_total"]
    return {
        "escalation_rate": Moments(s.n, float(s.escalated)),
        "containment": Moments(s.settled, float(s.contained)),
        "abandonment": Moments(s.settled, float(s.abandoned)),
        "fcr": Moments(s.settled, float(s.fcr)),
        "csat": Moments(s.rated, float(s.satisfied)),
        "aht": Moments(s.n, x["aht_total"], x["aht_squares"]),
        "ces": Moments(s.ces_n, s.ces_total, x["ces_squares"]),
        "cost": Moments(
            s.n, s.n * a + b * h, s.n * a * a + 2 * a * b * h + b * b * x["human_squares"]
        ),
    }


def check_dimension(by: str) -> None:
    """A dimension's name is a short word (``channel``, ``arm:greeting``): anything else is
    refused before it reaches SQL."""
    if not DIMENSION_NAME.fullmatch(by):
        raise InputError(f"--by takes a dimension: {DIMENSION_HELP}")


def _by_group(found: list[dict[str, Any]], whole: str | None = None) -> dict[str, Sums]:
    """SQL's sums per (group, trigger) added up per group, the escalations counted by trigger;
    with ``whole``, the rows have no group: all are that one."""
    groups: dict[str, Sums] = {}
    for part in found:
        key = part.pop("group") if whole is None else whole
        group = key if whole is not None else (key or UNKNOWN_GROUP)
        trigger = part.pop("trigger")
        one = Sums.of(part, {trigger: int(part["escalated"] or 0)} if trigger else {})
        groups[group] = groups[group] + one if group in groups else one
    return groups


def period_of(
    since: datetime,
    until: datetime | None,
    pack: str | None,
    dimension: str | None = None,
    group: str | None = None,
) -> Period:
    """The conversations started in [since, until), of ``pack``, of one segment group."""
    if until is not None and until <= since:
        raise InputError("--until must be after --since")
    if dimension is not None:
        check_dimension(dimension)
    end = None if until is None else until.timestamp()
    return Period(since.timestamp(), end, pack, dimension, group)


@asynccontextmanager
async def open_analytics(database_url: str, rules: OutcomeRules) -> AsyncIterator[Analytics]:
    """The analytics of the database at ``database_url`` (migrated first)."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        yield Analytics(AnalyticsRepository(engine), rules)
    finally:
        await engine.dispose()
