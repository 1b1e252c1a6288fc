"""Experiment reports: CSAT and resolution per arm, and the difference between arms with a
95 % confidence interval, as folds over conversation event logs.

* **CSAT**: among the arm's conversations with a rating, the share whose last rating is 4 or 5
  (the usual top-two-box score on a 1-5 scale).
* **Resolution**: among the arm's conversations, the share that ended resolved without a person
  (a ``resolved`` event and no ``escalated`` one).

The interval of a difference of two shares is Newcombe's hybrid score interval (method 10 of
Newcombe 1998), built from each share's Wilson interval: it stays inside [-1, 1] and keeps its
coverage with the small or lopsided counts a young experiment has, where the textbook Wald
interval does not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from warmline.domain.events import (
    Escalated,
    Event,
    ExperimentAssigned,
    FeedbackGiven,
    Resolved,
)

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Share:
    hits: int
    total: int

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None


@dataclass(frozen=True)
class ArmResult:
    arm: str
    conversations: int
    csat: Share
    resolution: Share


@dataclass(frozen=True)
class Difference:
    """``arm`` minus ``baseline`` on one measure, with its 95 % interval (None without data)."""

    measure: str
    arm: str
    baseline: str
    difference: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class ExperimentReport:
    experiment: str
    arms: list[ArmResult]
    differences: list[Difference]


@dataclass(frozen=True)
class Outcome:
    """What one conversation tells an experiment."""

    arms: dict[str, str]
    rating: int | None
    resolved: bool


def outcome(events: Iterable[Event]) -> Outcome:
    arms: dict[str, str] = {}
    rating: int | None = None
    resolved = escalated = False
    for event in events:
        if isinstance(event, ExperimentAssigned):
            arms[event.experiment] = event.arm
        elif isinstance(event, FeedbackGiven):
            rating = event.rating
        elif isinstance(event, Resolved):
            resolved = True
        elif isinstance(event, Escalated):
            escalated = True
    return Outcome(arms, rating, resolved and not escalated)


def wilson(hits: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a share."""
    if total == 0:
        return 0.0, 1.0
    p = hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(a: Share, b: Share, z: float = Z95) -> tuple[float, float, float] | None:
    """Difference ``a - b`` of two shares with Newcombe's hybrid score interval."""
    pa, pb = a.value, b.value
    if pa is None or pb is None:
        return None
    la, ua = wilson(a.hits, a.total, z)
    lb, ub = wilson(b.hits, b.total, z)
    d = pa - pb
    low = d - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = d + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    return d, low, high


def experiment_report(
    logs: Iterable[Iterable[Event]],
    experiment: str,
    arm_names: Sequence[str],
    baseline: str | None = None,
) -> ExperimentReport:
    """Per-arm CSAT and resolution of ``experiment``, in the order of ``arm_names``, and each
    arm's difference from ``baseline`` (default: the first of ``arm_names``)."""
    if baseline is not None and baseline not in arm_names:
        raise ValueError(f"no arm '{baseline}' (arms: {', '.join(arm_names)})")
    counts: dict[str, list[int]] = {}
    for log in logs:
        result = outcome(log)
        name = result.arms.get(experiment)
        if name is None:
            continue
        row = counts.setdefault(name, [0, 0, 0, 0])  # conversations, rated, satisfied, resolved
        row[0] += 1
        if result.rating is not None:
            row[1] += 1
            row[2] += result.rating >= 4
        row[3] += result.resolved
    order = [*arm_names, *(a for a in counts if a not in arm_names)]
    arms = [
        ArmResult(arm, n, Share(satisfied, rated), Share(resolved, n))
        for arm in order
        if arm in counts
        for n, rated, satisfied, resolved in [counts[arm]]
    ]
    wanted = baseline or (arm_names[0] if arm_names else None)
    base = next((a for a in arms if a.arm == wanted), None)
    differences: list[Difference] = []
    for other in arms:
        if base is None or other.arm == base.arm:
            continue
        for measure in ("csat", "resolution"):
            found = newcombe(getattr(other, measure), getattr(base, measure))
            d, low, high = found if found else (None, None, None)
            differences.append(Difference(measure, other.arm, base.arm, d, low, high))
    return ExperimentReport(experiment, arms, differences)
