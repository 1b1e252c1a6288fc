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


def test_a_password_hash_verifies_only_its_password() -> None:
    from warmline.services.accounts import hash_password, verify_password

    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("wrong horse", stored)
    assert not verify_password("correct horse", "not-a-hash")


async def test_with_accounts_each_agent_signs_in_with_their_own_password(
    encoder,
    model_cache,
    backoffice_app,  # type: ignore[no-untyped-def]
) -> None:
    from tests.conftest import test_settings
    from warmline.api.app import create_app
    from warmline.services.accounts import hash_password

    settings = test_settings(model_cache, agents={"ana": hash_password("s3cret")})
    built = await Runtime.build(
        settings, transport=httpx.ASGITransport(app=backoffice_app), encoder=encoder
    )
    try:
        app = create_app(runtime=built)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://warmline.test"
        ) as client:
            shared = await client.post("/console/signin", data={"name": "ana", "password": "agent"})
            assert shared.status_code == 401  # the development password no longer works
            stranger = await client.post(
                "/console/signin", data={"name": "eve", "password": "s3cret"}
            )
            assert stranger.status_code == 401
            own = await client.post("/console/signin", data={"name": "ana", "password": "s3cret"})
            assert own.status_code == 303 and (await client.get("/console")).status_code == 200
    finally:
        await built.aclose()


def test_production_refuses_the_development_agent_password() -> None:
    import pytest

    from warmline.settings import Settings

    with pytest.raises(ValueError, match="WARMLINE_AGENTS"):
        Settings(environment="production", secret_key="x" * 32)
    Settings(environment="production", secret_key="x" * 32, agents={"ana": "scrypt$..."})
