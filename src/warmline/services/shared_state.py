"""Who is on shift and what each agent has read, shared by every worker through Redis
(``WARMLINE_REDIS_URL``).

The console and the handoff service ask these stores synchronously, in the middle of a
request; Redis is asked asynchronously. So each worker keeps a mirror in its memory, the same
``Presence`` and ``ReadMarks`` as one process uses: a change is made in the mirror at once and
written to Redis in order by one background task, which also reads Redis back into the mirror
(every ``refresh_s``, a second by default). What another worker changes is seen here within
about a second; what this worker changes, at once.

Keys (``prefix`` is ``WARMLINE_REDIS_PREFIX``, ``warmline:``):

- ``presence:agents``: a set of the agents on shift;
- ``presence:agent:<name>``: JSON ``{"skills": [...], "capacity": n}``, expiring ``ttl_s``
  after the agent's last change (a worker that died, or a browser left open, does not keep an
  agent on shift for good; an agent at work is put back by the console's next request);
- ``presence:active:<name>``: a hash, conversation -> claimed at (epoch seconds), same expiry;
- ``presence:handle_times``: a list of the latest 200 observed handle times (seconds);
- ``read:<name>``: a hash, conversation -> lines seen (only ever raised), expiring 30 days after
  the agent's last mark.

Redis away: writes and reads fail, each counted (``failures``) and logged as a warning at most
once a minute; the mirror goes on as this worker's own view (as with one process) and the next
successful read replaces it. A change made during the outage is not written again."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from coredis import PureToken, Redis
from coredis.exceptions import RedisError

from warmline.services.console_unread import ReadMarks
from warmline.services.presence import AgentPresence, Presence
from warmline.types import Clock

log = logging.getLogger("warmline.shared_state")
STORE_ERRORS = (RedisError, OSError, TimeoutError)
WARN_EVERY_S = 60.0
TIMEOUT_S = 2.0  # a Redis that does not answer fails a round, not the worker
HANDLE_TIMES = 200
READ_TTL_S = 30 * 24 * 3600
RAISE_MARK = """
local seen = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > seen then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""
Write = Callable[[], Awaitable[Any]]


class SharedStore:
    """One Redis client with a prefix, and one background task that writes in order and reads
    back: ``write`` queues a change, ``readers`` are called after the queue is empty."""

    def __init__(self, url: str, prefix: str = "warmline:", refresh_s: float = 1.0) -> None:
        self.redis: Redis[str] = Redis.from_url(
            url, decode_responses=True, connect_timeout=TIMEOUT_S, stream_timeout=TIMEOUT_S
        )
        self.prefix, self.refresh_s = prefix, refresh_s
        self.failures = 0
        self.readers: list[Callable[[], Awaitable[None]]] = []
        self._queue: asyncio.Queue[Write] = asyncio.Queue()
        self._warned_at = -WARN_EVERY_S

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def write(self, write: Write) -> None:
        self._queue.put_nowait(write)

    def pending(self) -> bool:
        return not self._queue.empty()

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        if time.monotonic() - self._warned_at >= WARN_EVERY_S:
            self._warned_at = time.monotonic()
            log.warning(
                "presence and read marks: Redis cannot be reached (%d failures so far); "
                "this worker goes on with its own view: %r",
                self.failures,
                exc,
            )

    async def sync(self) -> None:
        """Write what is queued, then read every store back (a failure is counted, logged,
        and leaves the mirror as it is)."""
        while not self._queue.empty():
            write = self._queue.get_nowait()
            try:
                await write()
            except STORE_ERRORS as exc:
                self.failed(exc)
        for read in self.readers:
            try:
                await read()
            except STORE_ERRORS as exc:
                self.failed(exc)

    async def run(self) -> None:
        """``sync`` for ever, every ``refresh_s``."""
        while True:
            await self.sync()
            await asyncio.sleep(self.refresh_s)


class SharedPresence(Presence):
    """``Presence`` mirrored in Redis (see the module's notes)."""

    def __init__(
        self, clock: Clock, store: SharedStore, default_capacity: int = 3, ttl_s: int = 43200
    ) -> None:
        super().__init__(clock, default_capacity)
        self.store, self.ttl_s = store, ttl_s
        store.readers.append(self.read)

    def _keys(self, agent: str) -> tuple[str, str]:
        return self.store.key("presence", "agent", agent), self.store.key(
            "presence", "active", agent
        )

    def sign_in(
        self, agent: str, skills: tuple[str, ...] = (), capacity: int | None = None
    ) -> None:
        """As ``Presence.sign_in``; a bare ``sign_in(agent)`` (the console putting back an agent
        it does not see on shift) writes only when Redis has no entry for them, so it never
        replaces the skills and capacity chosen at sign-in on another worker."""
        super().sign_in(agent, skills, capacity)
        shown = self.agents[agent]
        info = json.dumps({"skills": sorted(shown.skills), "capacity": shown.capacity})
        redis, (info_key, active_key) = self.store.redis, self._keys(agent)
        bare = not skills and capacity is None
        only_new: Literal[PureToken.NX] | None = PureToken.NX if bare else None

        async def write() -> None:
            await redis.set(info_key, info, condition=only_new, ex=self.ttl_s)
            await redis.expire(info_key, self.ttl_s)
            await redis.sadd(self.store.key("presence", "agents"), [agent])
            await redis.expire(active_key, self.ttl_s)

        self.store.write(write)

    def sign_out(self, agent: str) -> None:
        super().sign_out(agent)
        redis = self.store.redis

        async def write() -> None:
            await redis.srem(self.store.key("presence", "agents"), [agent])
            await redis.delete([self._keys(agent)[0]])

        self.store.write(write)

    def assign(self, agent: str, conversation_id: str) -> None:
        super().assign(agent, conversation_id)
        claimed = self.agents[agent].active[conversation_id]
        redis, (info_key, active_key) = self.store.redis, self._keys(agent)

        async def write() -> None:
            await redis.hset(active_key, {conversation_id: str(claimed)})
            await redis.expire(active_key, self.ttl_s)
            await redis.expire(info_key, self.ttl_s)

        self.store.write(write)

    def release(self, agent: str, conversation_id: str) -> None:
        super().release(agent, conversation_id)
        redis, now, (_, active_key) = self.store.redis, self._now(), self._keys(agent)
        times = self.store.key("presence", "handle_times")

        async def write() -> None:
            started = await redis.hget(active_key, conversation_id)
            if started is not None and await redis.hdel(active_key, [conversation_id]):
                await redis.lpush(times, [str(now - float(started))])
                await redis.ltrim(times, 0, HANDLE_TIMES - 1)

        self.store.write(write)

    async def read(self) -> None:
        """Replace the mirror with what Redis holds (unless a change is waiting to be
        written: the next round reads it back)."""
        redis = self.store.redis
        names = sorted(await redis.smembers(self.store.key("presence", "agents")))
        agents: dict[str, AgentPresence] = {}
        for name in names:
            info_key, active_key = self._keys(name)
            info = await redis.get(info_key)
            if info is None:  # expired: off shift
                await redis.srem(self.store.key("presence", "agents"), [name])
                continue
            data = json.loads(info)
            active = {c: float(t) for c, t in (await redis.hgetall(active_key)).items()}
            agents[name] = AgentPresence(
                name, frozenset(data["skills"]), int(data["capacity"]), active
            )
        times = await redis.lrange(self.store.key("presence", "handle_times"), 0, -1)
        if not self.store.pending():
            self.agents = agents
            self.handle_times = [float(t) for t in reversed(times)]


class SharedReadMarks(ReadMarks):
    """``ReadMarks`` mirrored in Redis: a mark is written at once; the marks of the agents
    this worker was asked about are read back every round."""

    def __init__(self, store: SharedStore) -> None:
        super().__init__()
        self.store = store
        self._agents: set[str] = set()
        store.readers.append(self.read)

    def mark(self, agent: str, conversation_id: str, lines: int) -> None:
        super().mark(agent, conversation_id, lines)
        self._agents.add(agent)
        key, redis = self.store.key("read", agent), self.store.redis

        async def write() -> None:
            await redis.eval(RAISE_MARK, [key], [conversation_id, lines, READ_TTL_S])

        self.store.write(write)

    def seen(self, agent: str, conversation_id: str) -> int:
        self._agents.add(agent)
        return super().seen(agent, conversation_id)

    async def read(self) -> None:
        for agent in sorted(self._agents):
            marks = await self.store.redis.hgetall(self.store.key("read", agent))
            for conversation_id, lines in marks.items():
                key = (agent, conversation_id)
                self._seen[key] = max(int(lines), self._seen.get(key, 0))
