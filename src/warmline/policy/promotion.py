"""The promotion gate: whether a retrained intent model may replace the one serving a pack.
Pure: it reads, for each held-out item, whether the serving model (``before``) and the
candidate (``after``) read it right, and the item's segments; it returns the verdict with its
reasons.

* **Overall** the candidate must read at least as many held-out items right as the serving
  model (its point estimate may not fall, however little).
* **Per segment group** (every dimension and group in the items' segments: ``channel=sms``,
  ``register=aae``, ...) the candidate may not be worse beyond noise: on the same items, the
  pairs that disagree are counted (``regressed``: right before, wrong after; ``improved``: the
  reverse) and tested with the exact McNemar test, a one-sided binomial test of ``regressed``
  out of ``regressed + improved`` against one half (``scipy.stats.binomtest``). The p-values of
  the groups tested are adjusted for their number (``correction``: Holm by default; the
  adjustment is the parity monitor's, handed in by the caller). A group blocks when its
  adjusted p-value is under ``alpha`` and it regressed more than it improved.
* **A group under ``min_n``** held-out items is reported as too few to judge: it is not tested
  and cannot block.
* **Nothing held out** cannot be judged: the verdict refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from scipy import stats

Correction = Literal["holm", "bh", "none"]
Adjust = Callable[[Sequence[float], Literal["bh", "holm"]], list[float]]
OVERALL = ("overall", "all")


@dataclass(frozen=True)
class Outcome:
    """One held-out item: whether the serving model and the candidate read it right."""

    segments: Mapping[str, str]
    before: bool
    after: bool


@dataclass(frozen=True)
class GateSettings:
    alpha: float = 0.05
    min_n: int = 20
    correction: Correction = "holm"


@dataclass(frozen=True)
class GroupCheck:
    """One group's figures and why it does or does not block. ``note``: ``worse`` (blocks),
    ``overall_worse`` (blocks), ``not_significant``, ``not_worse``, ``too_few``, ``overall``."""

    dimension: str
    group: str
    n: int
    before: int
    after: int
    regressed: int
    improved: int
    p_value: float | None = None
    p_adjusted: float | None = None
    note: str = ""

    @property
    def blocks(self) -> bool:
        return self.note in ("worse", "overall_worse")

    @property
    def label(self) -> str:
        return (
            "overall"
            if (self.dimension, self.group) == OVERALL
            else f"{self.dimension}={self.group}"
        )


@dataclass(frozen=True)
class Verdict:
    promote: bool
    overall: GroupCheck
    groups: tuple[GroupCheck, ...]
    reasons: tuple[str, ...]
    settings: GateSettings = field(default_factory=GateSettings)


def gate(
    outcomes: Sequence[Outcome], settings: GateSettings | None = None, adjust: Adjust | None = None
) -> Verdict:
    """The verdict on the candidate over ``outcomes`` (see the module's docstring). ``adjust``
    (p-values, method) adjusts the groups' p-values; it is needed unless the correction is
    ``none``."""
    settings = settings or GateSettings()
    if settings.correction != "none" and adjust is None:
        raise ValueError(f"the {settings.correction} correction needs an adjust function")
    overall = _overall(_check(OVERALL, outcomes))
    drafts = [_check(key, items) for key, items in _groups(outcomes).items()]
    tested = [d for d in drafts if d.n >= settings.min_n]
    raw = [_mcnemar(d.regressed, d.improved) for d in tested]
    if settings.correction == "none" or adjust is None:
        adjusted = raw
    else:
        adjusted = adjust(raw, settings.correction)
    p_of = {(d.dimension, d.group): (p, a) for d, p, a in zip(tested, raw, adjusted, strict=True)}
    groups = tuple(_judged(d, p_of.get((d.dimension, d.group)), settings) for d in drafts)
    reasons = _reasons(overall, groups, settings)
    promote = bool(outcomes) and not overall.blocks and not any(g.blocks for g in groups)
    return Verdict(promote, overall, groups, tuple(reasons), settings)


def _groups(outcomes: Sequence[Outcome]) -> dict[tuple[str, str], list[Outcome]]:
    found: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        for dimension, group in outcome.segments.items():
            found.setdefault((dimension, group), []).append(outcome)
    return dict(sorted(found.items()))


def _check(key: tuple[str, str], items: Sequence[Outcome]) -> GroupCheck:
    return GroupCheck(
        key[0],
        key[1],
        len(items),
        sum(o.before for o in items),
        sum(o.after for o in items),
        sum(o.before and not o.after for o in items),
        sum(o.after and not o.before for o in items),
    )


def _overall(check: GroupCheck) -> GroupCheck:
    note = "overall_worse" if check.after < check.before else "overall"
    p = _mcnemar(check.regressed, check.improved) if check.n else None
    return replace(check, p_value=p, note=note)


def _mcnemar(regressed: int, improved: int) -> float:
    """One-sided exact McNemar: the chance of at least ``regressed`` of the discordant pairs
    going the candidate's worse way if either way were as likely."""
    if regressed + improved == 0:
        return 1.0
    result = stats.binomtest(regressed, regressed + improved, 0.5, alternative="greater")
    return float(result.pvalue)


def _judged(draft: GroupCheck, p: tuple[float, float] | None, settings: GateSettings) -> GroupCheck:
    if p is None:
        return replace(draft, note="too_few")
    raw, adjusted = p
    if draft.regressed <= draft.improved:
        note = "not_worse"
    elif adjusted < settings.alpha:
        note = "worse"
    else:
        note = "not_significant"
    return replace(draft, p_value=raw, p_adjusted=adjusted, note=note)


def _share(right: int, n: int) -> str:
    return f"{right}/{n}" + (f" ({right / n:.1%})" if n else "")


def _points(check: GroupCheck) -> str:
    return f"{(check.after - check.before) / check.n * 100:+.1f} points" if check.n else "n/a"


def _reasons(
    overall: GroupCheck, groups: Sequence[GroupCheck], settings: GateSettings
) -> list[str]:
    if overall.n == 0:
        return ["nothing held out: no reviewed correction to judge the candidate on"]
    reasons = []
    if overall.blocks:
        reasons.append(
            f"overall worse: {_share(overall.before, overall.n)} read right before, "
            f"{_share(overall.after, overall.n)} after ({_points(overall)})"
        )
    method = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "un"}[settings.correction]
    for g in groups:
        if g.blocks:
            reasons.append(
                f"{g.label} worse beyond noise: {_share(g.before, g.n)} read right before, "
                f"{_share(g.after, g.n)} after ({_points(g)}; {g.regressed} regressed, "
                f"{g.improved} improved; exact McNemar one-sided p={g.p_value:.3g}, "
                f"{method}-adjusted {g.p_adjusted:.3g} < {settings.alpha})"
            )
    for g in groups:
        if g.note == "too_few":
            reasons.append(
                f"{g.label}: {g.n} held-out items, too few to judge (fewer than {settings.min_n})"
            )
    if not any(g.blocks for g in (overall, *groups)):
        reasons.insert(
            0,
            f"overall {_share(overall.before, overall.n)} read right before, "
            f"{_share(overall.after, overall.n)} after ({_points(overall)}); "
            "no segment group worse beyond noise",
        )
    return reasons
