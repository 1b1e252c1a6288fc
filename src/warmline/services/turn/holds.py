"""Anomaly holds after a turn: once the record stage has appended it, the writes the turn
proposed or ran are counted, and an action whose volume jumped is put on hold for every
customer from the next turn on (``services/anomaly.py``). The holds in force are read by the
perceive stage before the guide runs (``Perceiver.on_hold``), so the policy neither proposes
nor runs a held write (``policy/anomaly.py``).

The counting recorder wraps the record stage, so the orchestrator runs it where it runs that
stage: ``services/runtime.py`` puts it in place when it builds the conversation service."""

from __future__ import annotations

import logging
from typing import Any

from warmline.domain.decision import Decision
from warmline.errors import WarmlineError
from warmline.services.anomaly import AnomalyGuard
from warmline.services.turn.context import Turn, TurnResult
from warmline.services.turn.record import Recorder

log = logging.getLogger("warmline.anomaly")


class CountingRecorder(Recorder):
    """The record stage, then the turn's writes counted (and held when their volume jumped).
    The turn is recorded whatever the count does: a count that fails is logged as an error."""

    def __init__(self, inner: Recorder, guard: AnomalyGuard) -> None:
        # wraps a built stage rather than building another: the inner one keeps its state
        self.inner, self.guard = inner, guard

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def record(self, turn: Turn, decision: Decision | None) -> TurnResult:
        result = await self.inner.record(turn, decision)
        try:
            await self.guard.count(turn.pack, result.events)
        except WarmlineError:
            log.exception("could not count the writes of conversation %s", turn.conversation_id)
        return result
