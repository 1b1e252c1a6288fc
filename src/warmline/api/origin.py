"""ASGI middleware: a state-changing request (POST, PUT, PATCH, DELETE) that a browser sends
from another origin is refused with a 403 problem before any route runs.

A browser names the page a request comes from in ``Origin`` (or, failing that, ``Referer``);
it must be this server's own origin, or, for the customer's routes (``/api/conversations...``,
``/chat...``), one of ``WARMLINE_EMBED_ORIGINS``. A request with neither header is not a
browser's (a JSON client with its own credentials) and passes; the console's CSRF token
(``api/sessions.py``) guards the agent's routes whatever the headers say."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from warmline.api.limits import send_problem

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CUSTOMER_PREFIXES = ("/api/conversations", "/chat")


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


class OriginCheck:
    def __init__(self, app: ASGIApp, embed_origins: list[str], behind_tls_proxy: bool) -> None:
        self.app = app
        self.embed_origins = frozenset(o.lower() for o in embed_origins)
        self.behind_tls_proxy = behind_tls_proxy

    def _own(self, scope: Scope, headers: dict[bytes, bytes]) -> set[str]:
        host = headers.get(b"host", b"").decode("latin-1").lower()
        own = {f"{scope.get('scheme', 'http')}://{host}"}
        if self.behind_tls_proxy:
            own.add(f"https://{host}")
        return own

    def allowed(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin")
        if origin is not None:
            claimed = origin.decode("latin-1").strip().lower()
        elif b"referer" in headers:
            claimed = _origin_of(headers[b"referer"].decode("latin-1")) or "null"
        else:
            return True  # not a browser's request
        if claimed in self._own(scope, headers):
            return True
        return claimed in self.embed_origins and scope["path"].startswith(CUSTOMER_PREFIXES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in UNSAFE_METHODS
            and not self.allowed(scope)
        ):
            await send_problem(
                send,
                403,
                "Cross-origin request refused",
                "this request comes from a page of another site",
                "cross_origin",
            )
            return
        await self.app(scope, receive, send)
