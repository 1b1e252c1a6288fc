"""Redis away (WARMLINE_REDIS_URL naming a closed port): customers are served as before (their
rate limits fail open, counted and logged), while what guards agents fails closed: a sign-in
and a signed-in agent's requests get 503, never 500, and the session survives the outage."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from warmline.api.sessions import Revocations
from warmline.api.throttle import Throttle, open_storage
from warmline.app import create_app
from warmline.errors import StorageError
from warmline.nlu.embeddings import Encoder
from warmline.services.runtime import Runtime

from .conftest import sign_in, test_settings
from .live import free_port


def closed_redis() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


async def test_the_throttle_and_the_revocations_raise_a_counted_503_when_redis_is_away(
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = open_storage(closed_redis())
    throttle, revocations = Throttle(storage), Revocations(storage, 3600)
    with caplog.at_level(logging.WARNING, "warmline.throttle"):
        for _ in range(2):
            with pytest.raises(StorageError):
                await throttle.hit("3/minute", "signin", "ana")
        with pytest.raises(StorageError):
            await throttle.check("3/minute", "signin", "ana")
    assert throttle.failures.count == 3
    assert len([r for r in caplog.records if "cannot be reached" in r.message]) == 1
    with pytest.raises(StorageError):
        await revocations.revoked("session")
    with pytest.raises(StorageError):
        await revocations.revoke_agent("ana")
    assert revocations.failures.count == 2


@pytest.fixture
async def app_without_redis(
    encoder: Encoder,
    model_cache: Path,
    backoffice_app: object,
) -> AsyncIterator[tuple[object, httpx.AsyncClient]]:
    built = await Runtime.build(
        test_settings(model_cache, redis_url=closed_redis()),
        transport=httpx.ASGITransport(app=backoffice_app),  # type: ignore[arg-type]
        encoder=encoder,
    )
    app = create_app(runtime=built)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://warmline.test") as c:
        yield app, c
    await built.aclose()


async def test_customers_are_served_and_agents_refused_with_503_while_redis_is_away(
    app_without_redis: tuple[object, httpx.AsyncClient],
) -> None:
    app, client = app_without_redis
    started = await client.post("/api/conversations", json={})
    assert started.status_code == 201, started.text
    body = started.json()
    said = await client.post(
        f"/api/conversations/{body['conversation_id']}/messages",
        json={"text": "hello"},
        headers={"authorization": f"Bearer {body['conversation_token']}"},
    )
    assert said.status_code == 200, said.text
    assert app.state.throttle.failures.count == 2  # type: ignore[attr-defined]
    signed = await sign_in(client)
    assert signed.status_code == 503, signed.text


async def test_a_signed_in_agent_gets_503_during_the_outage_and_carries_on_after(
    runtime: Runtime,
) -> None:
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://warmline.test") as client:
        assert (await sign_in(client)).status_code == 303
        working = app.state.revocations
        app.state.revocations = Revocations(open_storage(closed_redis()), 3600)
        away = await client.get("/api/agent/session")
        assert away.status_code == 503, away.text
        assert away.json()["code"] == "storage_unavailable"
        app.state.revocations = working  # Redis is back: the same cookie holds
        assert (await client.get("/api/agent/session")).status_code == 200
