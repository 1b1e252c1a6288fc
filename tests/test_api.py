"""The HTTP API: the happy path, the event log, SSE, and bad input that changes nothing."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

PROBLEM = "application/problem+json"


async def _start(client: httpx.AsyncClient) -> str:
    r = await client.post("/api/conversations", json={"customer_id": "chen_jackson_3290"})
    assert r.status_code == 201
    body = r.json()
    assert "AI assistant" in body["replies"][0]["text"]
    return str(body["conversation_id"])


async def _event_count(client: httpx.AsyncClient, cid: str) -> int:
    return len((await client.get(f"/api/conversations/{cid}/events")).json())


async def test_post_a_message_returns_the_reply_and_the_decision(client: httpx.AsyncClient) -> None:
    cid = await _start(client)
    r = await client.post(
        f"/api/conversations/{cid}/messages", json={"text": "where is my reservation 4WQ150?"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["decision"]["kind"] == "act" and body["decision"]["intent"] == "reservation_status"
    assert body["decision"]["reasons"][0]["code"] == "nlu"
    assert "DFW" in body["replies"][0]["text"]
    transcript = (await client.get(f"/api/conversations/{cid}")).json()
    assert [m["author"] for m in transcript["messages"]] == ["bot", "customer", "bot"]


async def test_unknown_conversation_is_refused_like_any_other_without_its_token(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/api/conversations/nope/messages", json={"text": "hi"})
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "conversation_token_required"
    cid = await _start(client)  # a real token, for another conversation: ids cannot be probed
    token = client.cookies.get("warmline_conversation", path=f"/api/conversations/{cid}")
    r = await client.post(
        "/api/conversations/nope/messages",
        json={"text": "hi"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403 and r.json()["code"] == "conversation_access_denied"


async def test_empty_message_is_refused_and_changes_nothing(client: httpx.AsyncClient) -> None:
    cid = await _start(client)
    before = await _event_count(client, cid)
    r = await client.post(f"/api/conversations/{cid}/messages", json={"text": "   "})
    assert r.status_code == 422 and r.json()["code"] == "empty_message"
    assert await _event_count(client, cid) == before


async def test_too_long_message_is_refused_and_changes_nothing(client: httpx.AsyncClient) -> None:
    cid = await _start(client)
    before = await _event_count(client, cid)
    r = await client.post(f"/api/conversations/{cid}/messages", json={"text": "a" * 2001})
    assert r.status_code == 413 and r.json()["code"] == "message_too_long"
    assert await _event_count(client, cid) == before


async def test_oversized_body_is_refused_before_parsing(client: httpx.AsyncClient) -> None:
    cid = await _start(client)
    r = await client.post(
        f"/api/conversations/{cid}/messages",
        content=json.dumps({"text": "x" * 70000}),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["code"] == "request_too_large"


async def test_non_utf8_body_is_refused_and_changes_nothing(client: httpx.AsyncClient) -> None:
    cid = await _start(client)
    before = await _event_count(client, cid)
    r = await client.post(
        f"/api/conversations/{cid}/messages",
        content=b'{"text": "caf\xe9"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["code"] == "undecodable_input"
    assert "stack" not in r.text.lower() and "traceback" not in r.text.lower()
    assert await _event_count(client, cid) == before


async def test_malformed_json_and_wrong_fields_are_problems(client: httpx.AsyncClient) -> None:
    cid = await _start(client)
    r = await client.post(
        f"/api/conversations/{cid}/messages",
        content=b'{"text": ',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["code"] == "malformed_json"
    r = await client.post(f"/api/conversations/{cid}/messages", json={"message": "hi"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    assert any(e["field"] == "text" for e in r.json()["errors"])


async def test_unknown_pack_is_a_clear_error(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/conversations", json={"pack": "bank"})
    assert r.status_code == 404 and "unknown pack 'bank'" in r.json()["detail"]
    assert r.json()["code"] == "pack_not_found"


async def test_events_explain_the_decision(client: httpx.AsyncClient) -> None:
    cid = await _start(client)
    await client.post(
        f"/api/conversations/{cid}/messages", json={"text": "I need to cancel my bag"}
    )
    events = (await client.get(f"/api/conversations/{cid}/events")).json()
    decided = next(e["event"] for e in events if e["event"]["kind"] == "decided")
    assert decided["decision"]["intent"] == "remove_bag"
    assert decided["decision"]["reasons"][0]["values"]["threshold_confident"] > 0


async def test_handoff_endpoint_escalates(client: httpx.AsyncClient) -> None:
    cid = await _start(client)
    r = await client.post(f"/api/conversations/{cid}/handoff")
    assert (
        r.json()["status"] == "escalated"
        and r.json()["decision"]["escalation"] == "customer_request"
    )


async def test_openapi_is_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/openapi.json")
    assert "/api/conversations/{conversation_id}/messages" in r.json()["paths"]
    html = (await client.get("/docs")).text
    assert "/static/api-docs/" in html and "https://" not in html and "<script>" not in html
    swagger = await client.get("/static/api-docs/swagger-ui-bundle.js")
    assert swagger.status_code == 200 and "SwaggerUIBundle" in swagger.text


async def test_each_turn_is_published_to_live_subscribers(
    runtime, client: httpx.AsyncClient
) -> None:  # type: ignore[no-untyped-def]
    cid = await _start(client)
    received: list[dict[str, object]] = []

    async def listen() -> None:
        async with runtime.broker.subscribe(cid) as queue:
            ready.set()
            while len(received) < 2:
                event = await queue.get()
                if event.kind in ("message_received", "bot_replied"):
                    received.append({"kind": event.kind})

    ready = asyncio.Event()
    task = asyncio.create_task(listen())
    await ready.wait()
    await client.post(f"/api/conversations/{cid}/messages", json={"text": "hello"})
    await asyncio.wait_for(task, 5)
    assert [r["kind"] for r in received] == ["message_received", "bot_replied"]


async def test_a_lone_surrogate_is_refused_and_the_conversation_stays_readable(
    client: httpx.AsyncClient,
) -> None:
    cid = (await client.post("/api/conversations", json={})).json()["conversation_id"]
    sent = await client.post(
        f"/api/conversations/{cid}/messages",
        content=b'{"text": "help \\ud800"}',
        headers={"content-type": "application/json"},
    )
    assert sent.status_code == 400 and sent.json()["code"] == "undecodable_input"
    rated = await client.post(
        f"/api/conversations/{cid}/feedback",
        content=b'{"rating": 3, "comment": "\\udfff"}',
        headers={"content-type": "application/json"},
    )
    assert rated.status_code == 400 and rated.json()["code"] == "undecodable_input"
    for path in ("", "/events"):
        assert (await client.get(f"/api/conversations/{cid}{path}")).status_code == 200


async def test_every_way_in_for_text_refuses_a_lone_surrogate(runtime) -> None:  # type: ignore[no-untyped-def]
    from warmline.errors import UndecodableInput

    service = runtime.conversations
    cid = (await service.start(None, None)).conversation_id
    with pytest.raises(UndecodableInput):
        await service.post_message(cid, "hi \ud800")
    with pytest.raises(UndecodableInput):
        await service.give_feedback(cid, 3, "\udfff")
    await service.request_person(cid)
    await runtime.handoff.claim(cid, "ana")
    with pytest.raises(UndecodableInput):
        await runtime.handoff.reply(cid, "ana", "\ud800 hello")
    state, events = await service.state(cid)
    assert all(e.kind != "feedback_given" for e in events) and state.owner == "ana"
