"""Server-rendered pages: the customer's start page at ``/`` and chat page at ``/chat/{id}``
(Jinja2 + htmx, no build step; every form posts without script too). The page's log is read
from the event log: messages with their time and author (an agent by display name) and the
changes of who answers; ``static/chat.js`` adds what arrives live."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from warmline.api.access import ConversationAccess, IdentityDep, KeysDep, grant
from warmline.api.deps import ConversationsDep
from warmline.api.streams import agent_display_name
from warmline.domain.conversation import ConversationState
from warmline.domain.events import (
    AgentJoined,
    AgentLeft,
    AgentMessage,
    BotReplied,
    ConversationStarted,
    Event,
    HandedBack,
    MessageReceived,
    WrappedUp,
)
from warmline.errors import (
    ConflictError,
    ConversationAccessDenied,
    ConversationClosed,
    IdentityRejected,
    WarmlineError,
)
from warmline.services.conversations import TurnResult
from warmline.services.feedback import Feedback
from warmline.services.feedback_words import FEEDBACK_TEMPLATES
from warmline.services.identity import Identity
from warmline.settings import Settings

_here = resources.files("warmline.web")
templates = Jinja2Templates(directory=str(_here.joinpath("templates")))
router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    """The stylesheet and htmx, for ``app.mount("/static", ...)``."""
    return StaticFiles(directory=str(_here.joinpath("static")))


def _line(author: str, text: str, at: datetime, **extra: object) -> dict[str, object]:
    return {"author": author, "text": text, "at": at, "choices": [], "name": "", **extra}


def _bot_positions(state: ConversationState) -> list[int]:
    """Where each bot reply stands in the transcript, in order: what its thumbs are posted to."""
    return [i for i, line in enumerate(state.transcript) if line.author == "bot"]


def _thumbed(lines: list[dict[str, object]], state: ConversationState) -> list[dict[str, object]]:
    """The bot lines numbered by their transcript position (the last ones the last positions)
    with the thumb given on each, for the thumbs under them."""
    bots = [line for line in lines if line["author"] == "bot"]
    positions = _bot_positions(state)[-len(bots) :] if bots else []
    for line, reply in zip(bots, positions, strict=False):
        line |= {"reply": reply, "thumb": state.thumbs.get(reply)}
    return lines


def _turn_lines(result: TurnResult, typed: str) -> list[dict[str, object]]:
    """A post's answer: the customer's message as recorded (personal data masked), else as
    typed (a retried post whose turn was recorded before), and the bot's replies."""
    received = [e for e in result.events if isinstance(e, MessageReceived)]
    lines = []
    if received:
        lines.append(_line("customer", received[-1].text, received[-1].at))
    elif typed:
        lines.append(_line("customer", typed, datetime.now(UTC)))
    lines.extend(
        _line("bot", r.text, r.at, choices=r.choices, citations=r.citations) for r in result.replies
    )
    return lines


def _ownership_line(settings: Settings, event: Event) -> dict[str, object] | None:
    """The line a change of owner shows in the log (None for other events)."""
    name = agent_display_name(settings, getattr(event, "agent", "") or "")
    if isinstance(event, AgentJoined):
        return _line("system", f"{name} from the team has joined", event.at)
    if isinstance(event, AgentLeft):
        return _line(
            "system",
            f"{name} has left; the next person from the team will pick up where they left off",
            event.at,
        )
    if isinstance(event, HandedBack):
        return _line("system", "You're back with the AI assistant", event.at)
    if isinstance(event, WrappedUp):
        return _line("system", f"{name} has closed the conversation", event.at)
    return None


def _log_lines(settings: Settings, log: list[Event]) -> list[dict[str, object]]:
    """The whole conversation as the customer's page shows it, read from the event log."""
    lines: list[dict[str, object]] = []
    for event in log:
        if isinstance(event, MessageReceived):
            lines.append(_line("customer", event.text, event.at))
        elif isinstance(event, BotReplied):
            lines.append(
                _line("bot", event.text, event.at, choices=event.choices, citations=event.citations)
            )
        elif isinstance(event, AgentMessage):
            name = agent_display_name(settings, event.agent)
            lines.append(_line("agent", event.text, event.at, name=name))
        elif (line := _ownership_line(settings, event)) is not None:
            lines.append(line)
    return lines


def _words(conversations: ConversationsDep, state: ConversationState) -> dict[str, str]:
    """The feedback's words in the pack's wording (its templates, else the built-in ones)."""
    responder = conversations.pack(state.pack).responder
    return {name: responder.render(name, state.arms) for name in FEEDBACK_TEMPLATES}


def _view(settings: Settings, state: ConversationState) -> dict[str, object]:
    """What the page's frame shows: who is answering, whether a person is awaited, ended."""
    owner = agent_display_name(settings, state.owner) if state.owner else ""
    return {
        "owner": owner,
        "status": state.status,
        "waiting": state.status == "escalated" and not owner,
        "ended": state.status == "closed",
        "rated": bool(state.ratings),
        "effort_given": state.effort is not None,
        "new_key": str(uuid.uuid4()),
    }


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _start_page(
    request: Request,
    conversations: ConversationsDep,
    identity: IdentityDep,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    packs = {name: rt.pack for name, rt in conversations.packs.items()}
    asked = request.query_params.get("pack", "")
    return templates.TemplateResponse(
        request,
        "start.html",
        {
            "packs": packs,
            "default_pack": asked if asked in packs else conversations.packs.default,
            "picker": identity.picker,
            "customer_id": request.query_params.get("customer", "") if identity.picker else "",
            "identity_token": request.query_params.get("identity", ""),
            "embed": request.query_params.get("embed") == "1",
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/", response_class=HTMLResponse)
async def start_page(
    request: Request, conversations: ConversationsDep, identity: IdentityDep
) -> Response:
    return _start_page(request, conversations, identity)


async def _continued(
    conversations: ConversationsDep, keys: KeysDep, after: str, after_token: str
) -> Identity | None:
    """The customer of the ended conversation ``after``, for a new chat started from it: the
    page that showed it carried a token that opens nothing but this (``after:<id>``)."""
    keys.check(after_token, f"after:{after}")
    state, log = await conversations.state(after)
    started = next((e for e in log if isinstance(e, ConversationStarted)), None)
    if state.customer_id is None:
        return None
    how = started.verified_by if started is not None else None
    return Identity(state.customer_id, how or "conversation")  # type: ignore[arg-type]


@router.post("/chat")
async def start_chat(
    request: Request,
    conversations: ConversationsDep,
    identity: IdentityDep,
    keys: KeysDep,
    settings: SettingsDep,
    pack: Annotated[str, Form()] = "",
    customer_id: Annotated[str, Form(max_length=128)] = "",
    identity_token: Annotated[str, Form(max_length=4096)] = "",
    embed: Annotated[str, Form(max_length=1)] = "",
    after: Annotated[str, Form(max_length=64)] = "",
    after_token: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    """Start a chat: bound to a customer only by a verified identity token (or, with the
    development picker, the id typed in), or, for "Start a new chat" after one ended, to that
    one's customer; the conversation's key goes into its cookies. With ``embed`` (the widget's
    iframe) the answer is the chat page itself, holding the key for a cookie-less frame."""
    try:
        if after:
            who = await _continued(conversations, keys, after, after_token)
        else:
            who = identity.identify(identity_token.strip() or None, customer_id.strip() or None)
    except (IdentityRejected, ConversationAccessDenied) as exc:
        return _start_page(request, conversations, identity, exc.public_detail(), 403)
    result = await conversations.start(
        pack or None,
        who.customer_id if who else None,
        "web",
        verified_by=who.verified_by if who else None,
    )
    cid, token = result.conversation_id, keys.issue(result.conversation_id)
    if embed == "1":  # in an iframe, perhaps of another site: the page itself holds the token
        response = await _chat_view(
            request, conversations, settings, keys, cid, embed=True, token=token
        )
    else:
        response = RedirectResponse(f"/chat/{cid}", status_code=303)
    grant(request, response, cid, token)
    return response


async def _chat_view(
    request: Request,
    conversations: ConversationsDep,
    settings: Settings,
    keys: KeysDep,
    conversation_id: str,
    *,
    embed: bool,
    token: str = "",
) -> Response:
    """The chat page; with ``token``, the page sends it as a header (in another site's iframe,
    where the browser sends no SameSite cookie)."""
    state, log = await conversations.state(conversation_id)
    persona = conversations.pack(state.pack).pack.persona
    return templates.TemplateResponse(
        request,
        "chat.html",
        {
            "conversation_id": conversation_id,
            "persona": persona,
            "pack": state.pack,
            "lines": _thumbed(_log_lines(settings, log), state),
            "words": _words(conversations, state),
            "customer_id": state.customer_id,
            "after_token": keys.issue(f"after:{conversation_id}"),
            "embed": embed,
            "token": token,
            **_view(settings, state),
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/chat/{conversation_id}", response_class=HTMLResponse)
async def chat_page(
    conversation_id: ConversationAccess,
    request: Request,
    conversations: ConversationsDep,
    settings: SettingsDep,
    keys: KeysDep,
) -> Response:
    embed = request.query_params.get("embed") == "1"
    return await _chat_view(request, conversations, settings, keys, conversation_id, embed=embed)


@router.get("/chat/{conversation_id}/log", response_class=HTMLResponse)
async def chat_log(
    conversation_id: ConversationAccess,
    request: Request,
    conversations: ConversationsDep,
    settings: SettingsDep,
) -> Response:
    """The whole log again: the page reads it when its live stream comes back after a break,
    so that nothing said meanwhile is missed."""
    state, log = await conversations.state(conversation_id)
    context = {
        "lines": _thumbed(_log_lines(settings, log), state),
        "conversation_id": conversation_id,
        "words": _words(conversations, state),
    }
    return templates.TemplateResponse(request, "_messages.html", context | _view(settings, state))


@router.post("/chat/{conversation_id}/messages", response_class=HTMLResponse)
async def send(
    conversation_id: ConversationAccess,
    request: Request,
    conversations: ConversationsDep,
    settings: SettingsDep,
    text: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The composer's post: the answer is the customer's message as recorded and the replies
    (htmx), or, without script, the page again. ``idempotency_key`` (from the form, or the
    ``Idempotency-Key`` header) makes a retried post return the first answer."""
    key = idempotency_key or request.headers.get("idempotency-key", "")
    if len(key) > 128:  # never cut: two keys alike in their first 128 characters are not one
        notice = "the idempotency key is longer than 128 characters"
        return templates.TemplateResponse(request, "_notice.html", {"notice": notice})
    context: dict[str, object] = {"conversation_id": conversation_id}
    try:
        result = await conversations.post_message(conversation_id, text, key or None)
    except ConversationClosed:
        state, _ = await conversations.state(conversation_id)
        context |= {"lines": [], "closed_notice": True, **_view(settings, state)}
        return templates.TemplateResponse(request, "_messages.html", context)
    except WarmlineError as exc:
        if exc.status == 404:
            raise
        return templates.TemplateResponse(request, "_notice.html", {"notice": exc.public_detail()})
    if not _htmx(request):
        return RedirectResponse(f"/chat/{conversation_id}", status_code=303)
    state, _ = await conversations.state(conversation_id)
    lines = _thumbed(_turn_lines(result, text.strip()), state)
    context |= {"lines": lines, "words": _words(conversations, state), **_view(settings, state)}
    return templates.TemplateResponse(request, "_messages.html", context)


@router.post("/chat/{conversation_id}/feedback", response_class=HTMLResponse)
async def feedback(
    conversation_id: ConversationAccess,
    request: Request,
    conversations: ConversationsDep,
    settings: SettingsDep,
    rating: Annotated[int, Form(ge=1, le=5)],
) -> Response:
    """A rating, once: the form gives way to a thank-you; a second rating is refused (409)
    with a plain word that it counted once already."""
    try:
        await conversations.give_feedback(conversation_id, rating)
        already, status_code = False, 200
    except ConflictError:
        already, status_code = True, 409
    if not _htmx(request):
        return RedirectResponse(f"/chat/{conversation_id}", status_code=303)
    state, _ = await conversations.state(conversation_id)
    context = {
        "already": already,
        "conversation_id": conversation_id,
        "words": _words(conversations, state),
        **_view(settings, state),
    }
    return templates.TemplateResponse(request, "_rated.html", context, status_code=status_code)


@router.post("/chat/{conversation_id}/effort", response_class=HTMLResponse)
async def effort(
    conversation_id: ConversationAccess,
    request: Request,
    conversations: ConversationsDep,
    ces: Annotated[int, Form(ge=1, le=7)],
) -> Response:
    """The effort score (CES) asked after the rating, once: the question gives way to a
    thank-you; a second answer is refused (409) and the first one counts."""
    try:
        await Feedback(conversations).rate_effort(conversation_id, ces)
        status_code = 200
    except ConflictError:
        status_code = 409
    if not _htmx(request):
        return RedirectResponse(f"/chat/{conversation_id}", status_code=303)
    state, _ = await conversations.state(conversation_id)
    context = {"conversation_id": conversation_id, "words": _words(conversations, state)}
    return templates.TemplateResponse(
        request, "_effort.html", context | {"effort_given": True}, status_code=status_code
    )


@router.post("/chat/{conversation_id}/replies/{reply}/rating", response_class=HTMLResponse)
async def rate_answer(
    conversation_id: ConversationAccess,
    request: Request,
    conversations: ConversationsDep,
    reply: Annotated[int, Path(ge=0)],
    helpful: Annotated[bool, Form()],
) -> Response:
    """A thumb on one bot reply (a later one replaces it): the pair again, the thumb given
    pressed, with a thank-you; 404 for a position that holds no bot reply."""
    await Feedback(conversations).rate_answer(conversation_id, reply, helpful)
    if not _htmx(request):
        return RedirectResponse(f"/chat/{conversation_id}", status_code=303)
    state, _ = await conversations.state(conversation_id)
    context = {
        "conversation_id": conversation_id,
        "line": {"reply": reply, "thumb": state.thumbs.get(reply)},
        "words": _words(conversations, state),
    }
    return templates.TemplateResponse(request, "_thumbs.html", context)


@router.post("/chat/{conversation_id}/handoff", response_class=HTMLResponse)
async def handoff(
    conversation_id: ConversationAccess,
    request: Request,
    conversations: ConversationsDep,
    settings: SettingsDep,
) -> Response:
    result = await conversations.request_person(conversation_id)
    if not _htmx(request):
        return RedirectResponse(f"/chat/{conversation_id}", status_code=303)
    lines = _turn_lines(result, "Talk to a person") if result.replies else []
    state, _ = await conversations.state(conversation_id)
    context = {
        "lines": _thumbed(lines, state),
        "conversation_id": conversation_id,
        "words": _words(conversations, state),
        **_view(settings, state),
    }
    return templates.TemplateResponse(request, "_messages.html", context)
