"""Server-rendered pages: the customer chat widget at ``/`` (Jinja2 + htmx, no build step)."""

from __future__ import annotations

from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from warmline.api.access import ConversationAccess, IdentityDep, KeysDep, grant
from warmline.api.deps import ConversationsDep
from warmline.domain.conversation import TranscriptLine
from warmline.domain.events import MessageReceived
from warmline.errors import IdentityRejected, InputError, WarmlineError
from warmline.services.conversations import TurnResult

_here = resources.files("warmline.web")
templates = Jinja2Templates(directory=str(_here.joinpath("templates")))
router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """The stylesheet and htmx, for ``app.mount("/static", ...)``."""
    return StaticFiles(directory=str(_here.joinpath("static")))


def _recorded_text(result: TurnResult, typed: str) -> str:
    """The customer's message as it was recorded (personal data masked), else as typed."""
    received = [e for e in result.events if isinstance(e, MessageReceived)]
    return received[-1].text if received else typed


def _lines(result: TurnResult, customer_text: str | None) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []
    if customer_text:
        lines.append({"author": "customer", "text": customer_text, "choices": []})
    lines.extend({"author": "bot", "text": r.text, "choices": r.choices} for r in result.replies)
    return lines


def _transcript(lines: list[TranscriptLine]) -> list[dict[str, object]]:
    return [{"author": t.author, "text": t.text, "choices": list(t.choices)} for t in lines]


def _start_page(
    request: Request,
    conversations: ConversationsDep,
    identity: IdentityDep,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    packs = {name: rt.pack for name, rt in conversations.packs.items()}
    return templates.TemplateResponse(
        request,
        "start.html",
        {
            "packs": packs,
            "default_pack": conversations.packs.default,
            "picker": identity.picker,
            "customer_id": request.query_params.get("customer", "") if identity.picker else "",
            "identity_token": request.query_params.get("identity", ""),
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/", response_class=HTMLResponse)
async def start_page(
    request: Request, conversations: ConversationsDep, identity: IdentityDep
) -> Response:
    return _start_page(request, conversations, identity)


@router.post("/chat")
async def start_chat(
    request: Request,
    conversations: ConversationsDep,
    identity: IdentityDep,
    keys: KeysDep,
    pack: Annotated[str, Form()] = "",
    customer_id: Annotated[str, Form(max_length=128)] = "",
    identity_token: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    """Start a chat: bound to a customer only by a verified identity token (or, with the
    development picker, the id typed in); the conversation's key goes into its cookies."""
    try:
        who = identity.identify(identity_token.strip() or None, customer_id.strip() or None)
    except IdentityRejected as exc:
        return _start_page(request, conversations, identity, exc.public_detail(), 403)
    result = await conversations.start(
        pack or None,
        who.customer_id if who else None,
        "web",
        verified_by=who.verified_by if who else None,
    )
    response = RedirectResponse(f"/chat/{result.conversation_id}", status_code=303)
    grant(request, response, result.conversation_id, keys.issue(result.conversation_id))
    return response


@router.get("/chat/{conversation_id}", response_class=HTMLResponse)
async def chat_page(
    conversation_id: ConversationAccess, request: Request, conversations: ConversationsDep
) -> Response:
    state, _ = await conversations.state(conversation_id)
    persona = conversations.pack(state.pack).pack.persona
    return templates.TemplateResponse(
        request,
        "chat.html",
        {
            "conversation_id": conversation_id,
            "persona": persona,
            "status": state.status,
            "lines": _transcript(state.transcript),
            "customer_id": state.customer_id,
        },
    )


@router.post("/chat/{conversation_id}/messages", response_class=HTMLResponse)
async def send(
    conversation_id: ConversationAccess,
    request: Request,
    conversations: ConversationsDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    try:
        result = await conversations.post_message(conversation_id, text)
    except InputError as exc:
        return templates.TemplateResponse(
            request, "_notice.html", {"notice": exc.public_detail()}, status_code=200
        )
    except WarmlineError as exc:
        if exc.status == 404:
            raise
        return templates.TemplateResponse(request, "_notice.html", {"notice": exc.public_detail()})
    return templates.TemplateResponse(
        request,
        "_messages.html",
        {
            "lines": _lines(result, _recorded_text(result, text.strip())),
            "status": result.status,
            "conversation_id": conversation_id,
        },
    )


@router.post("/chat/{conversation_id}/feedback", response_class=HTMLResponse)
async def feedback(
    conversation_id: ConversationAccess,
    request: Request,
    conversations: ConversationsDep,
    rating: Annotated[int, Form(ge=1, le=5)],
) -> Response:
    await conversations.give_feedback(conversation_id, rating)
    return templates.TemplateResponse(
        request, "_notice.html", {"notice": f"Thank you: {rating} out of 5 recorded."}
    )


@router.post("/chat/{conversation_id}/handoff", response_class=HTMLResponse)
async def handoff(
    conversation_id: ConversationAccess, request: Request, conversations: ConversationsDep
) -> Response:
    result = await conversations.request_person(conversation_id)
    lines = _lines(result, "Talk to a person") if result.replies else []
    return templates.TemplateResponse(
        request,
        "_messages.html",
        {"lines": lines, "status": result.status, "conversation_id": conversation_id},
    )
