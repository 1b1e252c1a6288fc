"""The parity monitor over sums instead of rows: the same comparisons, tests, correction and
flags as ``analytics/parity.py``'s ``parity``, from each group's count, sum and sum of squares
per metric (``Moments``), which SQL adds up in one grouped scan however long the period. A
share's test needs only its count and hits; Welch's t-test needs only each side's mean,
standard deviation and size (``scipy.stats.ttest_ind_from_stats``). Mann-Whitney's U needs
the values themselves: that choice stays with ``parity`` over the facts.

The rows are those ``parity`` returns for the same conversations (``tests/test_dashboard.py``
checks both on the same data), in the same order."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scipy import stats

from warmline.analytics.parity import (
    METRICS,
    Metric,
    ParityRow,
    ParitySettings,
    adjust,
    proportion_test,
    reference_of,
    runner_up,
    verdict,
)

RELATIVE_NOISE = 1e-9
"""A variance this small against the mean's square is rounding in the sums of squares: 0."""


@dataclass(frozen=True)
class Moments:
    """One metric's values in one group: how many, their sum and their sum of squares."""

    n: int
    total: float
    squares: float = 0.0

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    def std(self) -> float:
        """The sample standard deviation (ddof 1), 0 where it is only rounding."""
        if self.n < 2:
            return math.nan
        mean = self.total / self.n
        variance = (self.squares - self.n * mean * mean) / (self.n - 1)
        if variance <= RELATIVE_NOISE * max(1.0, mean * mean):
            return 0.0
        return math.sqrt(variance)


Groups = Mapping[str, tuple[int, Mapping[str, Moments]]]
"""A dimension's groups: group -> (its conversations, metric name -> its Moments)."""


@dataclass
class _Draft:
    metric: Metric
    dimension: str
    group: str
    mine: Moments
    reference_group: str
    reference: Moments
    p_value: float | None = None
    p_adjusted: float | None = None
    test: str | None = None
    note: str = ""


def parity_of_moments(
    dimensions: Mapping[str, Groups], settings: ParitySettings | None = None
) -> list[ParityRow]:
    """Every metric of every dimension (``settings.skip`` left out), each group against its
    reference, corrected for every comparison of the run and flagged, as ``parity`` does."""
    settings = settings or ParitySettings()
    drafts: list[_Draft] = []
    for dimension in sorted(dimensions):
        if any(
            dimension == s or (s.endswith(":") and dimension.startswith(s)) for s in settings.skip
        ):
            continue
        groups = dimensions[dimension]
        sizes = {group: range(size) for group, (size, _) in groups.items()}
        reference = reference_of(sizes, settings.references.get(dimension))
        for metric in METRICS:
            drafts += _compare(metric, dimension, groups, sizes, reference, settings)
    for family in (True, False):  # those that may be flagged; those reported only (cost)
        tested = [
            d for d in drafts if d.p_value is not None and (d.metric.worse is not None) == family
        ]
        adjusted = adjust([d.p_value or 0.0 for d in tested], settings.correction)
        for draft, p in zip(tested, adjusted, strict=True):
            draft.p_adjusted = p
    return [_row(d, settings) for d in drafts]


def _compare(
    metric: Metric,
    dimension: str,
    groups: Groups,
    sizes: Mapping[str, range],
    reference: str,
    settings: ParitySettings,
) -> list[_Draft]:
    empty = Moments(0, 0.0)
    values = {g: moments.get(metric.name, empty) for g, (_, moments) in groups.items()}
    drafts = []
    for group in [reference, *sorted(g for g in values if g != reference)]:
        if not values[group].n:
            continue  # the metric does not apply to this group's conversations
        against = reference
        if group == reference and dimension not in settings.references:
            against = runner_up(sizes, reference) or reference
        draft = _Draft(metric, dimension, group, values[group], against, values[against])
        if group == against:
            draft.note = "reference"
        elif min(draft.mine.n, draft.reference.n) < settings.min_n:
            draft.note = "below_min_n"
        else:
            draft.test, draft.p_value = _test(metric, draft.mine, draft.reference)
            draft.note = "" if draft.p_value is not None else "untestable"
        drafts.append(draft)
    return drafts


def _test(metric: Metric, mine: Moments, ref: Moments) -> tuple[str, float | None]:
    alternative = {"higher": "greater", "lower": "less", None: "two-sided"}[metric.worse]
    if metric.kind == "rate":
        return proportion_test(mine.total, mine.n, ref.total, ref.n, alternative)  # type: ignore[arg-type]
    result = stats.ttest_ind_from_stats(
        mine.mean, mine.std(), mine.n, ref.mean, ref.std(), ref.n,
        equal_var=False, alternative=alternative,
    )  # fmt: skip
    p = float(result.pvalue)
    return "welch_t", p if math.isfinite(p) else None


def _row(draft: _Draft, settings: ParitySettings) -> ParityRow:
    value, ref = draft.mine.mean, draft.reference.mean
    difference = None if value is None or ref is None else value - ref
    ratio = None if value is None or not ref else value / ref
    note = draft.note or verdict(draft.metric, draft.p_adjusted, difference, ref, settings)
    return ParityRow(
        draft.metric.name, draft.dimension, draft.group, value, draft.mine.n,
        draft.reference_group, ref, draft.reference.n, difference, ratio,
        draft.p_value, draft.p_adjusted, note == "flagged", draft.test, note,
    )  # fmt: skip
