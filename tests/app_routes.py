"""Every route of an app with its full path and methods, through included routers, so that
authorization tests enumerate the app's routes rather than a hand list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.routing import Route


def app_routes(app: Any) -> Iterator[tuple[str, str]]:
    """(method, path) of every HTTP route of ``app`` (HEAD left out)."""
    yield from _walk(app.routes, "")


def _walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI wraps each included router
            context = getattr(route, "include_context", None)
            yield from _walk(included.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, prefix + route.path
