"""The agent console at ``/console``: sign-in, the queue, claiming, the warm-transfer packet,
live chat with the customer (SSE), agent assist, hand-back and wrap-up. Server-rendered
(Jinja2 + htmx); the work is done by ``services.handoff``."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warmline.api.deps import HandoffDep, RuntimeDep
from warmline.domain.decision import Acknowledgement
from warmline.domain.packet import Packet
from warmline.errors import ConflictError, InputError
from warmline.services.accounts import verify_password
from warmline.services.runtime import Runtime
from warmline.web.pages import templates

AGENT_NAME_CHARS = 40


def _agent(request: Request) -> str | None:
    """The signed-in agent; after a server restart their session still holds, so they are put
    back on shift (with the default capacity) rather than silently missing from it."""
    agent = request.session.get("agent")
    if not isinstance(agent, str) or not agent:
        return None
    handoff = request.app.state.runtime.handoff
    if agent not in handoff.presence.agents:
        handoff.presence.sign_in(agent)
    return agent


def _to_signin() -> Response:
    return RedirectResponse("/console/signin", status_code=303)


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
                suggestions.append(f"{opener} I'm {{name}} from the team, and I've read our chat.")
    suggestions.append(
        "Thanks for waiting. I've read the conversation, so no need to repeat anything."
    )
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


def _password_ok(runtime: Runtime, name: str, password: str) -> bool:
    """The agent's own password when agents are configured, else the shared one."""
    accounts = runtime.settings.agents
    if accounts:
        return name in accounts and verify_password(password, accounts[name])
    return hmac.compare_digest(password.encode(), runtime.settings.agent_password.encode())


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


def install(app: FastAPI) -> None:
    @app.get("/console/signin", response_class=HTMLResponse, include_in_schema=False)
    async def signin_page(request: Request) -> Response:
        return templates.TemplateResponse(request, "console_signin.html", {"error": None})

    @app.post("/console/signin", include_in_schema=False)
    async def signin(
        request: Request,
        runtime: RuntimeDep,
        name: Annotated[str, Form(max_length=AGENT_NAME_CHARS)],
        password: Annotated[str, Form(max_length=200)],
        capacity: Annotated[int, Form(ge=1, le=20)] = 3,
        skills: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        name = name.strip()
        if not name or not _password_ok(runtime, name, password):
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

    @app.post("/console/signout", include_in_schema=False)
    async def signout(request: Request, runtime: RuntimeDep) -> Response:
        agent = _agent(request)
        if agent:
            await runtime.handoff.leave(agent)
        request.session.clear()
        return _to_signin()

    @app.get("/console", response_class=HTMLResponse, include_in_schema=False)
    async def console(request: Request, handoff: HandoffDep) -> Response:
        agent = _agent(request)
        if agent is None:
            return _to_signin()
        presence = handoff.presence.agents.get(agent)
        mine = sorted(presence.active) if presence else []
        return templates.TemplateResponse(
            request,
            "console.html",
            {"agent": agent, "mine": mine, "notice": request.query_params.get("notice")},
        )

    @app.get("/console/queue", response_class=HTMLResponse, include_in_schema=False)
    async def queue(request: Request, handoff: HandoffDep) -> Response:
        agent = _agent(request)
        if agent is None:
            return HTMLResponse("", status_code=401)
        rows = []
        for item in await handoff.queue(agent):
            packet = await handoff.conversations.packet(item.conversation_id, with_account=False)
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

    @app.post("/console/c/{conversation_id}/claim", include_in_schema=False)
    async def claim(conversation_id: str, request: Request, handoff: HandoffDep) -> Response:
        agent = _agent(request)
        if agent is None:
            return _to_signin()
        try:
            await handoff.claim(conversation_id, agent)
        except ConflictError as exc:
            return RedirectResponse(f"/console?notice={exc.public_detail()}", status_code=303)
        return RedirectResponse(f"/console/c/{conversation_id}", status_code=303)

    @app.get("/console/c/{conversation_id}", response_class=HTMLResponse, include_in_schema=False)
    async def conversation(conversation_id: str, request: Request, runtime: RuntimeDep) -> Response:
        agent = _agent(request)
        if agent is None:
            return _to_signin()
        packet = await runtime.conversations.packet(conversation_id)
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

    @app.post(
        "/console/c/{conversation_id}/messages",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    async def send(
        conversation_id: str,
        request: Request,
        handoff: HandoffDep,
        text: Annotated[str, Form()] = "",
    ) -> Response:
        agent = _agent(request)
        if agent is None:
            return HTMLResponse("", status_code=401)
        try:
            await handoff.reply(conversation_id, agent, text)
        except (InputError, ConflictError) as exc:
            return templates.TemplateResponse(
                request, "_notice.html", {"notice": exc.public_detail()}
            )
        return HTMLResponse("")

    @app.post("/console/c/{conversation_id}/handback", include_in_schema=False)
    async def hand_back(
        conversation_id: str,
        request: Request,
        handoff: HandoffDep,
        note: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        agent = _agent(request)
        if agent is None:
            return _to_signin()
        await handoff.hand_back(conversation_id, agent, note)
        return RedirectResponse("/console?notice=Handed back to the bot.", status_code=303)

    @app.post("/console/c/{conversation_id}/wrapup", include_in_schema=False)
    async def wrap_up(
        conversation_id: str,
        request: Request,
        handoff: HandoffDep,
        disposition: Annotated[str, Form(min_length=1, max_length=64)],
        corrected_intent: Annotated[str, Form(max_length=64)] = "",
        note: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        agent = _agent(request)
        if agent is None:
            return _to_signin()
        await handoff.wrap_up(conversation_id, agent, disposition, corrected_intent or None, note)
        return RedirectResponse("/console?notice=Wrapped up.", status_code=303)
