"""The agent console over HTTP: sign-in, the queue, claims and the conversation page."""

from __future__ import annotations

import httpx

from tests.conftest import csrf_from, sign_in
from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"


async def _sign_in(client: httpx.AsyncClient, name: str = "ana") -> httpx.Response:
    return await sign_in(client, name, capacity="2")


HTMX = {"HX-Request": "true"}


async def test_the_console_needs_a_signed_in_agent(client: httpx.AsyncClient) -> None:
    page = await client.get("/console")
    assert page.status_code == 303 and page.headers["location"] == "/console/signin"
    token = csrf_from((await client.get("/console/signin")).text)
    for path in ("/console/c/c1", "/console/c/c1/claim", "/console/signout"):
        method = "GET" if path == "/console/c/c1" else "POST"
        redirected = await client.request(method, path, headers={"X-CSRF-Token": token})
        assert redirected.status_code == 303, path
        assert redirected.headers["location"] == "/console/signin", path
    wrong = await client.post(
        "/console/signin", data={"name": "ana", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == 401 and "wrong" in wrong.text


async def test_an_htmx_fragment_without_an_agent_is_401_and_sends_the_page_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    token = csrf_from((await client.get("/console/signin")).text)
    queue = await client.get("/console/queue", headers=HTMX)
    reply = await client.post(
        "/console/c/c1/messages", data={"text": "hi"}, headers={**HTMX, "X-CSRF-Token": token}
    )
    for fragment in (queue, reply):
        assert fragment.status_code == 401 and fragment.headers["HX-Redirect"] == "/console/signin"
        assert fragment.text == ""


async def test_a_signed_in_agent_missing_from_presence_is_put_back_on_shift(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    await _sign_in(client)
    runtime.handoff.presence.sign_out("ana")  # what a server restart leaves behind
    assert (await client.get("/console/queue", headers=HTMX)).status_code == 200
    assert "ana" in runtime.handoff.presence.agents


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


async def test_with_accounts_each_agent_signs_in_with_their_own_password(
    encoder,
    model_cache,
    backoffice_app,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import threading

    from tests.conftest import test_settings
    from warmline.app import create_app
    from warmline.services import agent_accounts
    from warmline.services.agent_accounts import hash_password

    real_verify, verify_threads = agent_accounts.verify_password, []

    def verify(password: str, stored: str) -> bool:
        verify_threads.append(threading.get_ident())
        return real_verify(password, stored)

    settings = test_settings(model_cache, agents={"ana": hash_password("s3cret")})
    built = await Runtime.build(
        settings, transport=httpx.ASGITransport(app=backoffice_app), encoder=encoder
    )
    try:
        app = create_app(runtime=built)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://warmline.test"
        ) as client:
            shared = await sign_in(client, "ana", "agent")
            assert shared.status_code == 401  # the development password no longer works
            monkeypatch.setattr(agent_accounts, "verify_password", verify)
            stranger = await sign_in(client, "eve", "s3cret")
            monkeypatch.undo()
            assert stranger.status_code == 401
            # eve is not an agent, yet the hash ran for her, once, and not on the event loop
            assert len(verify_threads) == 1 and threading.get_ident() not in verify_threads
            own = await sign_in(client, "ana", "s3cret")
            assert own.status_code == 303 and (await client.get("/console")).status_code == 200
    finally:
        await built.aclose()


def test_production_takes_no_shared_password() -> None:
    import pytest

    from warmline.settings import Settings

    with pytest.raises(ValueError, match="WARMLINE_AGENT_PASSWORD"):
        Settings(environment="production", secret_key="x" * 32, agent_password="agent")
    production = Settings(secret_key="x" * 32)
    assert production.environment == "production"  # the default
    assert production.shared_agent_password() is None  # nobody signs in without an account
    assert Settings(environment="development").shared_agent_password() == "agent"
    with_accounts = Settings(environment="development", agents={"ana": "$argon2id$..."})
    assert with_accounts.shared_agent_password() is None


async def test_every_read_of_a_conversation_by_an_agent_is_audited(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.request_person(cid)
    await _sign_in(client)
    assert (await client.get(f"/api/agent/conversations/{cid}/packet")).status_code == 200
    assert (await client.get(f"/console/c/{cid}")).status_code == 200
    entries = await runtime.audit.entries(subject=cid)
    assert [(e.actor, e.action) for e in entries] == [("ana", "conversation.read")] * 2
    assert all("Where is" not in str(e.detail) for e in entries)  # ids, never text
