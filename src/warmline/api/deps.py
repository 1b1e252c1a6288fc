"""Typed dependencies for routes: the runtime and its services, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from warmline.services.conversations import ConversationService
from warmline.services.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_conversations(request: Request) -> ConversationService:
    return get_runtime(request).conversations


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
