"""Agent accounts for the console: scrypt password hashes (``hashlib.scrypt``, a memory-hard KDF
in the standard library), stored as ``scrypt$n$r$p$salt$hash`` with base64 salt and hash, and
sign-in against them. Produce a hash with ``warmline agents hash-password``; configure accounts
with ``WARMLINE_AGENTS``.

Sign-in runs scrypt in a worker thread (it takes tens of milliseconds of CPU, too long for the
event loop), and a name that is not configured is checked against a dummy hash at the same cost,
so the time a sign-in takes does not tell which agent names exist."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${N}${R}${P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; a malformed ``stored`` never matches."""
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
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


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
    accounts: dict[str, str], shared_password: str, name: str, password: str
) -> bool:
    """True when ``password`` is ``name``'s own (``accounts``: name to scrypt hash), or, with no
    accounts configured, the shared development password. Never blocks the event loop."""
    if not accounts:
        return hmac.compare_digest(password.encode("utf-8"), shared_password.encode("utf-8"))
    return await asyncio.to_thread(_verify_account, password, accounts.get(name))
