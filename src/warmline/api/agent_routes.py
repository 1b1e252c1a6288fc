"""The agent API: the queue, claiming a conversation, replying, handing back, wrapping up.
Thin routes over ``services.handoff``. Every route needs the agent signed in to the console
(its session cookie); the agent is the signed-in one, never taken from the request."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from warmline.api.deps import AgentDep, HandoffDep, PacketsDep
from warmline.domain.packet import Packet

router = APIRouter(prefix="/api/agent", tags=["agents"])


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
    text: str = Field(min_length=1, max_length=4000)


class HandBack(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000)


class WrapUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: str = Field(min_length=1, max_length=64, description="e.g. resolved, refunded")
    corrected_intent: str | None = Field(
        None, max_length=64, description="the intent it really was, when the bot misread it"
    )
    note: str = Field("", max_length=2000)


@router.get("/conversations/{conversation_id}/packet", response_model=Packet)
async def packet(agent: AgentDep, conversation_id: str, packets: PacketsDep) -> Packet:
    """The warm-transfer packet: summary, transcript, intents and entities, how the customer
    felt turn by turn, actions attempted, the trigger, the account and past conversations."""
    return await packets.packet(conversation_id)


@router.get("/queue", response_model=list[QueueRow])
async def queue(agent: AgentDep, handoff: HandoffDep) -> list[QueueRow]:
    """Conversations waiting for a person that this agent's skills cover, the longest waiting
    first, each with its wait against the pack's service level."""
    return [
        QueueRow(**item.__dict__, sla_breached=item.sla_breached)
        for item in await handoff.queue(agent)
    ]


@router.post("/conversations/{conversation_id}/claim", response_model=Packet)
async def claim(agent: AgentDep, conversation_id: str, handoff: HandoffDep) -> Packet:
    """Take the conversation (409 when another agent has it); returns the warm-transfer packet."""
    return await handoff.claim(conversation_id, agent)


@router.post("/conversations/{conversation_id}/messages", status_code=status.HTTP_204_NO_CONTENT)
async def reply(
    agent: AgentDep, conversation_id: str, body: AgentText, handoff: HandoffDep
) -> None:
    """The agent's message to the customer (only the owner may write)."""
    await handoff.reply(conversation_id, agent, body.text)


@router.post("/conversations/{conversation_id}/handback", status_code=status.HTTP_204_NO_CONTENT)
async def hand_back(
    agent: AgentDep, conversation_id: str, body: HandBack, handoff: HandoffDep
) -> None:
    """Give the conversation back to the bot."""
    await handoff.hand_back(conversation_id, agent, body.note)


@router.post("/conversations/{conversation_id}/wrapup", status_code=status.HTTP_204_NO_CONTENT)
async def wrap_up(agent: AgentDep, conversation_id: str, body: WrapUp, handoff: HandoffDep) -> None:
    """Close the agent's work with its outcome and, if the bot misread it, the real intent."""
    await handoff.wrap_up(
        conversation_id, agent, body.disposition, body.corrected_intent, body.note
    )
