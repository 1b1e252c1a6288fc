"""Fault injection: latency, random 500s and a full outage, switchable at run time.

``/_admin/*`` is never affected, so a test can always turn the faults off again. An outage
answers 503 everywhere else, ``/_health`` included; latency and the error rate apply to the
data endpoints (``/airline``, ``/retail``) only, so start-up probes stay reliable.
"""

from __future__ import annotations

import asyncio
import json
import random

from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send


class Switches(BaseModel):
    latency_ms: int = Field(0, ge=0, le=60_000, description="sleep before each data request")
    error_rate: float = Field(0.0, ge=0.0, le=1.0, description="share of data requests -> 500")
    outage: bool = Field(False, description="every non-admin endpoint answers 503")


class SwitchBoard:
    """The current switches of one app, and the random source of its error rate."""

    def __init__(self, switches: Switches | None = None, seed: int | None = None) -> None:
        self.switches = switches or Switches()
        self.random = random.Random(seed)

    def fail_now(self) -> bool:
        rate = self.switches.error_rate
        return rate > 0 and self.random.random() < rate


async def _send_json(send: Send, status: int, body: dict[str, str]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class SwitchesMiddleware:
    """Pure ASGI middleware applying the switch board before the request reaches a route."""

    def __init__(self, app: ASGIApp, board: SwitchBoard) -> None:
        self.app = app
        self.board = board

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        switches = self.board.switches
        if switches.outage:
            await _send_json(
                send, 503, {"error": "outage", "reason": "The back office is down for now."}
            )
            return
        if path.startswith(("/airline", "/retail")):
            if switches.latency_ms:
                await asyncio.sleep(switches.latency_ms / 1000)
            if self.board.fail_now():
                await _send_json(
                    send, 500, {"error": "injected_error", "reason": "The back office failed."}
                )
                return
        await self.app(scope, receive, send)
