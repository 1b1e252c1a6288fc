"""``Idempotency-Key`` for writes: the first response under a key is stored and replayed.

A write (POST, PUT, PATCH, DELETE) carrying the header runs at most once per key: later
requests with that key get the stored status and body back, with ``Idempotent-Replayed: true``.
Responses of 500 and above are not stored, so a failed attempt may be retried with the same
key. Reusing a key for a different request (method, path or body) is refused with 422.
Requests with one key are serialised; ``clear()`` (``POST /_admin/reset``) forgets all keys.

Every write that reaches the back office's handlers is counted, with a key or without, per
path (one record's one operation: ``/airline/reservations/4WQ150/cancel``): ``reached`` (the
handler ran), ``applied`` (it answered 2xx: the side effect happened), ``replayed`` (a stored
answer was sent instead, nothing ran); and ``applied`` per key. Dry runs and ``/_admin`` are
not writes. ``GET /_admin/writes`` shows the counts: the proof that retries, resent messages
and double confirmations changed the back office once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADER = b"idempotency-key"


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class WriteCounts:
    """The writes the back office ran, per path, and those applied per idempotency key."""

    reached: Counter[str] = field(default_factory=Counter)
    applied: Counter[str] = field(default_factory=Counter)
    replayed: Counter[str] = field(default_factory=Counter)
    applied_by_key: Counter[str] = field(default_factory=Counter)

    def ran(self, path: str, key: str | None, status: int) -> None:
        self.reached[path] += 1
        if 200 <= status < 300:
            self.applied[path] += 1
            if key is not None:
                self.applied_by_key[key] += 1

    def clear(self) -> None:
        for counts in (self.reached, self.applied, self.replayed, self.applied_by_key):
            counts.clear()

    def report(self) -> dict[str, object]:
        paths = sorted(set(self.reached) | set(self.replayed))
        return {
            "by_path": {
                path: {
                    "reached": self.reached[path],
                    "applied": self.applied[path],
                    "replayed": self.replayed[path],
                }
                for path in paths
            },
            "by_key": dict(sorted(self.applied_by_key.items())),
            "applied": sum(self.applied.values()),
        }


class IdempotencyCache:
    def __init__(self) -> None:
        self.responses: dict[str, StoredResponse] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.writes = WriteCounts()

    def clear(self) -> None:
        self.responses.clear()
        self.locks.clear()
        self.writes.clear()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, cache: IdempotencyCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_write(scope):
            await self.app(scope, receive, send)
            return
        key = _key(scope)
        if key is None:
            await self._counted(scope, receive, send)
            return
        body = await _read_body(receive)
        query = scope.get("query_string", b"").decode("latin-1")
        head = f"{scope['method']} {scope['path']}?{query}\n".encode()
        digest = hashlib.sha256(head + body)
        fingerprint = digest.hexdigest()
        lock = self.cache.locks.setdefault(key, asyncio.Lock())
        async with lock:
            stored = self.cache.responses.get(key)
            if stored is not None:
                if stored.fingerprint == fingerprint:
                    self.cache.writes.replayed[scope["path"]] += 1
                await _replay(send, stored, fingerprint)
                return
            await self._run(scope, body, send, key, fingerprint)

    async def _run(self, scope: Scope, body: bytes, send: Send, key: str, fp: str) -> None:
        sent = False

        async def replay_receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay_receive, capture)
        self.cache.writes.ran(scope["path"], key, status)
        if 0 < status < 500:
            self.cache.responses[key] = StoredResponse(fp, status, headers, b"".join(chunks))

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A write without a key: run it once, as asked, and count it."""
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        self.cache.writes.ran(scope["path"], None, status)


def _is_write(scope: Scope) -> bool:
    """A write to the data: not a read, not ``/_admin`` or ``/_health``, not a dry run."""
    if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
        return False
    return not (scope["path"].startswith("/_") or _is_dry_run(scope))


def _key(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == HEADER and value.strip():
            return str(value.decode("latin-1").strip())
    return None


def _is_dry_run(scope: Scope) -> bool:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return any(
        v.strip().lower() in ("true", "1", "yes", "on", "t", "y") for v in query.get("dry_run", [])
    )


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


async def _replay(send: Send, stored: StoredResponse, fingerprint: str) -> None:
    if stored.fingerprint != fingerprint:
        payload = json.dumps(
            {
                "error": "idempotency_key_reused",
                "rule": "idempotency_key_reused",
                "reason": "This Idempotency-Key was already used for a different request.",
            }
        ).encode()
        status, headers = 422, [(b"content-type", b"application/json")]
    else:
        payload, status = stored.body, stored.status
        headers = [(k, v) for k, v in stored.headers if k.lower() != b"content-length"]
        headers.append((b"idempotent-replayed", b"true"))
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
