"""Act: run the decided action in the back office (``services/actions.py`` and the connector)
and report what came back as an ``ActionOutcome``: a confirmation first previews what a write
would touch; a confirmed write carries an idempotency key made of the conversation, the proposal
and the action, so a retried turn never applies twice. Errors become outcomes here; what follows
from them is the policy's (``policy/outcomes.py``).

Before a confirmed write runs, its rollout mode (``services/rollout.py``: the pack's, or a
supervisor's) and, for an action with a limit, its amount (a parameter, or its dry run read
again) go to ``policy/rollout.py``: a write it holds is not sent; it is queued for a person in
the console and recorded as ``action_awaiting_approval`` with the reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from warmline.domain.decision import Decision
from warmline.domain.events import ActionAwaitingApproval, ActionExecuted, ActionFailed
from warmline.domain.outcome import ActionOutcome, Failure, Step
from warmline.domain.pack import Action
from warmline.errors import (
    BackOfficeCircuitOpen,
    BackOfficeNotFound,
    BackOfficeRejected,
    ConnectorError,
)
from warmline.policy.rollout import Gate, GatedOutcome, amount_of, gate
from warmline.services.actions import ActionRunner
from warmline.services.rollout import Approval, Rollouts
from warmline.services.turn.context import Turn


async def preview_once(
    runner: ActionRunner, turn: Turn, name: str, params: dict[str, str]
) -> dict[str, Any]:
    """The write's dry run (what it would touch), sent once per turn for the same values: the
    guide's, sent before a confirmation is asked for, is the record the confirmation is worded
    with, unless the turn has held or released stock since (each notes a reason)."""
    kept = turn.previewed
    if kept and kept[:2] == (name, params) and kept[2] is turn.seen.observations:
        return kept[3]
    record = await runner.preview(turn.pack, name, params)
    turn.previewed = (name, dict(params), turn.seen.observations, record)
    return record


class Actor:
    def __init__(self, runner: ActionRunner, rollouts: Rollouts | None = None) -> None:
        self.runner = runner
        self.rollouts = rollouts  # None: the pack's declared modes, and nothing may be held

    async def run(self, turn: Turn, decision: Decision) -> ActionOutcome:
        """Preview the action of a ``confirm``, execute the action of an ``act``."""
        name = decision.action or ""
        params = dict(decision.params)
        if decision.kind == "confirm":
            try:
                record = await preview_once(self.runner, turn, name, params)
            except ConnectorError as exc:
                return failed(name, "preview", params, exc)
            return ActionOutcome(action=name, step="preview", params=params, result=record)
        proposal = decision.proposal if decision.proposal is not None else turn.state.version
        key = f"{turn.conversation_id}:{proposal}:{name}"
        verdict = await self._gate(turn, name, params)
        if verdict.verdict != "run":
            return await self._hold(turn, verdict, name, params, key)
        try:
            result = await self.runner.execute(turn.pack, name, params, key)
        except ConnectorError as exc:
            return failed(name, "execute", params, exc)
        return GatedOutcome(
            action=name,
            step="execute",
            params=params,
            result=result,
            idempotency_key=key,
            rollout=list(verdict.reasons),
        )

    async def _gate(self, turn: Turn, name: str, params: dict[str, str]) -> Gate:
        """The rollout's verdict on the confirmed write: the mode in force and, for an action
        with a limit, the amount (its dry run read again when the amount is in its record)."""
        action = turn.pack.actions[name]
        if action.risk == "read":
            return gate(name, action, "autonomous")
        rollouts = self.rollouts
        mode = await rollouts.mode(turn.pack, name) if rollouts else turn.pack.declared_mode(name)
        record: dict[str, Any] = {}
        source = action.rollout.amount_from or ""
        if mode != "shadow" and source.startswith("record."):
            try:
                record = await self.runner.preview(turn.pack, name, params)
            except ConnectorError:
                record = {}  # no amount: the policy holds the write for a person
        return gate(name, action, mode, amount_of(action, params, record))

    async def _hold(
        self, turn: Turn, verdict: Gate, name: str, params: dict[str, str], key: str
    ) -> ActionOutcome:
        """Queue the write for a person and record why; nothing is sent to the back office."""
        if self.rollouts is None:
            raise RuntimeError("a write is held for approval but no approval queue is wired")
        mode = str(verdict.reasons[0].values.get("mode"))
        approval = Approval(
            0,
            key,
            turn.conversation_id,
            turn.pack.pack,
            name,
            params,
            mode,
            turn.at,
            reasons=[r.model_dump(mode="json") for r in verdict.reasons],
        )
        await self.rollouts.hold(approval)
        turn.add(
            ActionAwaitingApproval(
                at=turn.at,
                action=name,
                params=params,
                mode=approval.mode,  # type: ignore[arg-type]
                idempotency_key=key,
                reasons=list(verdict.reasons),
            )
        )
        held: Literal["approval", "shadow"] = (
            "shadow" if verdict.verdict == "shadow" else "approval"
        )
        return GatedOutcome(
            action=name,
            step="execute",
            params=params,
            idempotency_key=key,
            rollout=list(verdict.reasons),
            held=held,
        )


def failed(name: str, step: Step, params: dict[str, str], exc: ConnectorError) -> ActionOutcome:
    """The outcome of a call the connector refused or could not make."""
    failure: Failure = "unavailable"
    error = exc.code
    if isinstance(exc, BackOfficeRejected):
        failure = "rejected"  # a precondition of the write does not hold (dry run or write)
        error = f"precondition_failed:{exc.rule or 'unknown'}"
    elif isinstance(exc, BackOfficeNotFound):
        failure = "not_found"
    elif isinstance(exc, BackOfficeCircuitOpen):
        failure = "circuit_open"
    return ActionOutcome(
        action=name,
        step=step,
        params=params,
        failure=failure,
        error=error,
        title=exc.title,
        message=exc.public_detail(),
        retryable=not exc.public,
    )


def action_event(
    outcome: ActionOutcome, action: Action, at: datetime
) -> ActionExecuted | ActionFailed | None:
    """The event that records the call; none for a successful preview (the proposal is
    recorded once its wording is known)."""
    if not outcome.ok:
        return ActionFailed(
            at=at,
            action=outcome.action,
            params=outcome.params,
            error=outcome.error,
            reason=outcome.message,
            retryable=outcome.retryable,
        )
    if outcome.step == "preview":
        return None
    gated = outcome if isinstance(outcome, GatedOutcome) else None
    if gated is not None and gated.held is not None:
        return None  # recorded when it was held (``action_awaiting_approval``)
    return ActionExecuted(
        at=at,
        action=outcome.action,
        params=outcome.params,
        risk=action.risk,
        idempotency_key=outcome.idempotency_key if action.risk != "read" else None,
        result=outcome.result,
        reasons=gated.rollout if gated is not None else [],
    )
