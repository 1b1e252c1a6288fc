"""Who a conversation belongs to, and who may reach it.

Two keys, both checked by the server and neither guessable:

* **Identity tokens** bind a conversation to a customer. The host site, which has signed its
  customer in, signs a short-lived JWT (HS256) with ``WARMLINE_IDENTITY_SECRET``: ``sub`` is the
  customer id in the back office, ``exp`` is required, ``iss`` is checked when
  ``WARMLINE_IDENTITY_ISSUER`` is set. This is how Intercom's and Chatwoot's identity
  verification work. A bare customer id binds nothing, except with the development switch
  ``WARMLINE_CUSTOMER_PICKER`` (the demo's one-click picker).
* **Conversation tokens** are the customer's key to one conversation: issued when it starts,
  signed with the server's secret key (itsdangerous), required for every read, post, rating and
  stream of it. A conversation id alone grants nothing.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

import jwt
import jwt.types
from itsdangerous import BadSignature, URLSafeTimedSerializer

from warmline.errors import ConfigurationError, ConversationAccessDenied, IdentityRejected

__all__ = ["ConversationKeys", "Identity", "IdentityVerifier", "VerifiedBy"]

VerifiedBy = Literal["identity_token", "customer_picker"]
"""How a conversation came to be bound to its customer (kept in ``ConversationStarted``)."""

_LEEWAY_S = 30  # clock skew tolerated between the host site and this server
OPENED_KEPT = 4096
"""Conversation tokens whose signature verified, remembered (the most recently shown) with
what they open and when they were signed: a conversation's token comes with every request of
it, and its signature is verified once."""


@dataclass(frozen=True)
class Identity:
    """The customer a conversation is bound to, and how that was established."""

    customer_id: str
    verified_by: VerifiedBy


class IdentityVerifier:
    """Turns what a client offers at the start of a conversation into a verified customer."""

    def __init__(self, secret: str | None, issuer: str | None, *, picker: bool) -> None:
        self.secret, self.issuer, self.picker = secret, issuer, picker

    def identify(self, identity_token: str | None, customer_id: str | None) -> Identity | None:
        """The verified customer, or None for an anonymous conversation.

        Raises :class:`IdentityRejected` for a token that does not verify and for a customer id
        offered without a token (unless the development picker is on)."""
        if identity_token:
            return Identity(self._subject(identity_token), "identity_token")
        if customer_id:
            if not self.picker:
                raise IdentityRejected(
                    "a customer id alone proves nothing: sign the customer in on your site and "
                    "pass its identity token (docs/identity.md)"
                )
            return Identity(customer_id, "customer_picker")
        return None

    def _subject(self, token: str) -> str:
        if not self.secret:
            raise IdentityRejected("this server accepts no identity tokens (no identity secret)")
        options: jwt.types.Options = {"require": ["exp", "sub"] + (["iss"] if self.issuer else [])}
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                issuer=self.issuer,
                leeway=_LEEWAY_S,
                options=options,
            )
        except jwt.ExpiredSignatureError:
            raise IdentityRejected("the identity token has expired") from None
        except jwt.PyJWTError as exc:
            raise IdentityRejected(f"the identity token does not verify: {exc}") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip() or len(subject) > 128:
            raise IdentityRejected("the identity token names no customer (sub)")
        return subject.strip()


class ConversationKeys:
    """Issues and checks conversation tokens."""

    def __init__(self, secret: str, ttl_s: int) -> None:
        if len(secret) < 32:  # an empty or short key would make tokens forgeable
            raise ConfigurationError("conversation tokens need a secret key of 32+ characters")
        self._serializer = URLSafeTimedSerializer(secret, salt="warmline-conversation")
        self.ttl_s = ttl_s
        self._opened: OrderedDict[str, tuple[Any, int]] = OrderedDict()

    def issue(self, conversation_id: str) -> str:
        return self._serializer.dumps(conversation_id)

    def check(self, token: str, conversation_id: str) -> None:
        """Raises :class:`ConversationAccessDenied` unless ``token`` opens ``conversation_id``.
        A token is expired, as itsdangerous's ``max_age`` has it, once its age in whole seconds
        is over the time to live (or below 0: signed in the future)."""
        opened, signed_at = self._open(token)
        age = int(time.time()) - signed_at
        if age > self.ttl_s or age < 0:
            raise ConversationAccessDenied("the conversation token has expired")
        if opened != conversation_id:
            raise ConversationAccessDenied("the conversation token is for another conversation")

    def _open(self, token: str) -> tuple[Any, int]:
        """What ``token`` holds and when it was signed (in whole seconds), its signature
        verified, once per token while it is among the ``OPENED_KEPT`` shown last."""
        known = self._opened.get(token)
        if known is not None:
            self._opened.move_to_end(token)
            return known
        try:
            opened, signed = self._serializer.loads(token, return_timestamp=True)
        except BadSignature:
            raise ConversationAccessDenied("the conversation token is not valid") from None
        self._opened[token] = known = (opened, int(signed.timestamp()))
        if len(self._opened) > OPENED_KEPT:
            self._opened.popitem(last=False)
        return known
