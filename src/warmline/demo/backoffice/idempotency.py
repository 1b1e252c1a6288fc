"""``Idempotency-Key`` for writes: the first response under a key is stored and replayed.

A write (POST, PUT, PATCH, DELETE) carrying the header runs at most once per key: later
requests with that key get the stored status and body back, with ``Idempotent-Replayed: true``.
Responses of 500 and above are not stored, so a failed attempt may be retried with the same
key. Reusing a key for a different request (method, path or body) is refused with 422.
Requests with one key are serialised; ``clear()`` (``POST /_admin/reset``) forgets all keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
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


class IdempotencyCache:
    def __init__(self) -> None:
        self.responses: dict[str, StoredResponse] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    def clear(self) -> None:
        self.responses.clear()
        self.locks.clear()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, cache: IdempotencyCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key(scope)
        if key is None:
            await self.app(scope, receive, send)
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
        if 0 < status < 500:
            self.cache.responses[key] = StoredResponse(fp, status, headers, b"".join(chunks))


def _key(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
        return None
    if scope["path"].startswith("/_") or _is_dry_run(scope):
        return None
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
