"""The managers' dashboard (``/console/dashboard``, docs/analytics.md "Dashboard"): for a
period and a pack, the headline figures with their counts, the figures per day (per hour for a
short period), per group of a chosen dimension with the parity monitor's flags, the
escalations by trigger, and a page of the conversations behind a group or a day. Every figure
is summed in SQL over the analytics projection (``storage/analytics.py``): the page is two
grouped scans of the period, one per combination of segment values and trigger (the tiles,
the groups of any dimension and the parity monitor's input are added up from it: the flags
are tested from sums, ``analytics/parity_stats.py``) and one per day or hour; no figure reads a
row per conversation into Python."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from warmline.analytics.facts import ConversationFacts
from warmline.analytics.metrics import UNKNOWN_GROUP, Sums, figures
from warmline.analytics.outcomes import OutcomeRules, facts
from warmline.analytics.parity import ParityRow, ParitySettings
from warmline.analytics.parity_stats import parity_of_moments
from warmline.errors import InputError
from warmline.services.analytics import (
    BUILT_IN,
    Analytics,
    Combination,
    check_dimension,
    moments_by_dimension,
    tally_of,
)
from warmline.storage.analytics import Period

DAY_S, HOUR_S = 86_400, 3_600
HOURLY_UP_TO_DAYS = 3
"""A period of at most this many days is drawn per hour, a longer one per day."""
DEFAULT_DAYS = 30
MAX_DAYS = 366
PAGE_SIZE = 25
TILES = (
    "conversations", "containment_rate", "csat", "ces", "fcr_rate", "aht_bot_s",
    "aht_human_s", "escalation_rate", "cost_per_contact", "abandonment_rate",
    "thumbs_down_share",
)  # fmt: skip
SERIES = ("conversations", "containment_rate", "escalation_rate", "csat", "abandonment_rate")
PARITY_METRIC = {
    "escalation_rate": "escalation_rate",
    "containment_rate": "containment",
    "abandonment_rate": "abandonment",
    "fcr_rate": "fcr",
    "csat": "csat",
    "ces": "ces",
    "aht_bot_s": "aht",
    "aht_human_s": "aht",
    "cost_per_contact": "cost",
}
"""The report's metric -> the parity monitor's (docs/parity.md), for the flags per cell."""


@dataclass(frozen=True)
class View:
    """What the dashboard shows: conversations started on the days ``first`` to ``last``
    (inclusive, UTC), of ``pack`` if given, grouped by ``by``."""

    first: date
    last: date
    pack: str | None
    by: str

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=UTC)

    @property
    def bucket_s(self) -> int:
        return HOUR_S if (self.last - self.first).days < HOURLY_UP_TO_DAYS else DAY_S

    def period(self, group: str | None = None, at: datetime | None = None) -> Period:
        """The view's conversations; of one group of ``by`` (``(none)``: without a value);
        started in the bucket (day or hour) beginning ``at``."""
        since, until = self.since.timestamp(), self.until.timestamp()
        if at is not None:
            since = max(since, at.timestamp())
            until = min(until, at.timestamp() + self.bucket_s)
        if group is None:
            return Period(since, until, self.pack)
        return Period(since, until, self.pack, self.by, None if group == UNKNOWN_GROUP else group)


def view_of(first: date | None, last: date | None, pack: str | None, by: str, today: date) -> View:
    """The view a request asks for: by default the last ``DEFAULT_DAYS`` days up to today;
    a period that ends before it starts or is longer than ``MAX_DAYS`` is refused."""
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise InputError("the period ends before it starts: 'until' must be on or after 'since'")
    if (last - first).days >= MAX_DAYS:
        raise InputError(f"choose a period of at most {MAX_DAYS} days")
    check_dimension(by)
    return View(first, last, pack or None, by)


@dataclass(frozen=True)
class Figure:
    metric: str
    value: float | None
    n: int
    flags: tuple[ParityRow, ...] = ()


@dataclass(frozen=True)
class SegmentRow:
    group: str
    figures: Mapping[str, Figure]
    flags: tuple[ParityRow, ...]


@dataclass(frozen=True)
class Overview:
    view: View
    tiles: list[Figure]
    triggers: list[tuple[str, int, float]]  # trigger, escalations, share of all conversations
    series: dict[str, Any]  # labels (bucket starts) and each SERIES metric's values
    segments: list[SegmentRow]
    dimensions: list[str]


def _figures(s: Sums, rules: OutcomeRules) -> dict[str, Figure]:
    return {name: Figure(name, value, n) for name, value, n in figures(s, rules)}


def whole(combinations: list[Combination]) -> Sums:
    """The period's sums, all groups together, with the escalations by trigger."""
    return sum((c.sums for c in combinations), Sums())


def by_group(combinations: list[Combination], by: str) -> dict[str, Sums]:
    """The sums per group of dimension ``by`` (``(none)``: without a value for it)."""
    groups: dict[str, Sums] = {}
    for c in combinations:
        group = c.segments.get(by) or UNKNOWN_GROUP
        groups[group] = groups[group] + c.sums if group in groups else c.sums
    return groups


async def overview(analytics: Analytics, view: View, parity: ParitySettings) -> Overview:
    """Everything the page draws: two grouped scans of the period (the combinations of
    segment values, and the series), the rest added up from them."""
    found = await analytics.combinations(view.period())
    total = whole(found)
    triggers = [
        (trigger, count, count / total.n if total.n else 0.0)
        for trigger, count in sorted(total.triggers.items(), key=lambda t: (-t[1], t[0]))
    ]
    tiles = _figures(total, analytics.rules)
    dimensions = {key for c in found for key in c.segments} | set(BUILT_IN) | {view.by}
    return Overview(
        view=view,
        tiles=[tiles[name] for name in TILES],
        triggers=triggers,
        series=await series(analytics, view),
        segments=segments_of(found, view.by, parity, analytics.rules),
        dimensions=sorted(dimensions),
    )


async def series(analytics: Analytics, view: View) -> dict[str, Any]:
    """Each ``SERIES`` metric per bucket from the first to the last (a bucket without a
    conversation: 0 conversations and no rate), with the counts the rates are over."""
    size = view.bucket_s
    found = await analytics.series(view.period(), size)
    first, last = int(view.since.timestamp()) // size, int(view.until.timestamp()) // size
    labels: list[str] = []
    values: dict[str, list[Any]] = {name: [] for name in SERIES}
    counts: dict[str, list[int]] = {name: [] for name in SERIES}
    for bucket in range(first, last):
        labels.append(datetime.fromtimestamp(bucket * size, UTC).isoformat())
        shown = _figures(found.get(bucket, Sums()), analytics.rules)
        for name in SERIES:
            empty = not shown[name].n and name != "conversations"
            values[name].append(None if empty else shown[name].value)
            counts[name].append(shown[name].n)
    return {"bucket": "hour" if size == HOUR_S else "day", "labels": labels, "values": values,
            "n": counts}  # fmt: skip


async def segments(analytics: Analytics, view: View, settings: ParitySettings) -> list[SegmentRow]:
    """Each group of ``view.by`` with every metric and its parity flags."""
    found = await analytics.combinations(view.period())
    return segments_of(found, view.by, settings, analytics.rules)


def segments_of(
    found: list[Combination], by: str, settings: ParitySettings, rules: OutcomeRules
) -> list[SegmentRow]:
    """Each group of ``by``, the largest first, with every metric and the parity rows
    flagged for it: the monitor run over every dimension of the period, as ``warmline
    parity`` runs it, so that a flag here is the command's flag."""
    groups = by_group(found, by)
    rows = parity_of_moments(moments_by_dimension(found, rules), settings)
    flagged = [r for r in rows if r.flagged and r.dimension == by]
    shown = []
    for group in sorted(groups, key=lambda g: (-groups[g].n, g)):
        mine = tuple(r for r in flagged if r.group == group)
        cells = {
            name: replace(f, flags=tuple(r for r in mine if r.metric == PARITY_METRIC.get(name)))
            for name, f in _figures(groups[group], rules).items()
        }
        shown.append(SegmentRow(group, cells, mine))
    return shown


async def parity_rows(
    analytics: Analytics, period: Period, settings: ParitySettings
) -> list[ParityRow]:
    """The parity monitor over the period's conversations, from sums in SQL: the same rows
    as ``analytics/parity.py``'s ``parity`` over their facts."""
    found = await analytics.combinations(period)
    return parity_of_moments(moments_by_dimension(found, analytics.rules), settings)


@dataclass(frozen=True)
class Conversation:
    facts: ConversationFacts
    intent: str | None
    outcome: str


@dataclass(frozen=True)
class Page:
    total: int
    number: int  # from 1
    pages: int
    rows: list[Conversation]


async def conversations(
    analytics: Analytics, view: View, group: str | None, at: datetime | None, number: int
) -> Page:
    """Page ``number`` (from 1) of the view's conversations, of one group of ``view.by``
    and/or one bucket beginning ``at``, oldest first."""
    period = view.period(group, at)
    offset = (number - 1) * PAGE_SIZE
    total, rows = await analytics.store.page(period, offset, PAGE_SIZE)
    now = analytics.clock.now()
    shown = []
    for row in rows:
        found = facts(tally_of(row), now, analytics.rules, row["next_contact_s"])
        shown.append(Conversation(found, row["intent"], outcome_of(found)))
    return Page(total, number, max(1, -(-total // PAGE_SIZE)), shown)


def outcome_of(found: ConversationFacts) -> str:
    """How a conversation ended, in a few words."""
    o = found.outcomes
    if o.get("contained") is None:
        return "in progress" + (" (escalated)" if o.get("escalated") else "")
    if o.get("abandoned"):
        return "abandoned" + (" in the queue" if o.get("escalated") else "")
    if o.get("escalated"):
        return f"escalated: {(found.escalation_trigger or '').replace('_', ' ')}"
    return "contained" if o.get("contained") else "resolved by a person"
