"""Agent accounts for the console: argon2id password hashes (argon2-cffi), a role per agent,
and sign-in against them. Produce a hash with ``warmline agents hash-password``; configure
accounts with ``WARMLINE_AGENTS`` (``settings.AgentAccount``). Hashes made by earlier versions
(``scrypt$n$r$p$salt$hash``) still verify; ``needs_rehash`` says when to replace one.

Sign-in runs the hash in a worker thread (it takes tens of milliseconds of CPU, too long for the
event loop), and a name that is not configured is checked against a dummy hash at the same cost,
so the time a sign-in takes does not tell which agent names exist.

Roles are ordered: ``agent`` works the queue (claim, chat, hand back, wrap up); ``supervisor``
also sees every conversation and every agent and changes other agents' work; ``admin`` also
sees the accounts."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from warmline.settings import AgentAccount, Role

ROLES: tuple[Role, ...] = ("agent", "supervisor", "admin")
SHARED_PASSWORD_ROLE: Role = "admin"
_hasher = PasswordHasher()  # argon2id, the library's (RFC 9106 low-memory) parameters


@dataclass(frozen=True)
class SignedIn:
    """Who signed in: the name, the role and the skills configured for the account."""

    name: str
    role: Role
    skills: tuple[str, ...] = ()


def has_role(role: str, needed: Role) -> bool:
    """True when ``role`` is ``needed`` or above it (agent < supervisor < admin)."""
    rank: dict[str, int] = {r: i for i, r in enumerate(ROLES)}
    return rank.get(role, -1) >= rank[needed]


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (``$argon2id$v=19$m=...``)."""
    return _hasher.hash(password)


def needs_rehash(stored: str) -> bool:
    """True for a hash made with other parameters or the older scrypt scheme."""
    if not stored.startswith("$argon2"):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=2**26,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (argon2, or a legacy scrypt hash); a malformed
    ``stored`` never matches."""
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _unknown_name_hash() -> str:
    """The hash checked for a name that is not configured: same parameters as
    ``hash_password``'s, of a random password nobody knows. Computed once per process."""
    return hash_password(secrets.token_urlsafe(32))


def _verify_account(password: str, stored: str | None) -> bool:
    dummy = _unknown_name_hash()  # on every path, so the first sign-in costs the same for all
    matches = verify_password(password, stored if stored is not None else dummy)
    return matches and stored is not None


async def authenticate(
    accounts: dict[str, AgentAccount], shared_password: str | None, name: str, password: str
) -> SignedIn | None:
    """Who signed in when ``password`` is ``name``'s own (``accounts``), or, with no accounts
    configured and a ``shared_password`` (development only), that password (role
    ``SHARED_PASSWORD_ROLE``); else None. Never blocks the event loop."""
    if not accounts:
        if shared_password is None:
            return None
        if hmac.compare_digest(password.encode("utf-8"), shared_password.encode("utf-8")):
            return SignedIn(name, SHARED_PASSWORD_ROLE)
        return None
    account = accounts.get(name)
    stored = account.hash if account is not None else None
    if not await asyncio.to_thread(_verify_account, password, stored) or account is None:
        return None
    return SignedIn(name, account.role, account.skills)
