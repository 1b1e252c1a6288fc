"""Agent sign-in: argon2id hashes verified off the event loop, the same work for a name that does
not exist as for one that does, roles from the accounts, older scrypt hashes still verifying,
and the shared development password compared in constant time and only where it is allowed."""

from __future__ import annotations

import base64
import hashlib
import threading

import pytest

from warmline.services import agent_accounts
from warmline.services.agent_accounts import (
    SignedIn,
    authenticate,
    has_role,
    hash_password,
    needs_rehash,
    verify_password,
)
from warmline.settings import AgentAccount

ACCOUNTS = {
    "ana": AgentAccount(hash=hash_password("s3cret")),
    "ben": AgentAccount(hash=hash_password("other"), role="supervisor", skills=("retail",)),
}


def _scrypt_hash(password: str) -> str:
    """A hash as earlier versions made them: ``scrypt$n$r$p$salt$hash``."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    encode = base64.b64encode
    return f"scrypt${2**14}$8$1${encode(salt).decode()}${encode(digest).decode()}"


class VerifySpy:
    """Wraps ``verify_password``: records the hash checked and the thread of every call."""

    def __init__(self) -> None:
        self.hashes: list[str] = []
        self.threads: list[int] = []
        self._real = agent_accounts.verify_password

    def __call__(self, password: str, stored: str) -> bool:
        self.hashes.append(stored)
        self.threads.append(threading.get_ident())
        return self._real(password, stored)


@pytest.fixture
async def spy(monkeypatch: pytest.MonkeyPatch) -> VerifySpy:
    await authenticate(ACCOUNTS, None, "ana", "warm-up")  # the dummy hash is computed once
    recorder = VerifySpy()
    monkeypatch.setattr(agent_accounts, "verify_password", recorder)
    return recorder


def test_a_password_hash_is_argon2id_and_verifies_only_its_password() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("wrong horse", stored)
    assert not verify_password("correct horse", "not-a-hash")
    assert not needs_rehash(stored)


def test_an_older_scrypt_hash_still_verifies_and_asks_to_be_replaced() -> None:
    stored = _scrypt_hash("s3cret")
    assert verify_password("s3cret", stored) and not verify_password("other", stored)
    assert needs_rehash(stored)


async def test_the_right_password_signs_in_with_the_accounts_role() -> None:
    assert await authenticate(ACCOUNTS, None, "ana", "s3cret") == SignedIn("ana", "agent")
    ben = await authenticate(ACCOUNTS, None, "ben", "other")
    assert ben == SignedIn("ben", "supervisor", ("retail",))
    assert await authenticate(ACCOUNTS, None, "ana", "other") is None  # ben's password
    assert await authenticate(ACCOUNTS, "agent", "ana", "agent") is None  # the shared one
    assert await authenticate(ACCOUNTS, None, "eve", "s3cret") is None  # no such agent


async def test_the_shared_password_works_only_when_given_and_without_accounts() -> None:
    assert await authenticate({}, None, "ana", "agent") is None  # production: none
    assert await authenticate({}, "agent", "ana", "agent") == SignedIn("ana", "admin")
    assert await authenticate({}, "agent", "ana", "nope") is None


def test_roles_are_ordered() -> None:
    assert has_role("admin", "supervisor") and has_role("supervisor", "agent")
    assert not has_role("agent", "supervisor") and not has_role("supervisor", "admin")
    assert not has_role("root", "agent")


async def test_an_unknown_name_never_signs_in_even_with_the_dummy_hash_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    known_dummy = hash_password("guessed")
    monkeypatch.setattr(agent_accounts, "_unknown_name_hash", lambda: known_dummy)
    assert await authenticate(ACCOUNTS, None, "eve", "guessed") is None


async def test_an_unknown_name_costs_the_same_argon2_work_as_a_known_one(spy: VerifySpy) -> None:
    assert await authenticate(ACCOUNTS, None, "ana", "wrong") is None
    assert await authenticate(ACCOUNTS, None, "eve", "s3cret") is None
    known, unknown = spy.hashes
    parameters = [h.rsplit("$", 2)[0] for h in (known, unknown)]
    assert parameters[0] == parameters[1] and unknown.startswith("$argon2id$")


async def test_argon2_runs_off_the_event_loop(spy: VerifySpy) -> None:
    loop_thread = threading.get_ident()
    await authenticate(ACCOUNTS, None, "ana", "s3cret")
    await authenticate(ACCOUNTS, None, "eve", "s3cret")
    assert len(spy.threads) == 2 and loop_thread not in spy.threads
