"""Typed dependencies for routes: the runtime and its services, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from warmline.errors import NotSignedIn
from warmline.services.conversations import ConversationService
from warmline.services.handoff import HandoffService
from warmline.services.packets import Packets
from warmline.services.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_conversations(request: Request) -> ConversationService:
    return get_runtime(request).conversations


def get_handoff(request: Request) -> HandoffService:
    return get_runtime(request).handoff


def get_packets(request: Request) -> Packets:
    return get_runtime(request).packets


def get_agent(request: Request) -> str:
    """The agent signed in to the console (its signed session cookie); else 401."""
    agent = request.session.get("agent")
    if not isinstance(agent, str) or not agent:
        raise NotSignedIn("sign in to the agent console first")
    return agent


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
AgentDep = Annotated[str, Depends(get_agent)]
HandoffDep = Annotated[HandoffService, Depends(get_handoff)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
PacketsDep = Annotated[Packets, Depends(get_packets)]
