"""Act: run the decided action in the back office (``services/actions.py`` and the connector)
and report what came back as an ``ActionOutcome``: a confirmation first previews what a write
would touch; a confirmed write carries an idempotency key made of the conversation, the proposal
and the action, so a retried turn never applies twice. Errors become outcomes here; what follows
from them is the policy's (``policy/outcomes.py``)."""

from __future__ import annotations

from datetime import datetime

from warmline.domain.decision import Decision
from warmline.domain.events import ActionExecuted, ActionFailed
from warmline.domain.outcome import ActionOutcome, Failure, Step
from warmline.domain.pack import Action
from warmline.errors import (
    BackOfficeCircuitOpen,
    BackOfficeNotFound,
    BackOfficeRejected,
    ConnectorError,
)
from warmline.services.actions import ActionRunner
from warmline.services.turn.context import Turn


class Actor:
    def __init__(self, runner: ActionRunner) -> None:
        self.runner = runner

    async def run(self, turn: Turn, decision: Decision) -> ActionOutcome:
        """Preview the action of a ``confirm``, execute the action of an ``act``."""
        name = decision.action or ""
        params = dict(decision.params)
        if decision.kind == "confirm":
            try:
                record = await self.runner.preview(turn.pack, name, params)
            except ConnectorError as exc:
                return failed(name, "preview", params, exc)
            return ActionOutcome(action=name, step="preview", params=params, result=record)
        proposal = decision.proposal if decision.proposal is not None else turn.state.version
        key = f"{turn.conversation_id}:{proposal}:{name}"
        try:
            result = await self.runner.execute(turn.pack, name, params, key)
        except ConnectorError as exc:
            return failed(name, "execute", params, exc)
        return ActionOutcome(
            action=name, step="execute", params=params, result=result, idempotency_key=key
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
    return ActionExecuted(
        at=at,
        action=outcome.action,
        params=outcome.params,
        risk=action.risk,
        idempotency_key=outcome.idempotency_key if action.risk != "read" else None,
        result=outcome.result,
    )
