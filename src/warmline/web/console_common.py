"""What every console page shares: the signed-in agent (else the sign-in page), rendering with
the session's CSRF token, and scrubbing stored text that may not be shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warmline.api.deps import HandoffDep, get_runtime
from warmline.api.sessions import Agent, csrf_token, session_agent
from warmline.errors import Forbidden, NotSignedIn
from warmline.services.console_unread import ReadMarks
from warmline.services.input_text import bad_character
from warmline.settings import Role
from warmline.web.pages import templates

SIGNIN = "/console/signin"


class SignInRequired(Exception):
    """A console route was asked for without a signed-in agent; ``to_signin`` answers it."""


async def console_agent(request: Request, handoff: HandoffDep) -> Agent:
    """The signed-in agent, else ``SignInRequired``. After a server restart their session still
    holds, so they are put back on shift (with the default capacity) rather than silently
    missing from it."""
    try:
        agent = await session_agent(request)
    except NotSignedIn:
        raise SignInRequired from None
    if agent.name not in handoff.presence.agents:
        handoff.presence.sign_in(agent.name)
    return agent


ConsoleAgent = Annotated[Agent, Depends(console_agent)]


def console_role(role: Role) -> Callable[..., Awaitable[Agent]]:
    """A console dependency: the signed-in agent (else the sign-in page) holding ``role`` or
    one above it (else 403)."""

    async def agent_with_role(request: Request, handoff: HandoffDep) -> Agent:
        agent = await console_agent(request, handoff)
        if not agent.may(role):
            raise Forbidden(f"this needs the {role} role")
        return agent

    setattr(agent_with_role, "required_role", role)  # noqa: B010 (read by the route tests)
    return agent_with_role


ConsoleSupervisor = Annotated[Agent, Depends(console_role("supervisor"))]


async def to_signin(request: Request, exc: Exception) -> Response:
    """The answer to ``SignInRequired``: a page is redirected to the sign-in page; an htmx
    request (a fragment: the queue, a reply) gets 401, and ``HX-Redirect`` takes the whole
    page there."""
    if request.headers.get("HX-Request") == "true":
        return HTMLResponse("", status_code=401, headers={"HX-Redirect": SIGNIN})
    return RedirectResponse(SIGNIN, status_code=303)


def scrub(text: str) -> str:
    """``text`` with every character that may not be shown (a lone surrogate, a control
    character) replaced by U+FFFD, so that one poisoned stored text cannot break a page."""
    while (found := bad_character(text)) is not None:
        text = text[: found[0]] + "\ufffd" + text[found[0] + 1 :]
    return text


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A console template with the session's CSRF token, scrubbed before it is encoded."""
    html = templates.get_template(name).render(
        {"request": request, "csrf": csrf_token(request), **context}
    )
    return HTMLResponse(scrub(html), status_code=status_code, headers=headers)


def read_marks(request: Request) -> ReadMarks:
    """What each agent has read: the runtime's marks, shared by every worker through Redis
    when ``WARMLINE_REDIS_URL`` is set (``services/shared_state.py``), else this process's."""
    return get_runtime(request).read_marks
