"""Agent sessions: who is signed in, with which role, and whether the session still holds.

The session cookie (``warmline_agent``, signed with the secret key by Starlette's
``SessionMiddleware``) carries the agent's name, a random session id, the agent's sign-out
generation and a CSRF token. Sign-out revokes the session id server-side, and a supervisor's
"sign this agent out" bumps the agent's generation, so an old cookie is useless afterwards even
though its signature is still good. Revocations live in the ``limits`` storage (memory, or
Redis shared by every worker) for as long as a session can live. When that store cannot be
reached, the check fails closed: the request is refused with 503 (``StorageError``) and the
session kept, so a revoked session never comes back to life during a Redis outage, and the
agent carries on once Redis is back (docs/security.md).

The role is read from ``WARMLINE_AGENTS`` on every request, so a changed role or a removed
account takes effect at once; with the development shared password, the role given at sign-in.

CSRF: every state-changing request of a signed-in agent (and the sign-in itself) carries the
session's token, in the ``X-CSRF-Token`` header (htmx sends it from ``base.html``, API clients
read it from ``GET /api/agent/session``) or in the ``csrf_token`` form field."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass

from fastapi import Request
from limits.aio.storage import Storage

from warmline.api.throttle import STORE_ERRORS, StoreFailures
from warmline.errors import Forbidden, NotSignedIn
from warmline.services.agent_accounts import SignedIn, has_role
from warmline.settings import Role, Settings

SESSION_COOKIE = "warmline_agent"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Agent:
    """The signed-in agent of a request."""

    name: str
    role: Role

    def may(self, role: Role) -> bool:
        return has_role(self.role, role)


class Revocations:
    """Revoked session ids and per-agent sign-out generations, in a ``limits`` storage."""

    def __init__(self, storage: Storage, max_age_s: int) -> None:
        self.storage = storage
        self.max_age_s = max_age_s
        self.failures = StoreFailures("the agent's session")

    async def _call(self, call: Awaitable[int]) -> int:
        """``call``'s answer; ``StorageError`` (503, counted and logged) when the store
        cannot be reached."""
        try:
            return await call
        except STORE_ERRORS as exc:
            raise self.failures.failed(exc) from None

    async def revoke(self, session_id: str) -> None:
        await self._call(self.storage.incr(f"warmline/revoked/{session_id}", self.max_age_s))

    async def revoked(self, session_id: str) -> bool:
        return await self._call(self.storage.get(f"warmline/revoked/{session_id}")) > 0

    async def generation(self, agent: str) -> int:
        return await self._call(self.storage.get(f"warmline/agent-generation/{agent}"))

    async def revoke_agent(self, agent: str) -> None:
        """Every session ``agent`` holds now ends."""
        key = f"warmline/agent-generation/{agent}"
        await self._call(self.storage.incr(key, self.max_age_s))


def _revocations(request: Request) -> Revocations:
    revocations: Revocations = request.app.state.revocations
    return revocations


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    return settings


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (also before sign-in: login CSRF)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def start_session(request: Request, who: SignedIn) -> None:
    """A fresh session for ``who``: new id, new CSRF token (nothing from before sign-in
    survives it: no session fixation)."""
    generation = await _revocations(request).generation(who.name)
    request.session.clear()
    request.session.update(
        {
            "agent": who.name,
            "role": who.role,
            "sid": secrets.token_urlsafe(24),
            "gen": generation,
            "csrf": secrets.token_urlsafe(32),
        }
    )


async def end_session(request: Request) -> None:
    """Sign-out: the session id is revoked server-side, then the cookie cleared. When the
    revocation cannot be recorded (the store is away) the cookie is cleared all the same and
    the 503 says the sign-out is not complete."""
    session_id = request.session.get("sid")
    try:
        if isinstance(session_id, str):
            await _revocations(request).revoke(session_id)
    finally:
        request.session.clear()


async def session_agent(request: Request) -> Agent:
    """The agent of a valid session; else ``NotSignedIn`` (and the dead session cleared)."""
    session = request.session
    name, session_id, generation = session.get("agent"), session.get("sid"), session.get("gen")
    if not isinstance(name, str) or not name or not isinstance(session_id, str):
        raise NotSignedIn("sign in to the agent console first")
    revocations = _revocations(request)
    if await revocations.revoked(session_id) or generation != await revocations.generation(name):
        session.clear()
        raise NotSignedIn("this session has ended; sign in again")
    settings = _settings(request)
    if settings.agents:
        account = settings.agents.get(name)
        if account is None:
            session.clear()
            raise NotSignedIn("this account no longer exists")
        return Agent(name, account.role)
    role = session.get("role")
    if settings.shared_agent_password() is None or role not in ("agent", "supervisor", "admin"):
        session.clear()
        raise NotSignedIn("sign in to the agent console first")
    return Agent(name, role)


async def require_csrf(request: Request) -> None:
    """On a state-changing request, the session's CSRF token must come with it (header or
    form field); else 403."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if (
        not isinstance(expected, str)
        or not given
        or not hmac.compare_digest(given.encode(), expected.encode())
    ):
        raise Forbidden("the request lacks this page's CSRF token; reload the page and try again")


async def require_csrf_when_signed_in(request: Request) -> None:
    """``require_csrf`` for a session with an agent in it; a request without one has no
    authority to abuse and meets the route's own 401 (the sign-in itself checks the token
    with ``require_csrf``)."""
    if "agent" in request.session:
        await require_csrf(request)
