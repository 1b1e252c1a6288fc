"""Typed dependencies for routes: the runtime and its services, as ``Annotated`` aliases.

Every dependency is a coroutine function: FastAPI runs a plain function in its thread pool, a
hop to another thread and back on every request for what is a lookup on the app's state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from warmline.api.sessions import Agent, session_agent
from warmline.errors import Forbidden
from warmline.services.conversations import ConversationService
from warmline.services.handoff import HandoffService
from warmline.services.packets import Packets
from warmline.services.runtime import Runtime
from warmline.settings import Role


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def runtime_dependency(request: Request) -> Runtime:
    return get_runtime(request)


async def get_conversations(request: Request) -> ConversationService:
    return get_runtime(request).conversations


async def get_handoff(request: Request) -> HandoffService:
    return get_runtime(request).handoff


async def get_packets(request: Request) -> Packets:
    return get_runtime(request).packets


async def get_agent(request: Request) -> str:
    """The name of the agent signed in to the console (a valid, unrevoked session); else 401.
    Every role may use a route that asks for it."""
    return (await session_agent(request)).name


def role_required(role: Role) -> Callable[[Request], Awaitable[Agent]]:
    """A dependency: the signed-in agent (else 401), who must hold ``role`` or one above it
    (else 403)."""

    async def agent_with_role(request: Request) -> Agent:
        agent = await session_agent(request)
        if not agent.may(role):
            raise Forbidden(f"this needs the {role} role")
        return agent

    setattr(agent_with_role, "required_role", role)  # noqa: B010 (read by the route tests)
    return agent_with_role


async def check_may_read(
    runtime: Runtime, agent: Agent, conversation_id: str, audited: bool = True
) -> None:
    """An agent reads a conversation (its packet: the customer's account) only while it waits
    for a person or is theirs; a supervisor reads any. Else 403 (404 when there is none).
    Each read allowed is written to the audit log (``audited``: a check that reads nothing,
    such as marking messages read, is not)."""
    if not agent.may("supervisor"):
        state, _ = await runtime.conversations.state(conversation_id)
        waiting = state.status == "escalated" and state.owner is None
        if not waiting and state.owner != agent.name:
            raise Forbidden("this conversation is neither waiting for a person nor yours")
    if audited:
        await runtime.audit.record(
            agent.name, "conversation.read", conversation_id, role=agent.role
        )


RuntimeDep = Annotated[Runtime, Depends(runtime_dependency)]
AgentDep = Annotated[str, Depends(get_agent)]
SignedInDep = Annotated[Agent, Depends(role_required("agent"))]
SupervisorDep = Annotated[Agent, Depends(role_required("supervisor"))]
AdminDep = Annotated[Agent, Depends(role_required("admin"))]
HandoffDep = Annotated[HandoffService, Depends(get_handoff)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
PacketsDep = Annotated[Packets, Depends(get_packets)]
