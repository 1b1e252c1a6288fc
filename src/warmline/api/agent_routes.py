"""The agent API: the queue, claiming a conversation, replying, handing back, wrapping up, and
for supervisors and admins who is on shift and the accounts. Thin routes over
``services.handoff``. Every route needs an agent signed in to the console (its session cookie,
401 without) with the route's role (403 without); the agent is the signed-in one, never taken
from the request. A state-changing request carries the session's CSRF token in
``X-CSRF-Token`` (``GET /api/agent/session`` gives it)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse

from warmline.api.deps import (
    AdminDep,
    AgentDep,
    HandoffDep,
    PacketsDep,
    RuntimeDep,
    SignedInDep,
    SupervisorDep,
    check_may_read,
)
from warmline.api.problems import documented
from warmline.api.sessions import Revocations, csrf_token, require_csrf_when_signed_in
from warmline.api.streams import conversation_stream
from warmline.api.text import CleanText, PathText
from warmline.domain.packet import Packet

PROBLEMS = documented(
    {
        400: "a text holds a lone surrogate, or the body is not valid UTF-8 (undecodable_input)",
        401: "no agent is signed in, or the session has ended (not_signed_in)",
        403: "the agent's role does not allow it, the CSRF token is missing, or the request "
        "comes from another site's page (forbidden, cross_origin)",
        404: "no such conversation or agent",
        409: "the conversation's state forbids it (not waiting, another agent's, closed)",
        413: "the body is too large (request_too_large)",
        422: "a field is invalid (validation_error) or a text holds a control character "
        "(invalid_text)",
        429: "too many requests from this address (rate_limited; Retry-After)",
        503: "the database is unavailable for the moment (storage_unavailable)",
    }
)
router = APIRouter(
    prefix="/api/agent",
    tags=["agents"],
    dependencies=[Depends(require_csrf_when_signed_in)],
    responses=PROBLEMS,
)


class SessionOut(BaseModel):
    name: str
    role: str
    csrf_token: str = Field(description="send it as X-CSRF-Token with every POST")


class OnShift(BaseModel):
    name: str
    capacity: int
    skills: list[str]
    holding: list[str]


class AccountOut(BaseModel):
    name: str
    role: str
    skills: list[str]


class QueueRow(BaseModel):
    conversation_id: str
    pack: str
    customer_id: str | None
    trigger: str | None
    waiting_since: datetime
    waiting_s: float
    skill: str | None
    sla_wait_s: float
    sla_breached: bool


class AgentText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: CleanText = Field(min_length=1, max_length=4000)


class HandBack(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: CleanText = Field("", max_length=2000)


class WrapUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: CleanText = Field(
        min_length=1, max_length=64, description="e.g. resolved, refunded"
    )
    corrected_intent: CleanText | None = Field(
        None, max_length=64, description="the intent it really was, when the bot misread it"
    )
    note: CleanText = Field("", max_length=2000)


@router.get("/session", response_model=SessionOut)
async def session(agent: SignedInDep, request: Request) -> SessionOut:
    """Who is signed in, with which role, and the CSRF token for this session's POSTs."""
    return SessionOut(name=agent.name, role=agent.role, csrf_token=csrf_token(request))


@router.get("/conversations/{conversation_id}/packet", response_model=Packet)
async def packet(
    agent: SignedInDep, conversation_id: PathText, packets: PacketsDep, runtime: RuntimeDep
) -> Packet:
    """The warm-transfer packet: summary, transcript, intents and entities, how the customer
    felt turn by turn, actions attempted, the trigger, the account and past conversations.
    An agent reads it while the conversation waits for a person or is theirs; a supervisor
    reads any."""
    await check_may_read(runtime, agent, conversation_id)
    return await packets.packet(conversation_id)


@router.get("/conversations/{conversation_id}/stream")
async def stream(
    conversation_id: PathText, agent: SignedInDep, runtime: RuntimeDep
) -> EventSourceResponse:
    """The conversation's live messages (server-sent events, as the customer's stream), for an
    agent who may read it (waiting for a person or theirs; a supervisor any)."""
    await check_may_read(runtime, agent, conversation_id)
    return await conversation_stream(runtime, conversation_id)


@router.get("/queue", response_model=list[QueueRow])
async def queue(agent: AgentDep, handoff: HandoffDep) -> list[QueueRow]:
    """Conversations waiting for a person that this agent's skills cover, the longest waiting
    first, each with its wait against the pack's service level."""
    return [
        QueueRow(**item.__dict__, sla_breached=item.sla_breached)
        for item in await handoff.queue(agent)
    ]


@router.post("/conversations/{conversation_id}/claim", response_model=Packet)
async def claim(
    agent: AgentDep, conversation_id: PathText, handoff: HandoffDep, runtime: RuntimeDep
) -> Packet:
    """Take the conversation (409 when another agent has it); returns the warm-transfer packet
    (the read is audited)."""
    packet = await handoff.claim(conversation_id, agent)
    await runtime.audit.record(agent, "conversation.claim", conversation_id)
    return packet


@router.post("/conversations/{conversation_id}/messages", status_code=status.HTTP_204_NO_CONTENT)
async def reply(
    agent: AgentDep, conversation_id: PathText, body: AgentText, handoff: HandoffDep
) -> None:
    """The agent's message to the customer (only the owner may write)."""
    await handoff.reply(conversation_id, agent, body.text)


@router.post("/conversations/{conversation_id}/handback", status_code=status.HTTP_204_NO_CONTENT)
async def hand_back(
    agent: AgentDep, conversation_id: PathText, body: HandBack, handoff: HandoffDep
) -> None:
    """Give the conversation back to the bot."""
    await handoff.hand_back(conversation_id, agent, body.note)


@router.post("/conversations/{conversation_id}/wrapup", status_code=status.HTTP_204_NO_CONTENT)
async def wrap_up(
    agent: AgentDep, conversation_id: PathText, body: WrapUp, handoff: HandoffDep
) -> None:
    """Close the agent's work with its outcome and, if the bot misread it, the real intent."""
    await handoff.wrap_up(
        conversation_id, agent, body.disposition, body.corrected_intent, body.note
    )


@router.get("/agents", response_model=list[OnShift])
async def on_shift(agent: SupervisorDep, handoff: HandoffDep) -> list[OnShift]:
    """Supervisors: every agent on shift, their capacity, skills and the conversations they
    hold."""
    return [
        OnShift(name=name, capacity=p.capacity, skills=sorted(p.skills), holding=sorted(p.active))
        for name, p in sorted(handoff.presence.agents.items())
    ]


@router.post("/agents/{name}/signout", status_code=status.HTTP_204_NO_CONTENT)
async def sign_agent_out(
    agent: SupervisorDep, name: PathText, handoff: HandoffDep, request: Request
) -> None:
    """Supervisors: end every session an agent holds and, when they are on shift, take them
    off it (the conversations they hold go back to the queue)."""
    if name in handoff.presence.agents:
        await handoff.leave(name)
    revocations: Revocations = request.app.state.revocations
    await revocations.revoke_agent(name)


@router.get("/accounts", response_model=list[AccountOut])
async def accounts(agent: AdminDep, runtime: RuntimeDep) -> list[AccountOut]:
    """Admins: the configured agent accounts with their roles and skills (never the hashes)."""
    return [
        AccountOut(name=name, role=account.role, skills=list(account.skills))
        for name, account in sorted(runtime.settings.agents.items())
    ]
