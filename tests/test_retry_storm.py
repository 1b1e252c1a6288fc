"""A retry storm through the API against the reference back office: the same message posted at
once with one key, a double yes (without keys, with two keys), the back office's answer lost
after it committed, two tabs on one conversation. Each proposal changes the back office once,
counted where it happens (``GET /_admin/writes``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import test_settings
from warmline.app import create_app
from warmline.demo.backoffice import create_app as create_backoffice
from warmline.nlu.embeddings import Encoder
from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"
CANCEL = "/airline/reservations/4WQ150/cancel"
N = 8


class LoseAnswers(httpx.AsyncBaseTransport):
    """The back office over ASGI; the answers of the next ``lose`` writes are lost after the
    back office committed them: the connector sees a read timeout, as on a real network."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lose = 0
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        write = request.method == "POST" and "dry_run" not in request.url.query.decode()
        if self.lose and write and not request.url.path.startswith("/_"):
            await response.aread()  # the back office ran the write and answered
            self.lose -= 1
            self.lost += 1
            raise httpx.ReadTimeout("the answer was lost after the commit", request=request)
        return response


@dataclass
class Storm:
    runtime: Runtime
    api: httpx.AsyncClient
    backoffice: httpx.AsyncClient
    wire: LoseAnswers

    async def start(self) -> tuple[str, dict[str, str]]:
        started = await self.api.post("/api/conversations", json={"customer_id": USER})
        assert started.status_code == 201, started.text
        body = started.json()
        return body["conversation_id"], {"Authorization": f"Bearer {body['conversation_token']}"}

    async def say(
        self, cid: str, auth: dict[str, str], text: str, key: str | None = None
    ) -> httpx.Response:
        headers = dict(auth) | ({"Idempotency-Key": key} if key else {})
        url = f"/api/conversations/{cid}/messages"
        return await self.api.post(url, json={"text": text}, headers=headers)

    async def propose(self) -> tuple[str, dict[str, str]]:
        cid, auth = await self.start()
        proposed = await self.say(cid, auth, "please cancel my reservation 4WQ150")
        assert proposed.json()["decision"]["kind"] == "confirm", proposed.text
        return cid, auth

    async def writes(self) -> dict[str, Any]:
        counted = await self.backoffice.get("/_admin/writes")
        return dict(counted.json())

    async def events(self, cid: str, auth: dict[str, str]) -> list[dict[str, Any]]:
        answer = await self.api.get(f"/api/conversations/{cid}/events", headers=auth)
        return [e["event"] for e in answer.json()]


@pytest.fixture
async def storm(encoder: Encoder, model_cache: Path) -> AsyncIterator[Storm]:
    backoffice = create_backoffice()
    wire = LoseAnswers(httpx.ASGITransport(app=backoffice))
    runtime = await Runtime.build(test_settings(model_cache), transport=wire, encoder=encoder)
    app = create_app(runtime=runtime)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w.test") as api,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=backoffice), base_url="http://backoffice.test"
        ) as office,
    ):
        yield Storm(runtime, api, office, wire)
    await runtime.aclose()


def _one_cancellation(writes: dict[str, Any]) -> None:
    assert writes["by_path"][CANCEL]["reached"] == 1, writes
    assert writes["by_path"][CANCEL]["applied"] == 1, writes
    assert writes["applied"] == 1, writes


def _kinds(events: list[dict[str, Any]], kind: str) -> int:
    return sum(1 for e in events if e["kind"] == kind)


async def test_one_message_posted_n_times_at_once_with_one_key_is_one_turn(storm: Storm) -> None:
    cid, auth = await storm.start()
    asks = await asyncio.gather(
        *(storm.say(cid, auth, "please cancel my reservation 4WQ150", "ask-1") for _ in range(N))
    )
    assert {a.status_code for a in asks} == {200}
    assert len({str(a.json()["replies"]) for a in asks}) == 1  # every post: the first's replies
    yeses = await asyncio.gather(*(storm.say(cid, auth, "yes", "yes-1") for _ in range(N)))
    assert {y.status_code for y in yeses} == {200}
    events = await storm.events(cid, auth)
    assert _kinds(events, "message_received") == 2
    assert _kinds(events, "action_proposed") == 1
    assert _kinds(events, "action_executed") == 1
    _one_cancellation(await storm.writes())


@pytest.mark.parametrize("keys", [(None, None), ("tap-1", "tap-2")], ids=["no-keys", "two-keys"])
async def test_a_double_yes_cancels_once(storm: Storm, keys: tuple[str | None, ...]) -> None:
    cid, auth = await storm.propose()
    both = await asyncio.gather(*(storm.say(cid, auth, "yes", key) for key in keys))
    assert {b.status_code for b in both} == {200}
    events = await storm.events(cid, auth)
    assert _kinds(events, "message_received") == 3  # both yeses were heard
    assert _kinds(events, "action_executed") == 1
    _one_cancellation(await storm.writes())


async def test_an_answer_lost_after_the_commit_is_replayed_not_applied_again(
    storm: Storm,
) -> None:
    cid, auth = await storm.propose()
    storm.wire.lose = 1
    done = await storm.say(cid, auth, "yes", "yes-1")
    assert storm.wire.lost == 1
    assert done.json()["decision"]["kind"] == "act", done.text
    assert "is cancelled" in done.json()["replies"][0]["text"]
    writes = await storm.writes()
    _one_cancellation(writes)
    assert writes["by_path"][CANCEL]["replayed"] == 1  # the retry got the stored answer
    key = next(e for e in await storm.events(cid, auth) if e["kind"] == "action_executed")
    assert writes["by_key"] == {key["idempotency_key"]: 1}


async def test_every_answer_lost_then_the_customer_says_yes_again_cancels_once(
    storm: Storm,
) -> None:
    cid, auth = await storm.propose()
    attempts = storm.runtime.backoffice.config.retries + 1
    storm.wire.lose = attempts
    await storm.say(cid, auth, "yes", "yes-1")
    assert storm.wire.lost == attempts  # the turn gave up: the customer was not told it worked
    await storm.say(cid, auth, "yes", "yes-1")  # the same message resent
    await storm.say(cid, auth, "yes please", "yes-2")  # and a new yes
    writes = await storm.writes()
    _one_cancellation(writes)
    assert writes["by_path"][CANCEL]["replayed"] == attempts - 1


async def test_two_tabs_saying_yes_at_once_cancel_once(storm: Storm) -> None:
    cid, auth = await storm.propose()
    transport = httpx.ASGITransport(app=create_app(runtime=storm.runtime))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://w.test") as one,
        httpx.AsyncClient(transport=transport, base_url="http://w.test") as two,
    ):
        url = f"/api/conversations/{cid}/messages"
        both = await asyncio.gather(
            *(
                tab.post(url, json={"text": "yes"}, headers=auth | {"Idempotency-Key": key})
                for tab, key in ((one, "tab-one"), (two, "tab-two"))
            )
        )
    assert {b.status_code for b in both} == {200}
    assert sorted(b.json()["decision"]["kind"] for b in both).count("act") == 1
    _one_cancellation(await storm.writes())
