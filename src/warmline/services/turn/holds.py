"""Holds around a turn: after the perceive stage, the pack's writes on hold are read (so the
policy, deciding next, neither proposes nor runs one: ``policy/anomaly.py``); after the record
stage, the writes the turn proposed or ran are counted, and an action whose volume jumped is
put on hold for every customer from the next turn on (``services/anomaly.py``).

Both wrap the stage they follow, so the orchestrator runs them where it runs that stage:
``services/runtime.py`` puts them in place when it builds the conversation service."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from warmline.domain.decision import Decision
from warmline.errors import WarmlineError
from warmline.services.anomaly import AnomalyGuard
from warmline.services.turn.context import Perception, Turn, TurnResult
from warmline.services.turn.perceive import Perceiver
from warmline.services.turn.record import Recorder

log = logging.getLogger("warmline.anomaly")


class HoldingPerceiver(Perceiver):
    """The perceive stage, then the pack's writes on hold (``turn.seen.holds``)."""

    def __init__(self, inner: Perceiver, guard: AnomalyGuard) -> None:
        # wraps a built stage rather than building another: the inner one keeps its state
        self.inner, self.guard = inner, guard

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def perceive(self, turn: Turn, text: str) -> Perception:
        seen = await self.inner.perceive(turn, text)
        if seen.understanding is None:  # with the team: the bot proposes nothing
            return seen
        holds = await self.guard.holds(turn.pack)
        if holds:
            turn.seen = replace(seen, holds=holds)
        return turn.seen

    async def after_refusal(self, turn: Turn, follow: Decision) -> Decision:
        return await self.inner.after_refusal(turn, follow)


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
