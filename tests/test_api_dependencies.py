"""The API's dependencies run on the event loop: FastAPI runs a dependency written as a plain
function in its thread pool, a hop to another thread and back on every request."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from warmline.api import agent_routes, metrics, review_routes, routes, stock_webhook

ROUTERS: list[APIRouter] = [
    routes.router,
    agent_routes.router,
    review_routes.router,
    stock_webhook.router,
    metrics.router,
]


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def test_every_dependency_of_the_api_routes_is_a_coroutine_function() -> None:
    api = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    assert any(r.path == "/api/conversations/{conversation_id}/messages" for r in api)
    plain = {
        f"{route.path}: {getattr(call, '__name__', call)}"
        for route in api
        for call in _calls(route.dependant)
        if not inspect.iscoroutinefunction(call)
    }
    assert not plain, f"run in the thread pool on every request: {sorted(plain)}"
