"""The managers' dashboard (``/console/dashboard``, docs/analytics.md "Dashboard"): for a
period and a pack, the headline figures with their counts, the figures per day (per hour for a
short period), per group of a chosen dimension with the parity monitor's flags, the
escalations by trigger, and a page of the conversations behind a group or a day. Every figure
is summed in SQL over the analytics projection (``storage/analytics.py``); the parity flags
come from the same sums (``analytics/parity_stats.py``), so a long period costs one scan per
figure, not one row per conversation in Python."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from warmline.analytics.facts import ConversationFacts
from warmline.analytics.metrics import UNKNOWN_GROUP, Sums, figures
from warmline.analytics.outcomes import OutcomeRules, facts
from warmline.analytics.parity import ParityRow, ParitySettings
from warmline.analytics.parity_stats import Groups, Moments, parity_of_moments
from warmline.errors import InputError
from warmline.services.analytics import Analytics, check_dimension, tally_of
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


async def overview(analytics: Analytics, view: View, parity: ParitySettings) -> Overview:
    """Everything the page draws, each part one grouped scan of the period."""
    whole = (await analytics.groups(view.period(), None)).get("", Sums())
    rules = analytics.rules
    tiles = _figures(whole, rules)
    triggers = [
        (trigger, count, count / whole.n if whole.n else 0.0)
        for trigger, count in sorted(whole.triggers.items(), key=lambda t: (-t[1], t[0]))
    ]
    found = await analytics.dimensions(view.since, view.until, view.pack)
    return Overview(
        view=view,
        tiles=[tiles[name] for name in TILES],
        triggers=triggers,
        series=await series(analytics, view),
        segments=await segments(analytics, view, parity),
        dimensions=sorted(set(found) | {view.by}),
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
            values[name].append(
                shown[name].value if shown[name].n or name == "conversations" else None
            )
            counts[name].append(shown[name].n)
    return {"bucket": "hour" if size == HOUR_S else "day", "labels": labels, "values": values,
            "n": counts}  # fmt: skip


async def segments(analytics: Analytics, view: View, settings: ParitySettings) -> list[SegmentRow]:
    """Each group of ``view.by`` with every metric and the parity rows flagged for it (the
    monitor run over every dimension of the period, as ``warmline parity`` runs it)."""
    groups = await analytics.groups(view.period(), view.by)
    flagged = [
        r for r in await parity_rows(analytics, view.period(), settings)
        if r.flagged and r.dimension == view.by
    ]  # fmt: skip
    rows = []
    for group in sorted(groups, key=lambda g: (-groups[g].n, g)):
        mine = tuple(r for r in flagged if r.group == group)
        shown = {
            name: replace(f, flags=tuple(r for r in mine if r.metric == PARITY_METRIC.get(name)))
            for name, f in _figures(groups[group], analytics.rules).items()
        }
        rows.append(SegmentRow(group, shown, mine))
    return rows


async def parity_rows(
    analytics: Analytics, period: Period, settings: ParitySettings
) -> list[ParityRow]:
    """The parity monitor over the period's conversations, from sums per group in SQL."""
    return parity_of_moments(
        moments_by_dimension(await analytics.moments(period), analytics.rules), settings
    )


def moments_by_dimension(found: list[dict[str, Any]], rules: OutcomeRules) -> Mapping[str, Groups]:
    """SQL's per-group sums (``segment_moments``) as the parity monitor's ``Moments``."""
    a, b = rules.bot_conversation_cost, rules.human_minute_cost / 60.0
    dimensions: dict[str, dict[str, tuple[int, Mapping[str, Moments]]]] = {}
    for r in found:
        v = {k: (val or 0) for k, val in r.items() if k not in ("dimension", "group")}
        n, settled, h = int(v["n"]), int(v["settled"]), float(v["human_total"])
        moments = {
            "escalation_rate": Moments(n, float(v["escalated"])),
            "containment": Moments(settled, float(v["contained"])),
            "abandonment": Moments(settled, float(v["abandoned"])),
            "fcr": Moments(settled, float(v["fcr"])),
            "csat": Moments(int(v["rated"]), float(v["satisfied"])),
            "aht": Moments(n, float(v["aht_total"]), float(v["aht_squares"])),
            "ces": Moments(int(v["ces_n"]), float(v["ces_total"]), float(v["ces_squares"])),
            "cost": Moments(
                n, n * a + b * h, n * a * a + 2 * a * b * h + b * b * float(v["human_squares"])
            ),
        }
        dimensions.setdefault(str(r["dimension"]), {})[str(r["group"])] = (n, moments)
    return dimensions


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
