"""The console's conversation page and what it does: the transcript with times, the packet
(re-rendered live as the chat goes on), the customer's profile with its values, agent assist
with the next best actions still open, saved replies, the customer's past conversations;
replying, marking what was read, handing back, wrapping up; and search over conversations.
The work is done in ``services/`` (``handoff``, ``console_profile``, ``console_assist``,
``console_search``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warmline.api.deps import HandoffDep, RuntimeDep, check_may_read
from warmline.errors import ConflictError, InputError
from warmline.services.console_assist import assist
from warmline.services.console_profile import ConsoleProfiles
from warmline.services.console_search import MAX_CHARS, ConsoleSearch
from warmline.services.runtime import Runtime
from warmline.web.console_common import ConsoleAgent, read_marks, render

router = APIRouter(include_in_schema=False)


async def _packet_context(runtime: Runtime, conversation_id: str) -> dict[str, Any]:
    """The packet and what agent assist makes of it."""
    packet = await runtime.packets.packet(conversation_id)
    pack_runtime = runtime.conversations.pack(packet.pack)
    return {"packet": packet, "assist": assist(pack_runtime, packet)}


@router.get("/console/c/{conversation_id}", response_class=HTMLResponse)
async def conversation(
    conversation_id: str, request: Request, agent: ConsoleAgent, runtime: RuntimeDep
) -> Response:
    """The conversation with its packet: while it waits for a person or is the agent's own;
    supervisors see any. Opening it marks every message read."""
    await check_may_read(runtime, agent, conversation_id)
    context = await _packet_context(runtime, conversation_id)
    packet = context["packet"]
    state, _ = await runtime.conversations.state(conversation_id)
    pack = runtime.conversations.pack(packet.pack).pack
    profiles = ConsoleProfiles(runtime.conversations.accounts)
    customer = await profiles.customer(pack, packet.customer_id)
    read_marks(request).mark(agent.name, conversation_id, len(packet.transcript))
    return render(
        request,
        "console_conversation.html",
        {
            **context,
            "agent": agent.name,
            "may_open_any": agent.may("supervisor"),
            "owner": state.owner,
            "status": state.status,
            "brand": pack.persona.company,
            "intents": [(n, pack.intent_label(n)) for n in pack.intents],
            "profile": await profiles.profile(pack, customer),
            "macros": profiles.macros(pack, customer, agent.name),
        },
    )


@router.get("/console/c/{conversation_id}/packet", response_class=HTMLResponse)
async def packet_fragment(
    conversation_id: str, request: Request, agent: ConsoleAgent, runtime: RuntimeDep
) -> Response:
    """The summary, feelings, attempts and next best actions, re-rendered as the chat goes on
    (the page asks for it on each new message)."""
    await check_may_read(runtime, agent, conversation_id)
    context = await _packet_context(runtime, conversation_id)
    return render(request, "_console_packet.html", {**context, "agent": agent.name})


@router.post("/console/c/{conversation_id}/seen", status_code=204)
async def seen(
    conversation_id: str, request: Request, agent: ConsoleAgent, runtime: RuntimeDep
) -> Response:
    """The agent has read every message shown so far (the page says so as they arrive); only
    for a conversation the agent may read, so it tells nothing of the others."""
    await check_may_read(runtime, agent, conversation_id, audited=False)
    state, _ = await runtime.conversations.state(conversation_id)
    read_marks(request).mark(agent.name, conversation_id, len(state.transcript))
    return Response(status_code=204)


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


def _search_rows(runtime: Runtime, hits: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for hit in hits:
        summary = hit.conversation
        rows.append(
            {
                "id": summary.id,
                "customer": summary.customer_id or "guest",
                "brand": runtime.conversations.pack(summary.pack).pack.persona.company,
                "status": summary.status,
                "updated": summary.updated_at,
                "matched": hit.matched,
                "snippet": hit.snippet,
            }
        )
    return rows


@router.get("/console/search", response_class=HTMLResponse)
async def search(
    request: Request,
    agent: ConsoleAgent,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=MAX_CHARS * 2)] = "",
) -> Response:
    """Conversations by customer id or name, conversation, order or reservation id, or a text
    of the transcript (masked like the stored text); an agent sees those they may open."""
    found = await ConsoleSearch(runtime.conversations).find(
        q, agent.name, sees_all=agent.may("supervisor")
    )
    if found.query:  # who searched, and how much they found; never the query itself
        await runtime.audit.record(
            agent.name,
            "conversation.search",
            "conversations",
            role=agent.role,
            hits=len(found.hits),
        )
    return render(
        request,
        "console_search.html",
        {"agent": agent.name, "result": found, "rows": _search_rows(runtime, found.hits)},
    )
