"""The agent console at ``/console``: sign-in, the queue, claiming, the warm-transfer packet,
live chat with the customer (SSE), agent assist, hand-back and wrap-up. Server-rendered
(Jinja2 + htmx); the work is done by ``services.handoff``.

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

from warmline.api.deps import HandoffDep, RuntimeDep, check_may_read
from warmline.api.sessions import (
    Agent,
    csrf_token,
    end_session,
    require_csrf,
    require_csrf_when_signed_in,
    session_agent,
    start_session,
)
from warmline.api.throttle import Throttle
from warmline.domain.decision import Acknowledgement
from warmline.domain.packet import Packet
from warmline.errors import ConflictError, InputError, NotSignedIn, RateLimited
from warmline.services.agent_accounts import authenticate
from warmline.services.input_text import bad_character
from warmline.services.runtime import Runtime
from warmline.web.pages import templates

AGENT_NAME_CHARS = 40
SIGNIN = "/console/signin"
log = logging.getLogger("warmline.console")
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf_when_signed_in)])


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


def assist(runtime: Runtime, packet: Packet) -> dict[str, Any]:
    """Agent assist from the packet and the pack: suggested replies, the pack's own answers for
    the requests understood (its knowledge snippets), and the next best action."""
    conversations = runtime.conversations
    pack_runtime = conversations.pack(packet.pack)
    pack, responder = pack_runtime.pack, pack_runtime.responder
    suggestions: list[str] = []
    if packet.feelings:
        cause, score = packet.feelings[-1].strongest()
        if score >= 0.5:
            opener = responder.acknowledge(Acknowledgement(cause=cause, strong=score >= 0.8), [])
            if opener:
                suggestions.append(responder.render("assist_acknowledge", opener=opener))
    suggestions.append(responder.render("assist_thanks"))
    snippets: list[dict[str, str]] = []
    next_action = None
    for name in packet.intents:
        intent = pack.intents.get(name)
        if intent is None:
            continue
        if intent.response:
            text, problem = responder.render_safe(
                intent.response, "clarify", customer=packet.customer
            )
            if not problem:
                snippets.append({"intent": pack.intent_label(name), "text": text})
        if intent.action and next_action is None:
            action = pack.actions[intent.action]
            params = {
                p: packet.entities[spec.entity][-1]
                for p, spec in action.parameters.items()
                if spec.entity and packet.entities.get(spec.entity)
            }
            failed = [
                a for a in packet.attempts if a.action == intent.action and a.outcome == "failed"
            ]
            state = "failed in the back office; try it again there" if failed else "not done yet"
            shown = ", ".join(f"{k} {v}" for k, v in params.items()) or "no details yet"
            next_action = f"{intent.action} ({shown}): {state}"
    return {"suggestions": suggestions, "snippets": snippets, "next_action": next_action}


def _profile(profile: dict[str, Any]) -> dict[str, str]:
    """The account as a person reads it: scalars as they are, lists of scalars joined (orders,
    reservations), nested records by their keys."""
    shown: dict[str, str] = {}
    for key, value in profile.items():
        if isinstance(value, list):
            shown[key] = ", ".join(str(v) for v in value if not isinstance(v, dict | list))
        elif isinstance(value, dict):
            shown[key] = ", ".join(str(k) for k in value)
        else:
            shown[key] = str(value)
    return {k: v for k, v in shown.items() if v}


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
async def console(request: Request, agent: ConsoleAgent, handoff: HandoffDep) -> Response:
    presence = handoff.presence.agents.get(agent.name)
    mine = sorted(presence.active) if presence else []
    return render(
        request,
        "console.html",
        {
            "agent": agent.name,
            "role": agent.role,
            "mine": mine,
            "notice": request.query_params.get("notice"),
        },
    )


async def _queue_row(handoff: HandoffDep, item: Any) -> dict[str, Any]:
    """One row of the queue; a conversation whose log cannot be read shows as such instead
    of breaking the queue for every other one."""
    row = {
        "id": item.conversation_id,
        "customer": item.customer_id or "guest",
        "trigger": (item.trigger or "").replace("_", " "),
        "waiting": int(item.waiting_s // 60),
        "breached": item.sla_breached,
        "mood": "",
        "callback": None,
        "first": "",
    }
    try:
        packet = await handoff.conversations.packets.packet(
            item.conversation_id, with_account=False
        )
    except Exception:
        log.exception("conversation %s cannot be shown in the queue", item.conversation_id)
        return {**row, "first": "(this conversation cannot be shown)"}
    first = next((line.text for line in packet.transcript if line.author == "customer"), "")
    return {**row, "mood": packet.mood, "callback": packet.callback, "first": first}


@router.get("/console/queue", response_class=HTMLResponse)
async def queue(request: Request, agent: ConsoleAgent, handoff: HandoffDep) -> Response:
    rows = [await _queue_row(handoff, item) for item in await handoff.queue(agent.name)]
    return render(request, "_console_queue.html", {"rows": rows})


@router.post("/console/c/{conversation_id}/claim")
async def claim(conversation_id: str, agent: ConsoleAgent, handoff: HandoffDep) -> Response:
    try:
        await handoff.claim(conversation_id, agent.name)
    except ConflictError as exc:
        return RedirectResponse(f"/console?notice={exc.public_detail()}", status_code=303)
    return RedirectResponse(f"/console/c/{conversation_id}", status_code=303)


@router.get("/console/c/{conversation_id}", response_class=HTMLResponse)
async def conversation(
    conversation_id: str, request: Request, agent: ConsoleAgent, runtime: RuntimeDep
) -> Response:
    """The conversation with its packet: while it waits for a person or is the agent's own;
    supervisors see any."""
    await check_may_read(runtime, agent, conversation_id)
    packet = await runtime.packets.packet(conversation_id)
    state, _ = await runtime.conversations.state(conversation_id)
    pack = runtime.conversations.pack(packet.pack).pack
    return render(
        request,
        "console_conversation.html",
        {
            "agent": agent.name,
            "packet": packet,
            "owner": state.owner,
            "status": state.status,
            "assist": assist(runtime, packet),
            "intents": [(n, pack.intent_label(n)) for n in pack.intents],
            "customer_fields": _profile(packet.customer),
        },
    )


@router.post("/console/c/{conversation_id}/messages", response_class=HTMLResponse)
async def send(
    conversation_id: str,
    request: Request,
    agent: ConsoleAgent,
    handoff: HandoffDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    try:
        await handoff.reply(conversation_id, agent.name, text)
    except (InputError, ConflictError) as exc:
        return render(request, "_notice.html", {"notice": exc.public_detail()})
    return HTMLResponse("")


@router.post("/console/c/{conversation_id}/handback")
async def hand_back(
    conversation_id: str,
    agent: ConsoleAgent,
    handoff: HandoffDep,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    await handoff.hand_back(conversation_id, agent.name, note)
    return RedirectResponse("/console?notice=Handed back to the bot.", status_code=303)


@router.post("/console/c/{conversation_id}/wrapup")
async def wrap_up(
    conversation_id: str,
    agent: ConsoleAgent,
    handoff: HandoffDep,
    disposition: Annotated[str, Form(min_length=1, max_length=64)],
    corrected_intent: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    await handoff.wrap_up(conversation_id, agent.name, disposition, corrected_intent or None, note)
    return RedirectResponse("/console?notice=Wrapped up.", status_code=303)
