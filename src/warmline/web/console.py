"""The agent console at ``/console``: sign-in, the queue (with each conversation's unread
messages and brand, and the agent's own conversations) and claiming; the conversation page,
its live packet, saved replies and search are in ``web/console_views.py``, what every page
shares in ``web/console_common.py``. Server-rendered (Jinja2 + htmx); the work is done in
``services/``.

Every page is rendered with the session's CSRF token (each form carries it, htmx sends it as a
header), every POST checks it (``api/sessions.py``), sign-in included. Failed sign-ins are
throttled per name and per address. A page never fails on one conversation's stored text: the
queue shows a row it cannot build as such, and text is scrubbed before it is encoded."""

from __future__ import annotations

import contextlib
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warmline.api.deps import HandoffDep, RuntimeDep
from warmline.api.sessions import (
    end_session,
    require_csrf,
    require_csrf_when_signed_in,
    start_session,
)
from warmline.api.throttle import Throttle
from warmline.errors import ConflictError, RateLimited
from warmline.services.agent_accounts import authenticate
from warmline.services.runtime import Runtime
from warmline.web import console_rollout, console_views
from warmline.web.console_common import (
    SIGNIN,
    ConsoleAgent,
    SignInRequired,
    console_agent,
    read_marks,
    render,
    scrub,
    to_signin,
)

__all__ = ["SignInRequired", "console_agent", "router", "scrub", "to_signin"]

AGENT_NAME_CHARS = 40
log = logging.getLogger("warmline.console")
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf_when_signed_in)])
router.include_router(console_views.router)
router.include_router(console_rollout.router)


@router.get("/console/signin", response_class=HTMLResponse)
async def signin_page(request: Request) -> Response:
    return render(request, "console_signin.html", {"error": None})


async def _throttled(request: Request, runtime: Runtime, name: str) -> RateLimited | None:
    """The refusal when this name or this address has failed too often lately."""
    settings, throttle = runtime.settings, _throttle(request)
    address = request.client.host if request.client else "unknown"
    try:
        await throttle.check(settings.signin_limit_per_name, "warmline", "signin-name", name)
        await throttle.check(settings.signin_limit_per_address, "warmline", "signin", address)
    except RateLimited as exc:
        return exc
    return None


async def _failed(request: Request, runtime: Runtime, name: str) -> None:
    settings, throttle = runtime.settings, _throttle(request)
    address = request.client.host if request.client else "unknown"
    for rate, key in (
        (settings.signin_limit_per_name, ("signin-name", name)),
        (settings.signin_limit_per_address, ("signin", address)),
    ):
        with contextlib.suppress(RateLimited):  # counted; the next attempt is refused
            await throttle.hit(rate, "warmline", *key)


def _throttle(request: Request) -> Throttle:
    throttle: Throttle = request.app.state.throttle
    return throttle


@router.post("/console/signin", dependencies=[Depends(require_csrf)])
async def signin(
    request: Request,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=AGENT_NAME_CHARS)],
    password: Annotated[str, Form(max_length=200)],
    capacity: Annotated[int, Form(ge=1, le=20)] = 3,
    skills: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Sign in; refused for a while (429, ``Retry-After``) after too many failures for the name
    or from the address, whatever the password."""
    name = name.strip()
    settings = runtime.settings
    refused = await _throttled(request, runtime, name)
    if refused is not None:
        if "text/html" not in request.headers.get("accept", ""):
            raise refused  # a 429 problem with Retry-After
        error = f"Too many failed sign-ins; try again in {refused.retry_after_s} s."
        return render(request, "console_signin.html", {"error": error}, 429, refused.headers)
    who = None
    if name:
        who = await authenticate(settings.agents, settings.shared_agent_password(), name, password)
    if who is None:
        await _failed(request, runtime, name)
        return render(request, "console_signin.html", {"error": "Name or password is wrong."}, 401)
    await start_session(request, who)
    covered = tuple(s.strip() for s in skills.split(",") if s.strip()) or who.skills
    runtime.handoff.presence.sign_in(name, covered, capacity)
    return RedirectResponse("/console", status_code=303)


@router.post("/console/signout")
async def signout(request: Request, agent: ConsoleAgent, handoff: HandoffDep) -> Response:
    """Sign out: off shift, and the session revoked server-side (the cookie is useless
    afterwards, even a copy of it)."""
    await handoff.leave(agent.name)
    await end_session(request)
    return RedirectResponse(SIGNIN, status_code=303)


@router.get("/console", response_class=HTMLResponse)
async def console(request: Request, agent: ConsoleAgent) -> Response:
    """The queue page: the agent's own conversations and those waiting, refreshed every few
    seconds (``/console/queue``), with search."""
    return render(
        request,
        "console.html",
        {"agent": agent.name, "role": agent.role, "notice": request.query_params.get("notice")},
    )


def _brand(handoff: HandoffDep, pack: str) -> str:
    try:
        return handoff.conversations.pack(pack).pack.persona.company
    except Exception:  # a pack no longer served: its name says enough
        return pack


async def _row(request: Request, agent: str, handoff: HandoffDep, cid: str) -> dict[str, Any]:
    """What a row shows of one conversation; one whose log cannot be read shows as such
    instead of breaking the queue for every other one."""
    row: dict[str, Any] = {"id": cid, "mood": "", "callback": None, "first": "", "unread": 0}
    try:
        packet = await handoff.conversations.packets.packet(cid, with_account=False)
    except Exception:
        log.exception("conversation %s cannot be shown in the queue", cid)
        return {**row, "first": "(this conversation cannot be shown)", "brand": ""}
    customer_lines = [line for line in packet.transcript if line.author == "customer"]
    return {
        **row,
        "customer": packet.customer_id or "guest",
        "brand": _brand(handoff, packet.pack),
        "mood": packet.mood,
        "callback": packet.callback,
        "first": customer_lines[0].text if customer_lines else "",
        "last": customer_lines[-1].text if customer_lines else "",
        "unread": read_marks(request).unread(agent, cid, packet.transcript),
    }


@router.get("/console/queue", response_class=HTMLResponse)
async def queue(request: Request, agent: ConsoleAgent, handoff: HandoffDep) -> Response:
    """The agent's own conversations and the queue, each with its unread messages; the total
    goes into the page's title."""
    rows = []
    for item in await handoff.queue(agent.name):
        row = await _row(request, agent.name, handoff, item.conversation_id)
        rows.append(
            {
                **row,
                "customer": item.customer_id or "guest",
                "trigger": (item.trigger or "").replace("_", " "),
                "waiting": int(item.waiting_s // 60),
                "breached": item.sla_breached,
            }
        )
    presence = handoff.presence.agents.get(agent.name)
    held = sorted(presence.active) if presence else []
    mine = [await _row(request, agent.name, handoff, cid) for cid in held]
    unread = sum(row["unread"] for row in rows + mine)
    return render(request, "_console_queue.html", {"rows": rows, "mine": mine, "unread": unread})


@router.post("/console/c/{conversation_id}/claim")
async def claim(conversation_id: str, agent: ConsoleAgent, handoff: HandoffDep) -> Response:
    try:
        await handoff.claim(conversation_id, agent.name)
    except ConflictError as exc:
        return RedirectResponse(f"/console?notice={exc.public_detail()}", status_code=303)
    return RedirectResponse(f"/console/c/{conversation_id}", status_code=303)
