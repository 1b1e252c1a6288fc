"""Agent sign-in: scrypt off the event loop, the same work for a name that does not exist as for
one that does, and the shared development password compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Any

import pytest

from warmline.services import agent_accounts
from warmline.services.agent_accounts import authenticate, hash_password, verify_password

ACCOUNTS = {"ana": hash_password("s3cret"), "ben": hash_password("other")}


class ScryptSpy:
    """Wraps ``hashlib.scrypt``: records the cost parameters and the thread of every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int, int]] = []
        self.threads: list[int] = []
        self._real = hashlib.scrypt

    def __call__(self, password: bytes, **kwargs: Any) -> bytes:
        self.calls.append((kwargs["n"], kwargs["r"], kwargs["p"], kwargs["dklen"]))
        self.threads.append(threading.get_ident())
        return self._real(password, **kwargs)


@pytest.fixture
async def scrypt(monkeypatch: pytest.MonkeyPatch) -> ScryptSpy:
    await authenticate(ACCOUNTS, "", "ana", "warm-up")  # the dummy hash is computed once
    spy = ScryptSpy()
    monkeypatch.setattr(hashlib, "scrypt", spy)
    return spy


def test_a_password_hash_verifies_only_its_password() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("wrong horse", stored)
    assert not verify_password("correct horse", "not-a-hash")


async def test_the_right_password_signs_in_and_a_wrong_one_does_not() -> None:
    assert await authenticate(ACCOUNTS, "agent", "ana", "s3cret")
    assert not await authenticate(ACCOUNTS, "agent", "ana", "other")  # ben's password
    assert not await authenticate(ACCOUNTS, "agent", "ana", "agent")  # the shared one
    assert not await authenticate(ACCOUNTS, "agent", "eve", "s3cret")  # no such agent


async def test_an_unknown_name_never_signs_in_even_with_the_dummy_hash_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    known_dummy = hash_password("guessed")
    monkeypatch.setattr(agent_accounts, "_unknown_name_hash", lambda: known_dummy)
    assert not await authenticate(ACCOUNTS, "", "eve", "guessed")


async def test_an_unknown_name_costs_the_same_scrypt_work_as_a_known_one(
    scrypt: ScryptSpy,
) -> None:
    assert not await authenticate(ACCOUNTS, "", "ana", "wrong")
    known = list(scrypt.calls)
    scrypt.calls.clear()
    assert not await authenticate(ACCOUNTS, "", "eve", "s3cret")
    assert known == [(agent_accounts.N, agent_accounts.R, agent_accounts.P, 32)]
    assert scrypt.calls == known


async def test_scrypt_runs_off_the_event_loop(scrypt: ScryptSpy) -> None:
    loop_thread = threading.get_ident()
    await authenticate(ACCOUNTS, "", "ana", "s3cret")
    await authenticate(ACCOUNTS, "", "eve", "s3cret")
    assert len(scrypt.threads) == 2 and loop_thread not in scrypt.threads


async def test_without_accounts_the_shared_password_is_compared_in_constant_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert await authenticate({}, "agent", "anyone", "agent")
    assert not await authenticate({}, "agent", "anyone", "agents")
    assert compared == [(b"agent", b"agent"), (b"agents", b"agent")]
