"""purgatory's breaker repository in Redis through coredis, so that every worker sees one state
per back-office operation. (purgatory's own Redis repository needs the ``redis`` package;
warmline speaks to Redis with coredis, as ``services/shared_state.py`` does.)

Keys (``prefix`` is ``WARMLINE_REDIS_PREFIX``, ``warmline:``):

- ``breakers``: a set of the operations' names;
- ``breaker:<operation>``: a hash: ``threshold``, ``ttl`` (seconds open), ``state``
  (``closed``, ``opened``, ``half-opened``), ``opened_at`` (epoch seconds, absent when closed)
  and ``failures`` (failed calls in a row, raised with HINCRBY by any worker).

Redis away: the calls are not refused; each worker goes on with its own breakers (the last
state it read, in memory) and logs a warning at most once a minute; ``failures`` counts the
Redis errors. The next successful read of Redis replaces the worker's own view.
"""

from __future__ import annotations

import logging
import time

from coredis import Redis
from coredis.exceptions import RedisError
from purgatory.domain.model import Context
from purgatory.service._async.repository import AsyncAbstractRepository, AsyncInMemoryRepository
from purgatory.typing import StateName

log = logging.getLogger("warmline.breakers")
STORE_ERRORS = (RedisError, OSError, TimeoutError)
TIMEOUT_S = 1.0
WARN_EVERY_S = 60.0


def _state_name(value: str) -> StateName:
    return "opened" if value == "opened" else "half-opened" if value == "half-opened" else "closed"


class RedisBreakerRepository(AsyncAbstractRepository):
    def __init__(self, url: str, prefix: str = "warmline:") -> None:
        self.redis: Redis[str] = Redis.from_url(
            url, decode_responses=True, connect_timeout=TIMEOUT_S, stream_timeout=TIMEOUT_S
        )
        self.prefix = prefix
        self.messages = []
        self.local = AsyncInMemoryRepository()  # this worker's view while Redis is away
        self.failures = 0
        self._warned_at = -WARN_EVERY_S

    def _key(self, name: str) -> str:
        return f"{self.prefix}breaker:{name}"

    def _failed(self, exc: BaseException) -> None:
        self.failures += 1
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning("circuit breakers: Redis failed (%s); each worker goes on alone", exc)

    async def get(self, name: str) -> Context | None:
        try:
            data = await self.redis.hgetall(self._key(name))
        except STORE_ERRORS as exc:
            self._failed(exc)
            return await self.local.get(name)
        if not data:
            return None
        opened_at = data.get("opened_at")
        context = Context(
            name,
            int(data.get("threshold", "5")),
            float(data.get("ttl", "30")),
            state=_state_name(data.get("state", "closed")),
            failure_count=int(data.get("failures", "0")),
            opened_at=float(opened_at) if opened_at else None,
        )
        self.local.breakers[name] = context
        return context

    async def register(self, context: Context) -> None:
        """Add the breaker unless another worker did: its state and failures are kept."""
        await self.local.register(context)
        key = self._key(context.name)
        try:
            await self.redis.hset(key, {"threshold": context.threshold, "ttl": context.ttl})
            await self.redis.hsetnx(key, "state", context.state)
            await self.redis.hsetnx(key, "failures", 0)
            await self.redis.sadd(f"{self.prefix}breakers", [context.name])
        except STORE_ERRORS as exc:
            self._failed(exc)

    async def update_state(self, name: str, state: str, opened_at: float | None) -> None:
        key = self._key(name)
        try:
            if opened_at is None:
                await self.redis.hset(key, {"state": state})
                await self.redis.hdel(key, ["opened_at"])
            else:
                await self.redis.hset(key, {"state": state, "opened_at": opened_at})
        except STORE_ERRORS as exc:
            self._failed(exc)

    async def inc_failures(self, name: str, failure_count: int) -> None:
        try:
            await self.redis.hincrby(self._key(name), "failures", 1)
        except STORE_ERRORS as exc:
            self._failed(exc)

    async def reset_failure(self, name: str) -> None:
        try:
            await self.redis.hset(self._key(name), {"failures": 0})
        except STORE_ERRORS as exc:
            self._failed(exc)

    async def names(self) -> set[str]:
        try:
            return set(await self.redis.smembers(f"{self.prefix}breakers"))
        except STORE_ERRORS as exc:
            self._failed(exc)
            return set(self.local.breakers)

    async def aclose(self) -> None:
        """coredis closes its connections when the client goes; nothing is held open here."""
