"""The console's back-office line (``/console/backoffice``, any signed-in agent): each
operation's circuit breaker in words, loaded and refreshed by the console's home page as the
holds badge is. An open write breaker means the bot proposes nothing of that write (its
promises are paused, ``docs/resilience.md``); the agent reads here which, and until when.
The states come from the connector's ``breaker_states()``: with Redis, every worker's."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from warmline.api.deps import RuntimeDep
from warmline.web.console_common import ConsoleAgent, render

router = APIRouter(include_in_schema=False)
WRITE = "write:"


class Breaker(Protocol):
    """What the panel reads of one breaker (the connector's ``BreakerState``)."""

    @property
    def state(self) -> str: ...
    @property
    def failures(self) -> int: ...
    @property
    def opened_at(self) -> float | None: ...
    @property
    def threshold(self) -> int: ...
    @property
    def open_s(self) -> float: ...


@dataclass(frozen=True)
class BreakerLine:
    """One operation's breaker as the console says it."""

    operation: str
    state: str  # closed, open, half-open
    detail: str
    calm: bool  # closed, and no failed or slow call since it last succeeded

    @property
    def words(self) -> str:
        return f"{self.state}: {self.detail}"


def calls_of(operation: str) -> str:
    """What an operation's calls are, for a person: ``write:airline.cancel_reservation`` ->
    "writes to cancel_reservation (airline)"."""
    if operation == "read":
        return "reads (accounts, records, previews)"
    if operation.startswith(WRITE):
        pack, _, action = operation[len(WRITE) :].rpartition(".")
        return f"writes to {action} ({pack})" if pack else f"writes to {action}"
    return "writes that name no action" if operation == "write" else f"calls of {operation}"


def _calls(n: int) -> str:
    return f"{n} failed or slow call{'s' if n != 1 else ''}"


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S UTC")


def describe(operation: str, breaker: Breaker, now: float) -> BreakerLine:
    """``breaker`` (state, failures, opened_at, threshold, open_s) in words, at ``now``."""
    state, calls = str(breaker.state), calls_of(operation)
    if state == "open":
        opened = breaker.opened_at if breaker.opened_at is not None else now
        resume = opened + float(breaker.open_s)
        detail = (
            f"{calls} paused after {_calls(breaker.threshold)} in a row, "
            f"calls resume at {_clock(resume)} (in {max(0, round(resume - now))} s)"
        )
    elif state == "half-open":
        detail = (
            f"{calls} are being tried again; the next success closes it, "
            "a failure or a slow call opens it again"
        )
    elif breaker.failures:
        detail = f"{calls} working; {breaker.failures} of {breaker.threshold} failed or slow"
    else:
        detail = f"{calls} working"
    return BreakerLine(operation, state, detail, state == "closed" and not breaker.failures)


def lines(states: Mapping[str, Breaker], now: float) -> list[BreakerLine]:
    """Every breaker in words: open, half-open, then closed (those with failures first)."""
    described = [describe(op, breaker, now) for op, breaker in states.items()]
    order = {"open": 0, "half-open": 1}
    return sorted(described, key=lambda b: (order.get(b.state, 2), b.calm, b.operation))


@router.get("/console/backoffice", response_class=HTMLResponse)
async def backoffice_panel(request: Request, agent: ConsoleAgent, runtime: RuntimeDep) -> Response:
    """The breakers of the back office, in words; one short line when all are closed and
    no call failed."""
    described = lines(await runtime.backoffice.breaker_states(), time.time())
    context = {"lines": described, "calm": all(line.calm for line in described)}
    return render(request, "_console_backoffice.html", context)
