"""Circuit breakers per back-office operation (purgatory), opened by failures and by slow calls.

Each operation (``read``, or a pack's write such as ``write:airline.cancel_reservation``) has a
breaker of its own, so a failing or slow write endpoint pauses that write and nothing else. A
call counts as a failure when it raises one of the errors the connector does not exclude (the
back office unavailable after its retries) or when it took longer than ``slow_s`` (the result
of a slow call is still returned: the customer gets it, the breaker learns the back office is
slow). ``threshold`` failures in a row open the breaker: calls then fail at once (purgatory's
``OpenedState``) for ``open_s`` seconds; then one call goes through (half-open): a success
closes the breaker, a failure or a slow call opens it again.

With Redis (``connectors/breaker_redis.py``) the breakers' state is shared by every worker.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar, cast

from purgatory import AsyncAbstractUnitOfWork, AsyncCircuitBreakerFactory, AsyncInMemoryUnitOfWork
from purgatory.domain.model import Context, ExcludeType
from purgatory.service._async.repository import AsyncInMemoryRepository

from warmline.connectors.breaker_redis import RedisBreakerRepository

T = TypeVar("T")
StateName = Literal["closed", "open", "half-open"]
_STATES: dict[str, StateName] = {"closed": "closed", "opened": "open", "half-opened": "half-open"}


@dataclass(frozen=True)
class BreakerState:
    """One operation's breaker as the console and the metrics show it."""

    state: StateName
    failures: int  # failed or slow calls in a row while closed (0 once open)
    opened_at: float | None  # epoch seconds, while open or half-open
    threshold: int
    open_s: float


class _SlowCall(Exception):
    """A signal to the breaker that the call was slow; never raised to a caller."""

    def __init__(self, result: object, elapsed_s: float) -> None:
        super().__init__(f"the call took {elapsed_s:.3f} s")
        self.result = result


class Breakers:
    """The breakers of one back office, keyed by operation."""

    def __init__(
        self,
        threshold: int,
        open_s: float,
        slow_s: float | None,
        exclude: ExcludeType,
        redis_url: str | None = None,
        redis_prefix: str = "warmline:",
    ) -> None:
        self.threshold, self.open_s, self.slow_s = threshold, open_s, slow_s
        uow: AsyncAbstractUnitOfWork = AsyncInMemoryUnitOfWork()
        if redis_url:
            uow = RedisUnitOfWork(RedisBreakerRepository(redis_url, redis_prefix))
        self.factory = AsyncCircuitBreakerFactory(
            default_threshold=threshold, default_ttl=open_s, exclude=exclude, uow=uow
        )

    @property
    def shared(self) -> bool:
        return isinstance(self.factory.uow.contexts, RedisBreakerRepository)

    async def call(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call`` under the breaker of ``operation``; raise ``OpenedState`` while open."""
        try:
            async with await self.factory.get_breaker(operation):
                started = time.perf_counter()
                result = await call()
                elapsed = time.perf_counter() - started
                if self.slow_s is not None and elapsed > self.slow_s:
                    raise _SlowCall(result, elapsed)
                return result
        except _SlowCall as slow:
            return cast(T, slow.result)

    async def is_open(self, operation: str) -> bool:
        """True while the operation's breaker is open and its pause is not over (no call would
        go through now); reads the state without changing it."""
        context = await self.factory.uow.contexts.get(operation)
        return context is not None and _state(context) == "open"

    async def states(self) -> dict[str, BreakerState]:
        """Every operation's breaker seen so far (by any worker, with Redis), by name."""
        contexts = self.factory.uow.contexts
        if isinstance(contexts, RedisBreakerRepository):
            names = await contexts.names()
        else:
            names = set(cast(AsyncInMemoryRepository, contexts).breakers)
        found: dict[str, BreakerState] = {}
        for name in sorted(names):
            context = await contexts.get(name)
            if context is not None:
                state = _state(context)
                found[name] = BreakerState(
                    state=state,
                    failures=int(context.failure_count or 0) if state == "closed" else 0,
                    opened_at=context.opened_at,
                    threshold=int(context.threshold),
                    open_s=float(context.ttl),
                )
        return found

    async def aclose(self) -> None:
        contexts = self.factory.uow.contexts
        if isinstance(contexts, RedisBreakerRepository):
            await contexts.aclose()


def _state(context: Context) -> StateName:
    """The state a new call would find: an open breaker whose pause is over is half-open."""
    state = _STATES.get(str(context.state), "closed")
    opened_at = context.opened_at
    if state == "open" and opened_at is not None and time.time() > opened_at + context.ttl:
        return "half-open"
    return state


class RedisUnitOfWork(AsyncAbstractUnitOfWork):
    """purgatory's unit of work over the coredis repository (every write is applied at once,
    as purgatory's own Redis unit of work does)."""

    def __init__(self, contexts: RedisBreakerRepository) -> None:
        self.contexts = contexts

    async def commit(self) -> None:
        """Nothing to do: each change is written when it happens."""

    async def rollback(self) -> None:
        """Nothing to undo."""
