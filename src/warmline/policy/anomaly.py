"""Anomaly holds: whether a write's volume has jumped, and what a turn that would propose or
run a write on hold becomes.

Each write is counted per pack and action in fixed windows of ``window_s`` seconds: the
proposals (a write waiting for its yes), the executions, and the amount the executions moved
(the action's ``amount_fields`` entry). The baseline of each measure is the mean of the
``baseline_windows`` windows before the current one (a window with nothing counted counts as
zero), never under its floor (``min_count``; ``min_amount`` for the amount), so a quiet action
is not held on its second use. The action is held once the current window reaches ``factor``
times the baseline; it is evaluated each time a write is counted, so a burst is held within the
window it happens in. While held, the write is neither proposed nor run, for every customer:
the customer is told the change is paused for a check and handed to a person."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from warmline.domain.decision import Decision, Reason
from warmline.domain.pack import AnomalySettings, DomainPack

Measure = Literal["proposed", "executed", "amount"]
MEASURES: tuple[Measure, ...] = ("proposed", "executed", "amount")
HoldState = Literal["held", "kept"]


@dataclass(frozen=True)
class WindowCounts:
    """One window's figures for one action."""

    proposed: int = 0
    executed: int = 0
    amount: float = 0.0

    def measure(self, name: Measure) -> float:
        return float(getattr(self, name))


@dataclass(frozen=True)
class Hold:
    """An action on hold, with the figures that put it there: the measure that jumped, its
    value in the window, the baseline it was compared with, the factor, and the window."""

    pack: str
    action: str
    measure: Measure
    value: float
    baseline: float
    factor: float
    window_s: int
    held_at: datetime
    state: HoldState = "held"

    def figures(self) -> dict[str, float | str | bool | None]:
        return {
            "action": self.action,
            "measure": self.measure,
            "window_value": self.value,
            "baseline": self.baseline,
            "factor": self.factor,
            "threshold": round(self.factor * self.baseline, 4),
            "window_s": float(self.window_s),
        }


def baseline(previous: Sequence[float], floor: float) -> float:
    """The mean of the previous windows' values, never under ``floor``."""
    mean = sum(previous) / len(previous) if previous else 0.0
    return max(mean, floor)


def jumped(
    pack: str,
    action: str,
    current: WindowCounts,
    previous: Sequence[WindowCounts],
    settings: AnomalySettings,
    at: datetime,
) -> Hold | None:
    """The hold the current window's figures call for (the first measure that reached
    ``factor`` x its baseline), or None. ``previous`` holds the ``baseline_windows`` windows
    before the current one, zeros included."""
    for measure in MEASURES:
        if measure == "amount" and action not in settings.amount_fields:
            continue
        floor = settings.min_amount if measure == "amount" else float(settings.min_count)
        base = baseline([w.measure(measure) for w in previous], floor)
        value = current.measure(measure)
        if value >= settings.factor * base:
            return Hold(
                pack, action, measure, value, round(base, 4), settings.factor, settings.window_s, at
            )
    return None


def window_of(at: datetime, window_s: int) -> int:
    """The number of the fixed window ``at`` falls in (windows start at the epoch)."""
    return int(at.timestamp()) // window_s


def on_hold(decision: Decision, holds: Mapping[str, Hold], pack: DomainPack) -> Decision:
    """The decision, unless it would propose or run a write on hold: then the customer is told
    the change is paused for a check and handed to a person, with the hold's figures."""
    action = decision.action
    if decision.kind not in ("confirm", "act") or action is None or action not in holds:
        return decision
    if pack.actions[action].risk == "read":
        return decision
    hold = holds[action]
    reason = Reason(
        code="action_on_hold",
        detail=(
            f"{action} is on hold: {hold.measure} {hold.value:g} in the current {hold.window_s} s "
            f"window reached {hold.factor:g} x its baseline {hold.baseline:g}"
        ),
        values=hold.figures(),
    )
    return Decision(
        kind="escalate",
        intent=decision.intent,
        confidence=decision.confidence,
        template="action_on_hold",
        escalation="action_on_hold",
        acknowledgement=decision.acknowledgement,
        reasons=[*decision.reasons, reason],
    )
