"""The back offices of one benchmark run: the bot's (every write it makes recorded through a
transport wrapper) and the gold one (the task's gold calls replayed on a fresh copy)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from warmline.demo.backoffice.app import create_app

from .scoring import Tables, ToolRequest, Write, snapshot


def _is_dry_run(request: httpx.Request, body: Any) -> bool:
    if request.url.params.get("dry_run", "").lower() in {"1", "true", "yes"}:
        return True
    return isinstance(body, dict) and bool(body.get("dry_run"))


def _body(request: httpx.Request) -> Any:
    if not request.content:
        return None
    try:
        return json.loads(request.content)
    except ValueError:
        return request.content.decode("utf-8", "replace")


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes every request on; records each non-GET, non-dry-run request to the data routes
    (not ``/_admin``): those answered 2xx in ``writes``, the others in ``refused``."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.writes: list[Write] = []
        self.refused: list[Write] = []
        self.log: list[Write] = []

    def clear(self) -> None:
        self.writes, self.refused, self.log = [], [], []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        path = request.url.raw_path.decode("ascii")
        if request.method == "GET" or path.startswith("/_admin"):
            return response
        body = _body(request)
        if _is_dry_run(request, body):
            return response
        write = Write(request.method, path, body, response.status_code)
        (self.writes if response.status_code < 400 else self.refused).append(write)
        self.log.append(write)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class GoldReplay:
    """A task's gold end state and how many of its gold calls write."""

    state: Tables
    writes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def gold_writes(tool_request: ToolRequest, domain: str, actions: list[dict[str, Any]]) -> list[str]:
    """The names of the gold calls that write, in order."""
    names = []
    for action in actions:
        request = tool_request(domain, action["name"], action.get("kwargs", {}))
        if request is not None and request[0] != "GET":
            names.append(action["name"])
    return names


class GoldBackOffice:
    """A second reference back office on which gold calls are replayed."""

    def __init__(self, tool_request: ToolRequest) -> None:
        self.app: FastAPI = create_app()
        self.tool_request = tool_request
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://gold-backoffice"
        )

    async def replay(self, domain: str, actions: list[dict[str, Any]]) -> GoldReplay:
        await self.client.post("/_admin/reset")
        result = GoldReplay(state={})
        for action in actions:
            request = self.tool_request(domain, action["name"], action.get("kwargs", {}))
            if request is None:
                continue
            method, path, body = request
            response = await self.client.request(method, path, json=body)
            if method != "GET":
                result.writes.append(action["name"])
            if response.status_code >= 400:
                result.failed.append(f"{action['name']}: {response.status_code} {response.text}")
        result.state = snapshot(self.app.state.store, domain)
        return result

    async def aclose(self) -> None:
        await self.client.aclose()
