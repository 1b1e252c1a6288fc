"""The agent console over HTTP: sign-in, the queue, claims and the conversation page."""

from __future__ import annotations

import httpx

from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"


async def _sign_in(client: httpx.AsyncClient, name: str = "ana") -> httpx.Response:
    return await client.post(
        "/console/signin", data={"name": name, "password": "agent", "capacity": "2"}
    )


async def test_the_console_needs_a_signed_in_agent(client: httpx.AsyncClient) -> None:
    assert (await client.get("/console")).headers["location"] == "/console/signin"
    assert (await client.get("/console/queue")).status_code == 401
    wrong = await client.post("/console/signin", data={"name": "ana", "password": "nope"})
    assert wrong.status_code == 401 and "wrong" in wrong.text


async def test_signing_in_puts_the_agent_on_shift_and_shows_the_queue(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.post_message(cid, "This is the THIRD time I ask!!! Where is 4WQ150")
    await runtime.conversations.request_person(cid)
    assert (await _sign_in(client)).status_code == 303
    assert runtime.handoff.presence.slots() == 2
    queue = await client.get("/console/queue")
    assert cid in queue.text and "frustrated" in queue.text and "customer request" in queue.text


async def test_claiming_opens_the_packet_and_a_taken_one_says_who_has_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.request_person(cid)
    await runtime.handoff.claim(cid, "ben")
    await _sign_in(client)
    taken = await client.post(f"/console/c/{cid}/claim")
    assert "ben%20has%20already%20claimed" in taken.headers["location"]
    other = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.request_person(other)
    claimed = await client.post(f"/console/c/{other}/claim")
    assert claimed.headers["location"] == f"/console/c/{other}"
    page = await client.get(f"/console/c/{other}")
    assert page.status_code == 200 and 'id="summary"' in page.text and "Hand back" in page.text
    assert "4WQ150" in page.text  # customer 360: the reservations on the account
    sent = await client.post(f"/console/c/{other}/messages", data={"text": "Hi, Ana here."})
    assert sent.status_code == 200
    state, _ = await runtime.conversations.state(other)
    assert state.transcript[-1].author == "agent" and state.owner == "ana"
