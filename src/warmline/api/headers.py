"""ASGI middleware: security headers on every response.

- ``Content-Security-Policy``: scripts, styles, images and connections from this origin only
  (no inline script, no inline style: htmx's indicator styles are off in ``base.html``), forms
  post here only, and ``frame-ancestors 'none'``, except that the customer's pages (``/`` and
  ``/chat...``) may be framed by ``WARMLINE_EMBED_ORIGINS``. The API page (``/docs``)
  loads Swagger UI from this server (``web/api_docs.py``) with no inline script; its policy
  adds only the inline styles Swagger UI sets.
- ``X-Frame-Options: DENY`` where nothing may frame the page (older browsers),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``, a
  ``Permissions-Policy`` that turns off camera, microphone, geolocation, payment and USB,
  ``Cross-Origin-Opener-Policy: same-origin``.
- ``Strict-Transport-Security`` when the request came over TLS, or ``WARMLINE_BEHIND_TLS_PROXY``
  says a TLS proxy is in front."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs",)
EMBEDDABLE = ("/chat",)
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"


Headers = list[tuple[bytes, bytes]]


class SecurityHeaders:
    """The headers depend only on the kind of path and the scheme, so the few lists are
    built once, encoded, at start."""

    def __init__(self, app: ASGIApp, embed_origins: list[str], behind_tls_proxy: bool) -> None:
        self.app = app
        self.embed_origins = embed_origins
        self.behind_tls_proxy = behind_tls_proxy
        self._encoded: dict[tuple[str, bool], Headers] = {
            (kind, tls): _encode(self._headers(kind, tls))
            for kind in ("docs", "embeddable", "page")
            for tls in (False, True)
        }

    def _embeddable(self, path: str) -> bool:
        return bool(self.embed_origins) and (path == "/" or path.startswith(EMBEDDABLE))

    def _kind(self, path: str) -> str:
        if path.startswith(DOCS_PATHS):
            return "docs"
        return "embeddable" if self._embeddable(path) else "page"

    def _headers(self, kind: str, tls: bool) -> dict[str, str]:
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Permissions-Policy": PERMISSIONS,
            "Cross-Origin-Opener-Policy": "same-origin",
        }
        if kind == "docs":
            headers["Content-Security-Policy"] = DOCS_POLICY
            headers["X-Frame-Options"] = "DENY"
        elif kind == "embeddable":
            ancestors = " ".join(["'self'", *self.embed_origins])
            headers["Content-Security-Policy"] = f"{BASE_POLICY}; frame-ancestors {ancestors}"
        else:
            headers["Content-Security-Policy"] = f"{BASE_POLICY}; frame-ancestors 'none'"
            headers["X-Frame-Options"] = "DENY"
        if tls:
            headers["Strict-Transport-Security"] = HSTS
        return headers

    def _tls(self, scope: Scope) -> bool:
        return scope.get("scheme") == "https" or self.behind_tls_proxy

    def headers(self, scope: Scope) -> dict[str, str]:
        """The security headers of a response to the request ``scope``."""
        return self._headers(self._kind(scope["path"]), self._tls(scope))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._encoded[self._kind(scope["path"]), self._tls(scope)]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw.extend(item for item in extra if item[0] not in present)
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _encode(headers: dict[str, str]) -> Headers:
    """Header names lower-cased and encoded as ASGI sends them."""
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]
