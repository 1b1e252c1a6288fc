"""A message posted twice with the same idempotency key is one message: the second post runs
no turn and returns the first one's replies. A conversation is rated once."""

from __future__ import annotations

import httpx
import pytest

from warmline.errors import ConflictError
from warmline.services.runtime import Runtime

ASK = "where is my reservation 4WQ150?"


def _received(events: list) -> int:  # type: ignore[type-arg]
    return sum(1 for e in events if e.kind == "message_received")


async def test_the_same_key_twice_records_one_message_and_returns_the_same_replies(
    runtime: Runtime,
) -> None:
    service = runtime.conversations
    cid = (await service.start(None, "chen_jackson_3290")).conversation_id
    first = await service.post_message(cid, ASK, "k-1")
    again = await service.post_message(cid, ASK, "k-1")
    _, events = await service.state(cid)
    assert _received(events) == 1
    assert [r.text for r in again.replies] == [r.text for r in first.replies]
    assert first.replies and again.decision == first.decision
    assert again.status == first.status
    received = next(e for e in events if e.kind == "message_received")
    assert received.idempotency_key == "k-1"


async def test_another_key_or_none_is_another_message(runtime: Runtime) -> None:
    service = runtime.conversations
    cid = (await service.start(None, "chen_jackson_3290")).conversation_id
    await service.post_message(cid, ASK, "k-1")
    await service.post_message(cid, ASK, "k-2")
    await service.post_message(cid, ASK)
    await service.post_message(cid, ASK)
    _, events = await service.state(cid)
    assert _received(events) == 4


async def test_a_retry_after_the_conversation_ended_still_gets_its_first_answer(
    runtime: Runtime,
) -> None:
    service = runtime.conversations
    cid = (await service.start(None, "chen_jackson_3290")).conversation_id
    await service.request_person(cid)
    await runtime.handoff.claim(cid, "ana")
    first = await service.post_message(cid, "are you there?", "k-1")
    await runtime.handoff.wrap_up(cid, "ana", "resolved")
    again = await service.post_message(cid, "are you there?", "k-1")
    assert again.events == first.events


async def test_a_conversation_is_rated_once(runtime: Runtime) -> None:
    service = runtime.conversations
    cid = (await service.start(None, None)).conversation_id
    await service.give_feedback(cid, 4)
    with pytest.raises(ConflictError, match="rated already"):
        await service.give_feedback(cid, 1)
    state, _ = await service.state(cid)
    assert state.ratings == [4]


async def test_the_api_takes_the_key_from_the_header_or_the_body(
    client: httpx.AsyncClient,
) -> None:
    started = await client.post("/api/conversations", json={"customer_id": "chen_jackson_3290"})
    cid = started.json()["conversation_id"]
    url = f"/api/conversations/{cid}/messages"
    first = await client.post(url, json={"text": ASK}, headers={"Idempotency-Key": "h-1"})
    again = await client.post(url, json={"text": ASK}, headers={"Idempotency-Key": "h-1"})
    assert first.status_code == again.status_code == 200
    assert again.json()["replies"] == first.json()["replies"]
    body = await client.post(url, json={"text": ASK, "idempotency_key": "b-1"})
    body_again = await client.post(url, json={"text": ASK, "idempotency_key": "b-1"})
    assert body_again.json()["replies"] == body.json()["replies"]
    events = (await client.get(f"/api/conversations/{cid}/events")).json()
    assert sum(1 for e in events if e["event"]["kind"] == "message_received") == 2


async def test_the_api_refuses_a_second_rating_with_409(client: httpx.AsyncClient) -> None:
    cid = (await client.post("/api/conversations", json={})).json()["conversation_id"]
    url = f"/api/conversations/{cid}/feedback"
    assert (await client.post(url, json={"rating": 5})).status_code == 204
    second = await client.post(url, json={"rating": 1})
    assert second.status_code == 409 and second.json()["code"] == "conflict"
    assert "rated already" in second.json()["detail"]
