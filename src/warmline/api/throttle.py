"""Rate limits with the ``limits`` library (moving windows): customers starting conversations and
posting messages, per client address (``RateLimits``, an ASGI middleware in front of the API
and the chat page alike), and failed agent sign-ins per name and per address (the console).

The counters live in one ``limits`` storage: each process's memory by default, Redis when
``WARMLINE_REDIS_URL`` is set, so that every worker counts together. A refusal is a 429
problem response with ``Retry-After``.

When the storage (Redis) cannot be reached, ``Throttle`` counts the failure, logs a warning (at
most one a minute) and raises ``StorageError`` (503): a sign-in is refused rather than left
unthrottled. The customers' limits fail open instead: ``RateLimits`` lets the request through,
so a Redis outage never turns a customer's message into an error (docs/scaling.md)."""

from __future__ import annotations

import functools
import logging
import math
import re
import time

import limits
from coredis.exceptions import RedisError
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import ConfigurationError as LimitsConfigurationError
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Receive, Scope, Send

from warmline.api.limits import send_problem
from warmline.api.memory_store import SweptMemoryStorage
from warmline.errors import ConfigurationError, RateLimited, StorageError

log = logging.getLogger("warmline.throttle")

_STARTS = re.compile(r"^/(?:api/conversations|chat)/?$")
_MESSAGES = re.compile(r"^/(?:api/conversations|chat)/[^/]+/messages/?$")
STORE_ERRORS = (RedisError, OSError, TimeoutError)
"""What a storage that cannot be reached raises (coredis' errors, refused connections)."""
WARN_EVERY_S = 60.0


class StoreFailures:
    """Failures of the shared store: counted, and logged as a warning at most once a minute."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.count = 0
        self._warned_at = -WARN_EVERY_S

    def failed(self, exc: BaseException) -> StorageError:
        """Count ``exc``, warn when due, and return the 503 error that says so."""
        self.count += 1
        if time.monotonic() - self._warned_at >= WARN_EVERY_S:
            self._warned_at = time.monotonic()
            log.warning(
                "%s: the shared store cannot be reached (%d failures so far): %r",
                self.what,
                self.count,
                exc,
            )
        return StorageError(f"{self.what} cannot be checked now; try again shortly")


def open_storage(redis_url: str | None) -> Storage:
    """The async ``limits`` storage: Redis at ``redis_url`` (async+redis://), else this
    process's memory, swept once a second (``api/memory_store.py``)."""
    if not redis_url:
        return SweptMemoryStorage()
    try:
        storage = storage_from_string(f"async+{redis_url}")
    except LimitsConfigurationError as exc:
        raise ConfigurationError(f"WARMLINE_REDIS_URL cannot be used: {exc}") from None
    assert isinstance(storage, Storage)
    return storage


@functools.lru_cache(maxsize=64)
def _parsed(rate: str) -> limits.RateLimitItem:
    """A rate such as ``30/minute``, parsed once rather than on every request."""
    return limits.parse(rate)


class Throttle:
    """Moving-window limits over one storage: ``hit`` counts and refuses, ``check`` only
    refuses."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.failures = StoreFailures("the rate limit")

    async def _retry_after(self, item: limits.RateLimitItem, key: tuple[str, ...]) -> int:
        stats = await self.limiter.get_window_stats(item, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def hit(self, rate: str, *key: str) -> None:
        """Count one more under ``rate`` for ``key``; ``RateLimited`` when over it."""
        item = _parsed(rate)
        try:
            allowed = await self.limiter.hit(item, *key)
            wait = 0 if allowed else await self._retry_after(item, key)
        except STORE_ERRORS as exc:
            raise self.failures.failed(exc) from None
        if not allowed:
            raise RateLimited(f"too many requests; try again in {wait} s", wait)

    async def check(self, rate: str, *key: str) -> None:
        """``RateLimited`` when ``key`` has used up ``rate`` already; counts nothing."""
        item = _parsed(rate)
        try:
            allowed = await self.limiter.test(item, *key)
            wait = 0 if allowed else await self._retry_after(item, key)
        except STORE_ERRORS as exc:
            raise self.failures.failed(exc) from None
        if not allowed:
            raise RateLimited(f"too many attempts; try again in {wait} s", wait)


def client_address(scope: Scope) -> str:
    """The client's address as the server sees it (behind a proxy, uvicorn's
    ``--forwarded-allow-ips`` makes it the original client's)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimits:
    """ASGI middleware: per client address, at most ``start_limit`` conversation starts and
    ``message_limit`` messages (``POST /api/conversations``, ``POST /chat`` and their
    ``.../messages``); over it, a 429 problem with ``Retry-After`` before any route runs.
    When the storage cannot be reached the request goes through uncounted (fail open; the
    throttle has counted and logged the failure)."""

    def __init__(
        self, app: ASGIApp, throttle: Throttle, start_limit: str, message_limit: str
    ) -> None:
        self.app = app
        self.throttle = throttle
        self.start_limit = start_limit
        self.message_limit = message_limit

    def _rate(self, scope: Scope) -> tuple[str, str] | None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        path = scope["path"]
        if _STARTS.match(path):
            return "starts", self.start_limit
        if _MESSAGES.match(path):
            return "messages", self.message_limit
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rate = self._rate(scope)
        if rate is not None:
            kind, limit = rate
            try:
                await self.throttle.hit(limit, "warmline", kind, client_address(scope))
            except StorageError:
                pass  # fail open: a customer is not refused for the limiter's outage
            except RateLimited as exc:
                await send_problem(
                    send,
                    exc.status,
                    exc.title,
                    f"too many {kind} from this address; try again in {exc.retry_after_s} s",
                    exc.code,
                    headers=exc.headers,
                )
                return
        await self.app(scope, receive, send)
