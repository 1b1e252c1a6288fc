"""HTTP client of a back office (the reference one in ``warmline.demo.backoffice`` or a real one).

Domain packs declare their actions as a method and a path template; the actions runtime fills
the template and calls ``BackOfficeClient.request``. Everything that can go wrong on the wire is
translated here, so no ``httpx`` exception ever leaves this module:

=====================================  ===========================================
timeout, refused connection, 5xx, 503  ``BackOfficeUnavailable``
404                                    ``BackOfficeNotFound`` (message: the reason)
409, 422                               ``BackOfficeRejected`` (message: the reason,
                                       ``rule``: the rule id, or None)
other 4xx, a body that is not a JSON   ``ConnectorError``
object
=====================================  ===========================================

Retries (tenacity, bounded, short exponential backoff) only where a repeat cannot apply a change
twice: reads (GET, HEAD) and writes that carry an ``Idempotency-Key``. A write without a key is
sent exactly once.

The client keeps no cookies (one client serves every customer of a worker) and at most
``POOL_LIMITS`` idle connections.

Circuit breakers (purgatory, ``connectors/breakers.py``), one per operation: ``read`` for
reads, ``write`` for writes, or the name the caller gives (the actions runtime names each pack
write, ``write:<pack>.<action>``). A breaker counts calls that end unavailable (after their
retries) and calls slower than ``slow_call_s`` (2 s by default; their answer is still
returned): after ``circuit_threshold`` in a row it opens and every call of that operation fails
at once with ``BackOfficeCircuitOpen`` for ``circuit_open_s`` seconds; then calls go through
again, the first failure or slow call reopens it and a success closes it. Refusals, missing
records and other answers of a working back office never count. With ``redis_url`` the
breakers' state is shared by every worker. ``breaker_states()`` shows them all.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx
from purgatory.domain.model import OpenedState
from pydantic import BaseModel, Field
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from warmline.connectors.breakers import Breakers, BreakerState
from warmline.errors import (
    BackOfficeCircuitOpen,
    BackOfficeNotFound,
    BackOfficeRejected,
    BackOfficeUnavailable,
    ConnectorError,
)

SAFE_METHODS = frozenset({"GET", "HEAD"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"  # the stored answer of an earlier call under the key
# httpcore checks every pooled connection (a poll of its socket; and, for each idle one, a count
# of the whole pool) each time a call starts or ends, so the pool keeps no more idle
# connections than a worker's calls in flight usually need: at most 10 (httpx keeps 20), and
# none idle for over 2 s (httpx: 5 s, as long as uvicorn keeps one open), so the connections a
# burst left go soon. A burst still opens up to 100 connections at once (as httpx).
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=10, keepalive_expiry=2.0)


def http_transport() -> httpx.AsyncHTTPTransport:
    """httpx's own transport with the connector's pool limits (``POOL_LIMITS``)."""
    return httpx.AsyncHTTPTransport(limits=POOL_LIMITS)


class _NoCookies(httpx.Cookies):
    """A jar that keeps nothing. One client calls the back office for every customer of the
    worker, so a cookie set in an answer to one call must not ride along with the next
    customer's; and reading ``Set-Cookie`` costs a URL parse per call."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _Client(httpx.AsyncClient):
    """``httpx.AsyncClient`` whose cookie jar is always empty (``_NoCookies``)."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise TypeError("the back-office client keeps no cookies")


_NO_COOKIES = _NoCookies()


class BackOfficeClientConfig(BaseModel):
    base_url: str = Field(description="base URL of the back office, e.g. http://127.0.0.1:8765")
    timeout_s: float = Field(5.0, gt=0, le=120, description="timeout of one HTTP attempt")
    retries: int = Field(2, ge=0, le=5, description="extra attempts of a retryable call")
    backoff_s: float = Field(0.1, ge=0, le=5, description="first wait between attempts")
    circuit_threshold: int = Field(5, ge=1, description="unavailable calls in a row that open it")
    circuit_open_s: float = Field(30.0, gt=0, description="how long the circuit stays open")
    slow_call_s: float | None = Field(
        2.0, gt=0, description="a call slower than this counts as a failure; None: never"
    )
    redis_url: str | None = Field(None, description="share the breakers' state through Redis")
    redis_prefix: str = Field("warmline:", description="prefix of the breakers' Redis keys")


class BackOfficeClient:
    """One ``httpx.AsyncClient`` to one back office; use as an async context manager."""

    def __init__(
        self,
        base_url: str,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        retries: int = 2,
        backoff_s: float = 0.1,
        circuit_threshold: int = 5,
        circuit_open_s: float = 30.0,
        slow_call_s: float | None = 2.0,
        redis_url: str | None = None,
        redis_prefix: str = "warmline:",
    ) -> None:
        self.config = BackOfficeClientConfig(
            base_url=base_url,
            timeout_s=timeout_s,
            retries=retries,
            backoff_s=backoff_s,
            circuit_threshold=circuit_threshold,
            circuit_open_s=circuit_open_s,
            slow_call_s=slow_call_s,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
        )
        self.breakers = Breakers(
            circuit_threshold,
            circuit_open_s,
            slow_call_s,
            exclude=[
                (ConnectorError, lambda exc: not isinstance(exc, BackOfficeUnavailable)),
            ],
            redis_url=redis_url,
            redis_prefix=redis_prefix,
        )
        self._client = _Client(
            base_url=base_url,
            timeout=httpx.Timeout(timeout_s),
            transport=http_transport() if transport is None else transport,
            headers={"Accept": "application/json"},
        )
        base = self._client.base_url
        # A call's URL is built as one absolute URL: httpx parses a relative one and then the
        # base joined with it again (the same URL, twice the parsing). "//" at the start of a
        # path, or a base with a query, keep httpx's own join.
        self._prefix = None if base.query or base.fragment else f"{str(base).rstrip('/')}/"

    @classmethod
    def from_config(
        cls, config: BackOfficeClientConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> BackOfficeClient:
        return cls(
            config.base_url,
            config.timeout_s,
            transport,
            retries=config.retries,
            backoff_s=config.backoff_s,
            circuit_threshold=config.circuit_threshold,
            circuit_open_s=config.circuit_open_s,
            slow_call_s=config.slow_call_s,
            redis_url=config.redis_url,
            redis_prefix=config.redis_prefix,
        )

    async def __aenter__(self) -> BackOfficeClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()
        await self.breakers.aclose()

    async def breaker_states(self) -> dict[str, BreakerState]:
        """Each operation's breaker (closed, open or half-open, failures in a row, opened at)."""
        return await self.breakers.states()

    async def circuit_open(self, operation: str) -> bool:
        """True while calls of ``operation`` would fail at once (its breaker is open)."""
        return await self.breakers.is_open(operation)

    async def get(self, path: str) -> dict[str, Any]:
        return await self.request("GET", path)

    async def health(self) -> bool:
        """True when ``GET /_health`` answers 200 now (one attempt, no retry, never raises)."""
        try:
            response = await self._client.get("/_health")
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError):
            return False
        return response.status_code == 200

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        operation: str | None = None,
    ) -> dict[str, Any]:
        """Send one call and return its JSON object; raise only warmline's connector errors.
        ``operation`` names the breaker (default: ``read`` or ``write`` by the method)."""
        name = operation or ("read" if method.upper() in SAFE_METHODS else "write")
        try:
            return await self.breakers.call(
                name, lambda: self._retrying(method, path, json, idempotency_key)
            )
        except OpenedState:
            raise BackOfficeCircuitOpen(
                f"back office circuit open ({name}) after {self.config.circuit_threshold} failed "
                f"or slow calls; calls resume in at most {self.config.circuit_open_s:.0f} s"
            ) from None

    async def _retrying(
        self,
        method: str,
        path: str,
        json: dict[str, Any] | None,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        method = method.upper()
        headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else {}
        url = _escape(path)
        if method not in SAFE_METHODS and not idempotency_key:
            return await self._once(method, url, json, headers)
        try:
            return await self._once(method, url, json, headers)
        except BackOfficeUnavailable as exc:
            failed: BackOfficeUnavailable | None = exc
        # The first attempt runs outside the retry loop: most calls succeed at once, and setting
        # up tenacity's loop costs about 30 us a call. The loop starts with that failure.
        result: dict[str, Any] = {}
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.config.retries + 1),
            wait=wait_exponential(multiplier=self.config.backoff_s, max=2.0),
            retry=retry_if_exception_type(BackOfficeUnavailable),
            reraise=True,
        ):
            with attempt:
                if failed is not None:
                    first, failed = failed, None
                    raise first
                result = await self._once(method, url, json, headers)
        return result

    async def _once(
        self, method: str, url: str, body: dict[str, Any] | None, headers: dict[str, str]
    ) -> dict[str, Any]:
        where = f"{method} {url}"
        target = url if self._prefix is None or url.startswith("//") else self._prefix + url[1:]
        try:
            response = await self._client.request(method, target, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise BackOfficeUnavailable(f"back office timed out: {where}") from exc
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise BackOfficeUnavailable(
                f"back office unreachable: {where} ({type(exc).__name__})"
            ) from exc
        return _translate(response, where)


class Replayed(dict[str, Any]):
    """The JSON object of an answer the back office replayed: stored for an earlier call under
    the same ``Idempotency-Key`` (``Idempotent-Replayed: true``), so it tells what that call
    did then, not how things stand now (a hold it placed may have been released since)."""


def replayed(answer: dict[str, Any]) -> bool:
    """Whether ``answer`` (from ``BackOfficeClient.request``) is a replayed one."""
    return isinstance(answer, Replayed)


def _escape(path: str) -> str:
    """Make a filled path template safe: ``#`` (retail order ids) is data, never a fragment."""
    path = path.replace("#", "%23")
    return path if path.startswith("/") else f"/{path}"


def _body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _translate(response: httpx.Response, where: str) -> dict[str, Any]:
    status = response.status_code
    body = _body(response)
    reason = str(body.get("reason") or "") if body else ""
    if status >= 500:
        raise BackOfficeUnavailable(
            f"back office answered {status}: {where}", detail=reason or None
        )
    if status == 404:
        raise BackOfficeNotFound(reason or f"not found: {where}")
    if status in (409, 422):
        rule = body.get("rule") if body else None
        error = BackOfficeRejected(reason or f"the back office refused {where} ({status})")
        error.rule = str(rule) if rule else None
        raise error
    if status >= 400:
        raise ConnectorError(f"back office answered {status}: {where}", detail=reason or None)
    if body is None:
        raise ConnectorError(f"back office answered {status} without a JSON object: {where}")
    if response.headers.get(REPLAYED_HEADER, "").lower() == "true":
        return Replayed(body)
    return body
