"""The parity monitor: for every metric and every segment dimension (channel, language, tier,
...), each group's figure against the dimension's reference group, the difference and the
ratio, a significance test, a correction for the many comparisons one run makes, and whether
the gap is flagged. Pure: it reads ``ConversationFacts`` and returns rows.

* **Metrics.** Shares (0/1 per conversation): ``escalation_rate``, ``containment``,
  ``abandonment``, ``fcr``, ``csat`` (the top-two-box share of the rated conversations).
  Means: ``aht`` (the bot's and a person's handling seconds together), ``ces`` (1-7, higher is
  easier), ``cost``. Each states which direction is worse for the customer; ``cost`` states
  none (a cost gap is reported, never flagged: it is not a harm to the group).
* **The reference** of a dimension is the group configured for it (``dialect``: ``standard``
  and ``register``: ``neutral`` unless configured otherwise), else its largest group.
  A reference chosen by size (not configured) is itself compared with the runner-up (the next
  largest group): which of two equal groups is "largest" is arbitrary, and the disadvantaged
  group may be the largest; a configured reference's own row is not tested.
* **The test** is one-sided, in the direction worse for the group (two-sided for a metric
  with no direction): a pooled two-proportion z-test for shares, Fisher's exact test when an
  expected cell count is under 5; Welch's t-test for means (or Mann-Whitney's U).
* **The correction** runs over every comparison tested in one run that may be flagged:
  Benjamini-Hochberg (the false discovery rate) by default, Holm (the family-wise error rate)
  on request. The comparisons of a metric with no direction (``cost``), never flagged, are
  corrected among themselves and do not dilute the others.
* **A group under ``min_n``** conversations with a value (or a reference under it) is reported
  with its figures and no test; it is never flagged.
* **Flagged** = ``p_adjusted < alpha`` and the gap is material (at least ``min_rate_gap``
  for shares, ``min_mean_gap`` of the reference's mean for means) and worse for the group.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from scipy import stats

from warmline.analytics.facts import ConversationFacts

Kind = Literal["rate", "mean"]
Worse = Literal["higher", "lower"]
Correction = Literal["bh", "holm"]
MeanTest = Literal["welch", "mannwhitney"]
Outcomes = Mapping[str, float | None]

CONTRACT_KEYS = (
    "metric",
    "dimension",
    "group",
    "value",
    "n",
    "reference_group",
    "reference_value",
    "difference",
    "p_value",
    "p_adjusted",
    "flagged",
)
"""The keys of one row of ``warmline parity --format json``, in order (docs/parity.md)."""


def _outcome(name: str) -> Callable[[Outcomes], float | None]:
    return lambda outcomes: outcomes.get(name)


def _handling(outcomes: Outcomes) -> float | None:
    parts = [outcomes.get("aht_bot_s"), outcomes.get("aht_human_s")]
    known = [p for p in parts if p is not None]
    return sum(known) if known else None


@dataclass(frozen=True)
class Metric:
    name: str
    kind: Kind
    worse: Worse | None  # None: reported, never flagged
    read: Callable[[Outcomes], float | None]


METRICS: tuple[Metric, ...] = (
    Metric("escalation_rate", "rate", "higher", _outcome("escalated")),
    Metric("containment", "rate", "lower", _outcome("contained")),
    Metric("abandonment", "rate", "higher", _outcome("abandoned")),
    Metric("fcr", "rate", "lower", _outcome("fcr")),
    Metric("csat", "rate", "lower", _outcome("csat")),
    Metric("aht", "mean", "higher", _handling),
    Metric("ces", "mean", "lower", _outcome("ces")),
    Metric("cost", "mean", None, _outcome("cost")),
)


DEFAULT_REFERENCES: Mapping[str, str] = {"dialect": "standard", "register": "neutral"}
"""The reference of a dimension whose question is fixed, unless configured otherwise: do
texts showing a variety's features (``dialect``) or written in another register fare worse
than standard, neutral ones (``nlu/register.py``)."""


@dataclass(frozen=True)
class ParitySettings:
    alpha: float = 0.05
    min_n: int = 100
    min_rate_gap: float = 0.02  # 2 points
    min_mean_gap: float = 0.10  # 10 % of the reference's mean
    correction: Correction = "bh"
    mean_test: MeanTest = "welch"
    references: Mapping[str, str] = field(default_factory=dict)  # dimension -> group
    skip: tuple[str, ...] = ("pack", "arm:")  # dimensions (or prefixes) left out

    def __post_init__(self) -> None:
        # the defaults under what is configured: every reader of ``references`` sees them
        object.__setattr__(self, "references", {**DEFAULT_REFERENCES, **self.references})


@dataclass(frozen=True)
class ParityRow:
    """One group on one metric of one dimension. ``note`` says why it is (not) flagged:
    ``reference``, ``below_min_n``, ``untestable``, ``flagged``, ``not_significant``,
    ``not_material``, ``not_worse``, ``reported_only`` (a metric with no direction)."""

    metric: str
    dimension: str
    group: str
    value: float | None
    n: int
    reference_group: str
    reference_value: float | None
    reference_n: int
    difference: float | None
    ratio: float | None
    p_value: float | None
    p_adjusted: float | None
    flagged: bool
    test: str | None
    note: str

    def contract(self) -> dict[str, Any]:
        """The row as ``warmline parity --format json`` writes it (``CONTRACT_KEYS``)."""
        return {key: getattr(self, key) for key in CONTRACT_KEYS}


def parity(
    facts: Sequence[ConversationFacts], settings: ParitySettings | None = None
) -> list[ParityRow]:
    """Every metric and dimension of ``facts``, each group against its reference, corrected
    for every comparison of this run and flagged (see the module's docstring)."""
    settings = settings or ParitySettings()
    drafts: list[_Draft] = []
    for dimension in dimensions(facts, settings.skip):
        groups = _groups(facts, dimension)
        reference = reference_of(groups, settings.references.get(dimension))
        for metric in METRICS:
            drafts += _compare(metric, dimension, groups, reference, settings)
    for family in (True, False):  # those that may be flagged; those reported only (cost)
        tested = [
            d for d in drafts if d.p_value is not None and (d.metric.worse is not None) == family
        ]
        adjusted = adjust([d.p_value or 0.0 for d in tested], settings.correction)
        for draft, p in zip(tested, adjusted, strict=True):
            draft.p_adjusted = p
    return [d.row(settings) for d in drafts]


def dimensions(facts: Sequence[ConversationFacts], skip: Sequence[str] = ()) -> list[str]:
    found = {d for f in facts for d in f.segments}
    return sorted(
        d for d in found if not any(d == s or (s.endswith(":") and d.startswith(s)) for s in skip)
    )


def _groups(facts: Sequence[ConversationFacts], dimension: str) -> dict[str, list[Outcomes]]:
    groups: dict[str, list[Outcomes]] = {}
    for f in facts:
        group = f.segments.get(dimension)
        if group is not None:
            groups.setdefault(group, []).append(f.outcomes)
    return groups


def reference_of(groups: Mapping[str, Sequence[object]], configured: str | None) -> str:
    """The configured group when the data has it, else the largest (ties: the first by name)."""
    if configured is not None and configured in groups:
        return configured
    return min(groups, key=lambda g: (-len(groups[g]), g))


@dataclass
class _Draft:
    metric: Metric
    dimension: str
    group: str
    values: list[float]
    reference_group: str
    reference_values: list[float]
    p_value: float | None = None
    p_adjusted: float | None = None
    test: str | None = None
    note: str = ""

    def row(self, settings: ParitySettings) -> ParityRow:
        value, ref = _mean(self.values), _mean(self.reference_values)
        difference = None if value is None or ref is None else value - ref
        ratio = None if value is None or not ref else value / ref
        note = self.note or verdict(self.metric, self.p_adjusted, difference, ref, settings)
        return ParityRow(
            self.metric.name,
            self.dimension,
            self.group,
            value,
            len(self.values),
            self.reference_group,
            ref,
            len(self.reference_values),
            difference,
            ratio,
            self.p_value,
            self.p_adjusted,
            note == "flagged",
            self.test,
            note,
        )


def _compare(
    metric: Metric,
    dimension: str,
    groups: Mapping[str, Sequence[Outcomes]],
    reference: str,
    settings: ParitySettings,
) -> list[_Draft]:
    values = {g: _values(metric, rows) for g, rows in groups.items()}
    drafts = []
    for group in [reference, *sorted(g for g in values if g != reference)]:
        if not values[group]:
            continue  # the metric does not apply to this group's conversations
        against = reference
        if group == reference and dimension not in settings.references:
            against = runner_up(groups, reference) or reference
        draft = _Draft(metric, dimension, group, values[group], against, values[against])
        if group == against:
            draft.note = "reference"
        elif min(len(draft.values), len(draft.reference_values)) < settings.min_n:
            draft.note = "below_min_n"
        else:
            draft.test, draft.p_value = _test(
                metric, draft.values, draft.reference_values, settings.mean_test
            )
            draft.note = "" if draft.p_value is not None else "untestable"
        drafts.append(draft)
    return drafts


def runner_up(groups: Mapping[str, Sequence[object]], reference: str) -> str | None:
    """The largest group after the reference (ties: the first by name): the one a reference
    chosen by size is itself compared with, so that a largest group worse off is not missed."""
    others = [g for g in groups if g != reference]
    return min(others, key=lambda g: (-len(groups[g]), g)) if others else None


def _values(metric: Metric, rows: Sequence[Outcomes]) -> list[float]:
    read = (metric.read(r) for r in rows)
    return [float(v) for v in read if v is not None and math.isfinite(v)]


def verdict(
    metric: Metric,
    p_adjusted: float | None,
    difference: float | None,
    ref: float | None,
    settings: ParitySettings,
) -> str:
    """Why a tested row is (not) flagged: docs/parity.md's rule, for the rows from facts and
    from sums alike (``analytics/parity_stats.py``)."""
    if difference is None or ref is None or p_adjusted is None:
        return "untestable"
    if metric.worse is None:
        return "reported_only"
    if p_adjusted >= settings.alpha:
        return "not_significant"
    gap = settings.min_rate_gap if metric.kind == "rate" else settings.min_mean_gap * abs(ref)
    if abs(difference) < gap:
        return "not_material"
    worse = (metric.worse == "higher" and difference > 0) or (
        metric.worse == "lower" and difference < 0
    )
    return "flagged" if worse else "not_worse"


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _alternative(metric: Metric) -> Literal["greater", "less", "two-sided"]:
    return {"higher": "greater", "lower": "less", None: "two-sided"}[metric.worse]  # type: ignore[return-value]


def _test(
    metric: Metric, group: Sequence[float], ref: Sequence[float], mean_test: MeanTest
) -> tuple[str, float | None]:
    """The test's name and its p-value (one-sided towards worse for the group), None when the
    data cannot be tested (no variance at all)."""
    alternative = _alternative(metric)
    if metric.kind == "rate":
        return proportion_test(sum(group), len(group), sum(ref), len(ref), alternative)
    if mean_test == "mannwhitney":
        result: Any = stats.mannwhitneyu(group, ref, alternative=alternative)
        return "mann_whitney_u", _finite(result.pvalue)
    result = stats.ttest_ind(group, ref, equal_var=False, alternative=alternative)
    return "welch_t", _finite(result.pvalue)


def proportion_test(
    x1: float, n1: int, x0: float, n0: int, alternative: Literal["greater", "less", "two-sided"]
) -> tuple[str, float | None]:
    """Share ``x1/n1`` against ``x0/n0``: a pooled two-proportion z-test, or Fisher's exact
    test when an expected cell count is under 5. ``greater``: the first share is higher."""
    pooled = (x1 + x0) / (n1 + n0)
    expected = min(pooled * n1, (1 - pooled) * n1, pooled * n0, (1 - pooled) * n0)
    if expected < 5:
        table = [[round(x1), n1 - round(x1)], [round(x0), n0 - round(x0)]]
        return "fisher_exact", _finite(stats.fisher_exact(table, alternative=alternative).pvalue)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return "two_proportion_z", None
    z = (x1 / n1 - x0 / n0) / se
    if alternative == "greater":
        p = float(stats.norm.sf(z))
    elif alternative == "less":
        p = float(stats.norm.cdf(z))
    else:
        p = float(2 * stats.norm.sf(abs(z)))
    return "two_proportion_z", p


def _finite(p: Any) -> float | None:
    value = float(p)
    return value if math.isfinite(value) else None


def adjust(p_values: Sequence[float], correction: Correction = "bh") -> list[float]:
    """The p-values adjusted for their number: Benjamini-Hochberg (``bh``) or Holm."""
    if not p_values:
        return []
    if correction == "bh":
        return [float(p) for p in stats.false_discovery_control(list(p_values), method="bh")]
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running, m = [0.0] * len(p_values), 0.0, len(p_values)
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
