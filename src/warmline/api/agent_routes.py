"""The agent API: the queue, claiming a conversation, replying, handing back, wrapping up, the
writes waiting for a person's approval (executed or rejected) and each write's rollout mode
(changed by supervisors), and for supervisors and admins who is on shift and the accounts.
Thin routes over ``services.handoff`` and ``services.rollout``. Every route needs an agent signed in to the console (its session cookie,
401 without) with the route's role (403 without); the agent is the signed-in one, never taken
from the request. A state-changing request carries the session's CSRF token in
``X-CSRF-Token`` (``GET /api/agent/session`` gives it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, status
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
from warmline.domain.pack import RolloutMode
from warmline.domain.packet import Packet
from warmline.services.rollout import ActionRollout, Approval

ApprovalId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the approval queue's id")]

PROBLEMS = documented(
    {
        400: "a text holds a lone surrogate, or the body is not valid UTF-8 (undecodable_input)",
        401: "no agent is signed in, or the session has ended (not_signed_in)",
        403: "the agent's role does not allow it, the CSRF token is missing, or the request "
        "comes from another site's page (forbidden, cross_origin)",
        404: "no such conversation, agent, approval or action",
        409: "the conversation's state forbids it (not waiting, another agent's, closed), the "
        "write was decided already, or the rollout's bar refuses the change of mode",
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


class ApprovalOut(BaseModel):
    id: int = Field(description="the approval queue's id, used to execute or reject it")
    idempotency_key: str = Field(description="the write's key: the events name it by this")
    conversation_id: str
    pack: str
    action: str
    params: dict[str, str]
    mode: str = Field(description="the rollout mode that held it: shadow, supervised, ...")
    created_at: datetime
    status: str = Field(description="waiting, executed or rejected")
    reasons: list[dict[str, Any]]

    @classmethod
    def of(cls, approval: Approval) -> ApprovalOut:
        return cls.model_validate(approval, from_attributes=True)


class ApprovalDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: CleanText = Field("", max_length=2000, description="why; the customer reads none of it")


class RolloutOut(BaseModel):
    pack: str
    action: str
    risk: str
    declared: RolloutMode = Field(description="the pack's mode: the action's, else its default")
    mode: RolloutMode = Field(description="the mode in force")
    changed_by: str | None = Field(description="the supervisor who set it, if one did")
    decided: int = Field(description="shadow cases a person decided")
    agreed: int = Field(description="of them, executed unchanged")
    min_cases: int
    min_agreement: float
    max_amount: float | None
    may_leave_shadow: bool
    why: str = Field(description="why it may or may not leave shadow now")

    @classmethod
    def of(cls, row: ActionRollout) -> RolloutOut:
        return cls(
            pack=row.pack,
            action=row.action,
            risk=row.risk,
            declared=row.declared,
            mode=row.mode,
            changed_by=row.changed_by,
            decided=row.agreement.decided,
            agreed=row.agreement.agreed,
            min_cases=row.min_cases,
            min_agreement=row.min_agreement,
            max_amount=row.max_amount,
            may_leave_shadow=row.promotable.allowed,
            why=row.promotable.why,
        )


class ModeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["shadow", "supervised", "autonomous"]
    why: CleanText = Field(min_length=1, max_length=2000, description="audited with the change")


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


@router.get("/approvals", response_model=list[ApprovalOut])
async def approvals(agent: AgentDep, runtime: RuntimeDep) -> list[ApprovalOut]:
    """The writes waiting for a person (shadow proposals, writes held for approval), oldest
    first."""
    return [ApprovalOut.of(a) for a in await runtime.rollouts.waiting()]


@router.post(
    "/approvals/{approval_id}/execute",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=documented({502: "the back office failed: the write still waits (upstream_failed)"}),
)
async def execute_approval(
    agent: AgentDep, approval_id: ApprovalId, body: ApprovalDecision, runtime: RuntimeDep
) -> None:
    """Run the held write as the bot would have (the same idempotency key); the customer reads
    the outcome live. 409 once it was decided; a back office that fails leaves it waiting."""
    await runtime.rollouts.execute(approval_id, agent, body.note)


@router.post("/approvals/{approval_id}/reject", status_code=status.HTTP_204_NO_CONTENT)
async def reject_approval(
    agent: AgentDep, approval_id: ApprovalId, body: ApprovalDecision, runtime: RuntimeDep
) -> None:
    """Nothing is written; the customer is told so and offered a person. 409 once decided."""
    await runtime.rollouts.reject(approval_id, agent, body.note)


@router.get("/rollout", response_model=list[RolloutOut])
async def rollout(agent: AgentDep, runtime: RuntimeDep) -> list[RolloutOut]:
    """Every write of every pack served: its mode, who set it, the agreement measured in
    shadow and whether it may leave shadow now."""
    return [RolloutOut.of(row) for row in await runtime.rollouts.overview()]


@router.post("/rollout/{pack}/{action}", response_model=RolloutOut)
async def change_rollout(
    agent: SupervisorDep, pack: PathText, action: PathText, body: ModeChange, runtime: RuntimeDep
) -> RolloutOut:
    """Supervisors: change a write's mode, with why (audited). Leaving shadow is refused (409)
    until the agreement measured in shadow meets the action's bar."""
    await runtime.rollouts.change_mode(pack, action, body.mode, agent.name, body.why)
    [row] = [r for r in await runtime.rollouts.overview() if (r.pack, r.action) == (pack, action)]
    return RolloutOut.of(row)
