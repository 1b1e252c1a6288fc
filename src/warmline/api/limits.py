"""ASGI middleware that refuses, before any route reads them, request bodies over a size
limit or not valid UTF-8, and text a client may not send (``services/input_text.py``): a lone
surrogate or a control character in the path, in a form field or in any string of a JSON body.
Bodies are buffered (they are small by construction) and replayed."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warmline.services.input_text import bad_character

_TEXTUAL = (b"application/json", b"application/x-www-form-urlencoded", b"text/")


def _strings(value: Any) -> list[str]:
    """Every string in a JSON value: keys and values, at any depth."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def text_problem(texts: list[str], where: str) -> tuple[int, str, str, str] | None:
    """The problem (status, title, detail, code) with the first bad text of ``texts``."""
    for text in texts:
        found = bad_character(text)
        if found is None:
            continue
        position, kind = found
        if kind == "surrogate":
            detail = f"{where} holds a character that is not valid Unicode (position {position})"
            return 400, "Input is not valid UTF-8", detail, "undecodable_input"
        detail = f"{where} holds a control character (position {position})"
        return 422, "Invalid text", detail, "invalid_text"
    return None


def _body_texts(body: bytes, content_type: bytes) -> list[str]:
    text = body.decode("utf-8")
    if content_type.startswith(b"application/json"):
        try:
            return _strings(json.loads(text))
        except ValueError:
            return []  # the route answers malformed JSON
    if content_type.startswith(b"application/x-www-form-urlencoded"):
        return [s for pair in parse_qsl(text, keep_blank_values=True) for s in pair]
    return []


async def send_problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    code: str,
    headers: dict[str, str] | None = None,
) -> None:
    body = json.dumps(
        {
            "type": f"https://warmline.dev/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


Problem = tuple[int, str, str, str]


def _address_problem(scope: Scope) -> Problem | None:
    query = scope.get("query_string", b"").decode("latin-1")
    return text_problem(
        [scope["path"], *(s for pair in parse_qsl(query) for s in pair)], "the address"
    )


def _body_problem(body: bytes, content_type: bytes) -> Problem | None:
    """Why a textual body is refused: not UTF-8, or text a client may not send."""
    if not body or not content_type.startswith(_TEXTUAL):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        detail = f"byte {exc.start} of the body is not valid UTF-8"
        return 400, "Input is not valid UTF-8", detail, "undecodable_input"
    return text_problem(_body_texts(body, content_type), "the request")


class BodyGuard:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, size: int, declared: bool) -> Problem:
        detail = (
            f"the body has {size} bytes; the limit is {self.max_bytes}"
            if declared
            else f"the body is over the limit of {self.max_bytes} bytes"
        )
        return 413, "Request too large", detail, "request_too_large"

    async def _read(self, receive: Receive) -> bytes | Problem | None:
        """The whole body; a problem when it grows over the limit; None on disconnect."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return self._too_large(size, declared=False)
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (problem := _address_problem(scope)) is not None:
            await send_problem(send, *problem)
            return
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await send_problem(send, *self._too_large(int(declared), declared=True))
            return
        body = await self._read(receive)
        if body is None:
            return
        if isinstance(body, tuple):
            await send_problem(send, *body)
            return
        problem = _body_problem(body, headers.get(b"content-type", b"").lower())
        if problem is not None:
            await send_problem(send, *problem)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
