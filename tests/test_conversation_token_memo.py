"""A conversation token's signature is verified once (``services/identity.py``): the token
comes with every request of its conversation. What a remembered token opens, and when it
expires, stay what itsdangerous's ``max_age`` check says; a token that does not verify is
never remembered; the memory is bounded."""

from __future__ import annotations

import time

import pytest
from itsdangerous import SignatureExpired, URLSafeTimedSerializer

from warmline.errors import ConversationAccessDenied
from warmline.services import identity
from warmline.services.identity import ConversationKeys

SECRET = "server-secret-of-at-least-32-characters"
TTL_S = 60


def _verifications(keys: ConversationKeys, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature ``keys`` verifies from now on."""
    seen: list[str] = []
    serializer = keys._serializer
    original = serializer.loads

    def loads(token: str, *args: object, **kwargs: object) -> object:
        seen.append(token)
        return original(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(serializer, "loads", loads)
    return seen


def _issued_at(keys: ConversationKeys, at: float, cid: str = "c1") -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: at)
        return keys.issue(cid)


def test_a_token_is_verified_once_for_all_the_requests_of_its_conversation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = ConversationKeys(SECRET, TTL_S)
    verified = _verifications(keys, monkeypatch)
    token = keys.issue("c1")
    for _ in range(3):
        keys.check(token, "c1")
    with pytest.raises(ConversationAccessDenied, match="another conversation"):
        keys.check(token, "c2")
    assert verified == [token]


def test_a_remembered_token_expires_when_itsdangerous_says_it_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = ConversationKeys(SECRET, TTL_S)
    reference = URLSafeTimedSerializer(SECRET, salt="warmline-conversation")
    signed = float(int(time.time()))
    token = _issued_at(keys, signed + 0.9)
    for age in (-1, 0, 1, TTL_S, TTL_S + 1, 3600):
        monkeypatch.setattr(time, "time", lambda age=age: signed + age + 0.5)
        try:
            reference.loads(token, max_age=TTL_S)
            expected = None
        except SignatureExpired:
            expected = "expired"
        if expected is None:
            keys.check(token, "c1")  # remembered after the first check that verified it
        else:
            with pytest.raises(ConversationAccessDenied, match=expected):
                keys.check(token, "c1")
        assert (expected is None) == (0 <= age <= TTL_S)
    assert token in keys._opened


def test_a_token_that_does_not_verify_is_never_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = ConversationKeys(SECRET, TTL_S)
    verified = _verifications(keys, monkeypatch)
    other = ConversationKeys("another-secret-of-at-least-32-chars", TTL_S).issue("c1")
    forged = keys.issue("c1")[:-2] + "AA"
    for token in (other, forged, other):
        with pytest.raises(ConversationAccessDenied, match="not valid"):
            keys.check(token, "c1")
    assert verified == [other, forged, other] and not keys._opened


def test_the_tokens_remembered_are_the_most_recently_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(identity, "OPENED_KEPT", 2)
    keys = ConversationKeys(SECRET, TTL_S)
    first, second, third = (keys.issue(cid) for cid in ("c1", "c2", "c3"))
    keys.check(first, "c1")
    keys.check(second, "c2")
    keys.check(first, "c1")  # shown again: kept over the second
    keys.check(third, "c3")
    assert list(keys._opened) == [first, third]
