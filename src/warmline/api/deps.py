"""Typed dependencies for routes: the runtime and its services, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from warmline.services.conversations import ConversationService
from warmline.services.handoff import HandoffService
from warmline.services.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_conversations(request: Request) -> ConversationService:
    return get_runtime(request).conversations


def get_handoff(request: Request) -> HandoffService:
    return get_runtime(request).handoff


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
HandoffDep = Annotated[HandoffService, Depends(get_handoff)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
