"""ASGI middleware that refuses request bodies over a size limit or not valid UTF-8, before
any route reads them. Bodies are buffered (they are small by construction) and replayed."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_TEXTUAL = (b"application/json", b"application/x-www-form-urlencoded", b"text/")


async def _send_problem(send: Send, status: int, title: str, detail: str, code: str) -> None:
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
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyGuard:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_problem(
                send,
                413,
                "Request too large",
                f"the body has {int(declared)} bytes; the limit is {self.max_bytes}",
                "request_too_large",
            )
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _send_problem(
                    send,
                    413,
                    "Request too large",
                    f"the body is over the limit of {self.max_bytes} bytes",
                    "request_too_large",
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"").lower()
        if body and content_type.startswith(_TEXTUAL):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                await _send_problem(
                    send,
                    400,
                    "Input is not valid UTF-8",
                    f"byte {exc.start} of the body is not valid UTF-8",
                    "undecodable_input",
                )
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
