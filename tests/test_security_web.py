"""The web boundary's security: headers on every response, the Origin check, per-address rate
limits, text hygiene (NUL, control characters, lone surrogates) on every text a client sends,
and pages that survive a stored text that cannot be shown."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from tests.conftest import sign_in, test_settings
from warmline.api.headers import SecurityHeaders
from warmline.app import create_app
from warmline.domain.events import MessageReceived
from warmline.errors import InvalidText, UndecodableInput
from warmline.nlu.embeddings import Encoder
from warmline.services.input_text import clean_text
from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"
HEADERS = (
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "permissions-policy",
)
EMBED = "https://shop.example"


@pytest.fixture
async def tuned(
    encoder: Encoder, model_cache: Path, backoffice_app: object
) -> AsyncIterator[Runtime]:
    """A runtime with tight per-address limits and one embedding origin."""
    settings = test_settings(
        model_cache, start_limit="2/minute", message_limit="3/minute", embed_origins=[EMBED]
    )
    built = await Runtime.build(
        settings,
        transport=httpx.ASGITransport(app=backoffice_app),  # type: ignore[arg-type]
        encoder=encoder,
    )
    yield built
    await built.aclose()


def _client(runtime: Runtime, base_url: str = "http://warmline.test") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime=runtime)), base_url=base_url
    )


# --- headers -------------------------------------------------------------------------------


async def test_a_header_the_route_sets_itself_is_kept_and_none_is_sent_twice() -> None:
    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        own = [(b"X-Frame-Options", b"SAMEORIGIN"), (b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": own})
        await send({"type": "http.response.body", "body": b"ok"})

    app = SecurityHeaders(route, embed_origins=["https://shop.example"], behind_tls_proxy=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://warmline.test"
    ) as client:
        framed, page = await client.get("/chat"), await client.get("/console")
    for answer in (framed, page):
        names = [name.lower() for name, _ in answer.headers.raw]
        assert len(names) == len(set(names))
        assert answer.headers["x-frame-options"] == "SAMEORIGIN"
        assert answer.headers["strict-transport-security"].startswith("max-age=")
    assert (
        "frame-ancestors 'self' https://shop.example" in framed.headers["content-security-policy"]
    )
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_every_response_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    answers = [
        await client.get("/"),
        await client.get("/console/signin"),
        await client.get("/healthz"),
        await client.get("/api/conversations/nope"),
        await client.get("/static/warmline.css"),
        await client.post("/api/conversations", content=b"{", headers={"content-type": "x"}),
    ]
    for answer in answers:
        for name in HEADERS:
            assert name in answer.headers, (answer.request.url, name)
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy and answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in answer.headers  # plain HTTP, no proxy


async def test_hsts_over_tls(runtime: Runtime) -> None:
    async with _client(runtime, "https://warmline.test") as tls:
        answer = await tls.get("/healthz")
    assert answer.headers["strict-transport-security"].startswith("max-age=")


async def test_only_the_embed_origins_may_frame_the_chat_page(tuned: Runtime) -> None:
    async with _client(tuned) as client:
        start = await client.get("/")
        console = await client.get("/console/signin")
    assert f"frame-ancestors 'self' {EMBED}" in start.headers["content-security-policy"]
    assert "x-frame-options" not in start.headers
    assert "frame-ancestors 'none'" in console.headers["content-security-policy"]


def test_no_template_holds_inline_script_style_or_handlers() -> None:
    """The policy forbids inline script and style: none may be written in a template."""
    folder = resources.files("warmline.web").joinpath("templates")
    for template in folder.iterdir():
        text = template.read_text("utf-8")
        # a JSON data block (type="application/json") is data, never run
        assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", text), (
            template.name
        )
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert "hx-on" not in text and "style=" not in text, template.name


# --- origin --------------------------------------------------------------------------------


async def test_a_state_change_from_another_origin_is_refused(tuned: Runtime) -> None:
    cid = (await tuned.conversations.start(None, USER)).conversation_id
    await tuned.conversations.request_person(cid)
    async with _client(tuned) as client:
        await sign_in(client)
        for origin in ("http://warmline.test:9000", "http://evil.test", "null"):
            claim = await client.post(f"/console/c/{cid}/claim", headers={"Origin": origin})
            assert claim.status_code == 403 and claim.json()["code"] == "cross_origin"
        by_referer = await client.post(
            f"/console/c/{cid}/claim", headers={"Referer": "http://evil.test/page"}
        )
        assert by_referer.status_code == 403
        embedded = await client.post(f"/console/c/{cid}/claim", headers={"Origin": EMBED})
        assert embedded.status_code == 403  # embed origins reach the customer's routes only
        state, _ = await tuned.conversations.state(cid)
        assert state.owner is None
        own = await client.post(
            f"/console/c/{cid}/claim", headers={"Origin": "http://warmline.test"}
        )
        assert own.status_code == 303 and own.headers["location"] == f"/console/c/{cid}"
        started = await client.post("/api/conversations", json={}, headers={"Origin": EMBED})
        assert started.status_code == 201


# --- rate limits ---------------------------------------------------------------------------


async def test_conversation_starts_are_limited_per_address(tuned: Runtime) -> None:
    async with _client(tuned) as client:
        for _ in range(2):
            assert (await client.post("/api/conversations", json={})).status_code == 201
        refused = await client.post("/api/conversations", json={})
        page = await client.post("/chat", data={})
    for answer in (refused, page):
        assert answer.status_code == 429
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "rate_limited"
        assert 1 <= int(answer.headers["retry-after"]) <= 60
    other = httpx.ASGITransport(app=create_app(runtime=tuned), client=("10.1.1.1", 1))
    async with httpx.AsyncClient(transport=other, base_url="http://warmline.test") as elsewhere:
        assert (await elsewhere.post("/api/conversations", json={})).status_code == 201


async def test_messages_are_limited_per_address(tuned: Runtime) -> None:
    async with _client(tuned) as client:
        answers = [
            await client.post("/api/conversations/any/messages", json={"text": "hi"}),
            await client.post("/chat/any/messages", data={"text": "hi"}),
            await client.post("/api/conversations/other/messages", json={"text": "hi"}),
            await client.post("/chat/other/messages", data={"text": "hi"}),
        ]
    assert [a.status_code == 429 for a in answers] == [False, False, False, True]
    assert answers[-1].json()["code"] == "rate_limited"


def test_the_openapi_spec_names_the_agent_routes_refusals() -> None:
    spec = create_app(runtime=None, settings=test_settings(Path("/nonexistent"))).openapi()
    queue = spec["paths"]["/api/agent/queue"]["get"]["responses"]
    assert {"401", "403", "404", "409"} <= set(queue)


# --- text hygiene --------------------------------------------------------------------------


def test_the_services_refuse_control_characters_and_keep_tabs_and_newlines() -> None:
    assert clean_text("line one\nline\ttwo\r\n") == "line one\nline\ttwo\r\n"
    for bad in ("a\x00b", "bell\x07", "esc\x1b[31m", "del\x7f", "c1\x85"):
        with pytest.raises(InvalidText):
            clean_text(bad)
    with pytest.raises(UndecodableInput):
        clean_text("half \ud800 a pair")


async def test_nul_and_control_characters_are_refused_on_every_route(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.request_person(cid)
    refused = [
        await client.post("/api/conversations", json={"customer_id": "chen\x00"}),
        await client.post("/api/conversations", json={"pack": "mini\x00"}),
        await client.post(f"/api/conversations/{cid}/messages", json={"text": "hi\x00"}),
        await client.post(
            f"/api/conversations/{cid}/feedback", json={"rating": 3, "comment": "\x1b[2J"}
        ),
        await client.post("/chat", data={"customer_id": "chen\x00jackson"}),
        await client.post(f"/chat/{cid}/messages", data={"text": "a\x00"}),
        await client.get("/api/conversations/abc%00def"),
        await client.get("/console/signin?next=%07"),
    ]
    await sign_in(client)
    refused += [
        await client.post(f"/api/agent/conversations/{cid}/claim"),  # the control: allowed
        await client.post(f"/api/agent/conversations/{cid}/messages", json={"text": "\x00"}),
        await client.post(f"/console/c/{cid}/messages", data={"text": "x\x08y"}),
        await client.post(
            "/console/signin", data={"name": "eve\x00", "password": "agent", "csrf_token": "t"}
        ),
    ]
    claim = refused.pop(8)
    assert claim.status_code == 200
    for answer in refused:
        assert answer.status_code == 422, answer.request.url
        assert answer.json()["code"] == "invalid_text"
    log = (await runtime.conversations.state(cid))[1]
    assert not any("\x00" in str(e) for e in log)


async def test_a_lone_surrogate_is_refused_at_the_boundary(client: httpx.AsyncClient) -> None:
    body = b'{"customer_id": "chen\\ud800"}'
    answer = await client.post(
        "/api/conversations", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400 and answer.json()["code"] == "undecodable_input"


async def test_a_poisoned_stored_event_breaks_neither_the_queue_nor_the_pages(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A text that should never have been stored (written straight to the store, as an older
    version could) shows as a replacement character; the queue shows everyone else."""
    healthy = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.post_message(healthy, "I need a person please")
    await runtime.conversations.request_person(healthy)
    poisoned = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.request_person(poisoned)
    state, _ = await runtime.conversations.state(poisoned)
    bad = MessageReceived(at=datetime.now(UTC), text="help \ud800 me \x00 now")
    await runtime.repository.append(poisoned, state.version, [bad], datetime.now(UTC))
    await sign_in(client)
    queue = await client.get("/console/queue")
    assert queue.status_code == 200
    assert healthy in queue.text and poisoned in queue.text
    page = await client.get(f"/console/c/{poisoned}")
    assert page.status_code == 200 and "help \ufffd me \ufffd now" in page.text
    assert (await client.get(f"/console/c/{healthy}")).status_code == 200
