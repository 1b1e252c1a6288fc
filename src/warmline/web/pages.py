"""Server-rendered pages: the customer chat widget at ``/`` (Jinja2 + htmx, no build step)."""

from __future__ import annotations

from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from warmline.api.deps import ConversationsDep
from warmline.domain.conversation import TranscriptLine
from warmline.errors import InputError, WarmlineError
from warmline.services.conversations import TurnResult

_here = resources.files("warmline.web")
templates = Jinja2Templates(directory=str(_here.joinpath("templates")))
router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """The stylesheet and htmx, for ``app.mount("/static", ...)``."""
    return StaticFiles(directory=str(_here.joinpath("static")))


def _lines(result: TurnResult, customer_text: str | None) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []
    if customer_text:
        lines.append({"author": "customer", "text": customer_text, "choices": []})
    lines.extend({"author": "bot", "text": r.text, "choices": r.choices} for r in result.replies)
    return lines


def _transcript(lines: list[TranscriptLine]) -> list[dict[str, object]]:
    return [{"author": t.author, "text": t.text, "choices": list(t.choices)} for t in lines]


@router.get("/", response_class=HTMLResponse)
async def start_page(request: Request, conversations: ConversationsDep) -> Response:
    packs = {name: rt.pack for name, rt in conversations.packs.items()}
    return templates.TemplateResponse(
        request,
        "start.html",
        {
            "packs": packs,
            "default_pack": conversations.packs.default,
            "customer_id": request.query_params.get("customer", ""),
        },
    )


@router.post("/chat")
async def start_chat(
    conversations: ConversationsDep,
    pack: Annotated[str, Form()] = "",
    customer_id: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    result = await conversations.start(pack or None, customer_id.strip() or None, "web")
    return RedirectResponse(f"/chat/{result.conversation_id}", status_code=303)


@router.get("/chat/{conversation_id}", response_class=HTMLResponse)
async def chat_page(
    conversation_id: str, request: Request, conversations: ConversationsDep
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
    conversation_id: str,
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
            "lines": _lines(result, text.strip()),
            "status": result.status,
            "conversation_id": conversation_id,
        },
    )


@router.post("/chat/{conversation_id}/feedback", response_class=HTMLResponse)
async def feedback(
    conversation_id: str,
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
    conversation_id: str, request: Request, conversations: ConversationsDep
) -> Response:
    result = await conversations.request_person(conversation_id)
    lines = _lines(result, "Talk to a person") if result.replies else []
    return templates.TemplateResponse(
        request,
        "_messages.html",
        {"lines": lines, "status": result.status, "conversation_id": conversation_id},
    )
