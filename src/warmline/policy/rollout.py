"""Whether a confirmed write runs, waits for a person's approval or is only proposed (its
rollout mode: docs/rollout.md), and whether a supervisor may take an action out of shadow.

``gate`` maps the action (its risk and limit), the mode in force and the amount the write
moves to a verdict with its reasons: ``run``, ``approval`` (held in the console's approval
queue) or ``shadow`` (proposed only: a person executes or rejects it). ``promotion`` refuses
to leave shadow until the agreement measured over enough decided cases meets the pack's bar.
Pure: the act stage reads the mode and the amount, and obeys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from warmline.domain.decision import Reason
from warmline.domain.outcome import ActionOutcome
from warmline.domain.pack import Action, RolloutMode

Verdict = Literal["run", "approval", "shadow"]
RISK_ORDER = ("read", "write", "destructive")


@dataclass(frozen=True)
class Gate:
    verdict: Verdict
    reasons: tuple[Reason, ...]


class GatedOutcome(ActionOutcome):
    """An ``execute`` outcome with the rollout's reasons; ``held`` when the write did not run
    (the verdict ``approval`` or ``shadow``: nothing was sent to the back office)."""

    rollout: list[Reason] = Field(default_factory=list)
    held: Literal["approval", "shadow"] | None = None


HELD_TEMPLATES = {"shadow": "action_shadowed", "approval": "action_awaiting_approval"}
"""What the customer is told of a write that did not run: a colleague will complete it (in
shadow), or is checking it (held for approval)."""


@dataclass(frozen=True)
class Agreement:
    """Shadow cases a person decided for one action, and how many they executed unchanged."""

    decided: int = 0
    agreed: int = 0

    @property
    def rate(self) -> float | None:
        return self.agreed / self.decided if self.decided else None


def amount_of(action: Action, params: dict[str, str], record: dict[str, Any]) -> float | None:
    """The amount the write moves, read where the action's rollout says (``params.<name>`` or
    ``record.<field>`` of its dry run); None when it is missing or not a number."""
    source = action.rollout.amount_from
    if source is None:
        return None
    where, *path = source.split(".")
    value: Any = params if where == "params" else record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    try:
        return float(str(value).replace(",", "").lstrip("$")) if value is not None else None
    except ValueError:
        return None


def _limit(name: str, action: Action, amount: float | None) -> Reason | None:
    """The limit checked: within, over, or unknown (None: the action has no limit)."""
    limit, source = action.rollout.max_amount, action.rollout.amount_from
    if limit is None:
        return None
    values: dict[str, float | str | bool | None] = {
        "amount": amount,
        "max_amount": limit,
        "amount_from": source,
    }
    if amount is None:
        detail = f"{name}: the amount at {source} could not be read; the limit is {limit:g}"
        return Reason(code="rollout_amount_unknown", detail=detail, values=values)
    if amount > limit:
        detail = f"{name}: {amount:g} is over the limit of {limit:g}"
        return Reason(code="rollout_over_limit", detail=detail, values=values)
    detail = f"{name}: {amount:g} is within the limit of {limit:g}"
    return Reason(code="rollout_within_limit", detail=detail, values=values)


def gate(name: str, action: Action, mode: RolloutMode, amount: float | None = None) -> Gate:
    """What a confirmed write of ``action`` does under ``mode`` moving ``amount``: a read
    always runs; shadow only proposes; supervised holds a write at or above ``approve_from``
    risk; any mode holds a write over its limit, or whose amount could not be read."""
    if action.risk == "read":
        return Gate("run", ())
    values: dict[str, float | str | bool | None] = {"mode": mode, "risk": action.risk}
    if mode == "shadow":
        detail = f"{name} is in shadow: proposed to a person, nothing written"
        return Gate("shadow", (Reason(code="rollout_shadow", detail=detail, values=values),))
    limit = _limit(name, action, amount)
    held_by_limit = limit is not None and limit.code != "rollout_within_limit"
    if mode == "supervised":
        bar = action.rollout.approve_from
        over_risk = RISK_ORDER.index(action.risk) >= RISK_ORDER.index(bar)
        detail = (
            f"{name} is supervised: a {action.risk} action waits for approval"
            if over_risk
            else f"{name} is supervised: a {action.risk} action under {bar} risk runs"
        )
        reason = Reason(
            code="rollout_supervised", detail=detail, values={**values, "approve_from": bar}
        )
        held = over_risk or held_by_limit
    else:
        reason = Reason(code="rollout_autonomous", detail=f"{name} is autonomous", values=values)
        held = held_by_limit
    reasons = (reason, limit) if limit is not None else (reason,)
    return Gate("approval" if held else "run", reasons)


@dataclass(frozen=True)
class Promotion:
    allowed: bool
    why: str


def promotion(
    action: Action, before: RolloutMode, after: RolloutMode, agreement: Agreement
) -> Promotion:
    """Whether a supervisor may change the mode from ``before`` to ``after``: leaving shadow
    needs ``min_agreement`` over at least ``min_cases`` decided shadow cases; any other change
    (towards shadow, or between supervised and autonomous) is allowed. A read has no mode."""
    if action.risk == "read":
        return Promotion(False, "a read action always runs: it has no rollout mode")
    if before == after:
        return Promotion(False, f"the action is already {after}")
    if before != "shadow":
        return Promotion(True, f"{before} to {after}")
    need, bar = action.rollout.min_cases, action.rollout.min_agreement
    rate = agreement.rate
    measured = f"{agreement.agreed} of {agreement.decided} shadow cases executed unchanged"
    if agreement.decided < need:
        return Promotion(False, f"{measured}; leaving shadow needs at least {need} decided")
    if rate is None or rate < bar:
        return Promotion(False, f"{measured}; leaving shadow needs an agreement of {bar:.0%}")
    return Promotion(True, f"{measured} ({rate:.0%}, the bar is {bar:.0%})")
