"""The customer's access to a conversation: its token, checked on every route about it.

A client proves it may read, post into, rate or stream conversation ``X`` with the conversation
token issued when ``X`` started (``services/identity.py``), sent as ``Authorization: Bearer``
or, for pages and ``EventSource``, in the HttpOnly cookie ``warmline_conversation`` that the
start response sets on ``X``'s own paths (``/chat/X`` and ``/api/conversations/X``), so a
browser holding several conversations sends each its own key. Without a token: 401; with a
token for another conversation, expired or forged: 403. An unknown id is answered the same way
as a known one, so ids cannot be probed.

The dependencies are coroutine functions, run on the event loop: FastAPI would run a plain
function in its thread pool, a hop to another thread on every request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from warmline.api.text import PathText
from warmline.errors import ConversationTokenRequired
from warmline.services.identity import ConversationKeys, IdentityVerifier

__all__ = [
    "COOKIE",
    "ConversationAccess",
    "IdentityDep",
    "KeysDep",
    "conversation_keys",
    "grant",
    "identity_verifier",
]

COOKIE = "warmline_conversation"


def conversation_keys(request: Request) -> ConversationKeys:
    keys: ConversationKeys | None = getattr(request.app.state, "conversation_keys", None)
    if keys is None:
        settings = request.app.state.runtime.settings
        secret: str = request.app.state.secret_key  # app.py: the app's one signing key
        keys = ConversationKeys(secret, settings.conversation_token_ttl_s)
        request.app.state.conversation_keys = keys
    return keys


async def keys_dependency(request: Request) -> ConversationKeys:
    return conversation_keys(request)


async def identity_verifier(request: Request) -> IdentityVerifier:
    settings = request.app.state.runtime.settings
    return IdentityVerifier(
        settings.identity_secret, settings.identity_issuer, picker=settings.customer_picker
    )


def _presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE) or None


async def conversation_access(conversation_id: PathText, request: Request) -> str:
    """The conversation id of the path, once the request has shown that conversation's token."""
    token = _presented_token(request)
    if token is None:
        raise ConversationTokenRequired(
            "send the conversation token from the start response (Authorization: Bearer)"
        )
    conversation_keys(request).check(token, conversation_id)
    return conversation_id


def grant(request: Request, response: Response, conversation_id: PathText, token: str) -> None:
    """Set the conversation's cookie on its page and API paths."""
    secure = request.url.scheme == "https"
    ttl = conversation_keys(request).ttl_s
    for path in (f"/chat/{conversation_id}", f"/api/conversations/{conversation_id}"):
        response.set_cookie(
            COOKIE,
            token,
            max_age=ttl,
            path=path,
            httponly=True,
            samesite="strict",
            secure=secure,
        )


ConversationAccess = Annotated[str, Depends(conversation_access)]
KeysDep = Annotated[ConversationKeys, Depends(keys_dependency)]
IdentityDep = Annotated[IdentityVerifier, Depends(identity_verifier)]
