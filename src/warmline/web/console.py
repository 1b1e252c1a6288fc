"""The agent console at ``/console``: sign-in, the queue, claiming, the warm-transfer packet,
live chat with the customer (SSE), agent assist, hand-back and wrap-up. Server-rendered
(Jinja2 + htmx); the work is done by ``services.handoff``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warmline.api.deps import HandoffDep, RuntimeDep, get_agent
from warmline.domain.decision import Acknowledgement
from warmline.domain.packet import Packet
from warmline.errors import ConflictError, InputError, NotSignedIn
from warmline.services.agent_accounts import authenticate
from warmline.services.runtime import Runtime
from warmline.web.pages import templates

AGENT_NAME_CHARS = 40
SIGNIN = "/console/signin"
router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    """A console route was asked for without a signed-in agent; ``to_signin`` answers it."""


def console_agent(request: Request, handoff: HandoffDep) -> str:
    """The signed-in agent, else ``SignInRequired``. After a server restart their session still
    holds, so they are put back on shift (with the default capacity) rather than silently
    missing from it."""
    try:
        agent = get_agent(request)
    except NotSignedIn:
        raise SignInRequired from None
    if agent not in handoff.presence.agents:
        handoff.presence.sign_in(agent)
    return agent


ConsoleAgent = Annotated[str, Depends(console_agent)]


async def to_signin(request: Request, exc: Exception) -> Response:
    """The answer to ``SignInRequired``: a page is redirected to the sign-in page; an htmx
    request (a fragment: the queue, a reply) gets 401, and ``HX-Redirect`` takes the whole
    page there."""
    if request.headers.get("HX-Request") == "true":
        return HTMLResponse("", status_code=401, headers={"HX-Redirect": SIGNIN})
    return RedirectResponse(SIGNIN, status_code=303)


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
    return templates.TemplateResponse(request, "console_signin.html", {"error": None})


@router.post("/console/signin")
async def signin(
    request: Request,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=AGENT_NAME_CHARS)],
    password: Annotated[str, Form(max_length=200)],
    capacity: Annotated[int, Form(ge=1, le=20)] = 3,
    skills: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    name = name.strip()
    settings = runtime.settings
    if not name or not await authenticate(settings.agents, settings.agent_password, name, password):
        return templates.TemplateResponse(
            request,
            "console_signin.html",
            {"error": "Name or password is wrong."},
            status_code=401,
        )
    request.session["agent"] = name
    covered = tuple(s.strip() for s in skills.split(",") if s.strip())
    runtime.handoff.presence.sign_in(name, covered, capacity)
    return RedirectResponse("/console", status_code=303)


@router.post("/console/signout")
async def signout(request: Request, agent: ConsoleAgent, handoff: HandoffDep) -> Response:
    await handoff.leave(agent)
    request.session.clear()
    return RedirectResponse(SIGNIN, status_code=303)


@router.get("/console", response_class=HTMLResponse)
async def console(request: Request, agent: ConsoleAgent, handoff: HandoffDep) -> Response:
    presence = handoff.presence.agents.get(agent)
    mine = sorted(presence.active) if presence else []
    return templates.TemplateResponse(
        request,
        "console.html",
        {"agent": agent, "mine": mine, "notice": request.query_params.get("notice")},
    )


@router.get("/console/queue", response_class=HTMLResponse)
async def queue(request: Request, agent: ConsoleAgent, handoff: HandoffDep) -> Response:
    rows = []
    for item in await handoff.queue(agent):
        packet = await handoff.conversations.packets.packet(
            item.conversation_id, with_account=False
        )
        rows.append(
            {
                "id": item.conversation_id,
                "customer": item.customer_id or "guest",
                "trigger": (item.trigger or "").replace("_", " "),
                "mood": packet.mood,
                "waiting": int(item.waiting_s // 60),
                "breached": item.sla_breached,
                "callback": packet.callback,
                "first": next(
                    (line.text for line in packet.transcript if line.author == "customer"), ""
                ),
            }
        )
    return templates.TemplateResponse(request, "_console_queue.html", {"rows": rows})


@router.post("/console/c/{conversation_id}/claim")
async def claim(conversation_id: str, agent: ConsoleAgent, handoff: HandoffDep) -> Response:
    try:
        await handoff.claim(conversation_id, agent)
    except ConflictError as exc:
        return RedirectResponse(f"/console?notice={exc.public_detail()}", status_code=303)
    return RedirectResponse(f"/console/c/{conversation_id}", status_code=303)


@router.get("/console/c/{conversation_id}", response_class=HTMLResponse)
async def conversation(
    conversation_id: str, request: Request, agent: ConsoleAgent, runtime: RuntimeDep
) -> Response:
    packet = await runtime.packets.packet(conversation_id)
    state, _ = await runtime.conversations.state(conversation_id)
    pack = runtime.conversations.pack(packet.pack).pack
    return templates.TemplateResponse(
        request,
        "console_conversation.html",
        {
            "agent": agent,
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
        await handoff.reply(conversation_id, agent, text)
    except (InputError, ConflictError) as exc:
        return templates.TemplateResponse(request, "_notice.html", {"notice": exc.public_detail()})
    return HTMLResponse("")


@router.post("/console/c/{conversation_id}/handback")
async def hand_back(
    conversation_id: str,
    agent: ConsoleAgent,
    handoff: HandoffDep,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    await handoff.hand_back(conversation_id, agent, note)
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
    await handoff.wrap_up(conversation_id, agent, disposition, corrected_intent or None, note)
    return RedirectResponse("/console?notice=Wrapped up.", status_code=303)
