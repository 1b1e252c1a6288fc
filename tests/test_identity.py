"""Verified customers and per-conversation access: a conversation is bound to a customer only by
an identity token the host site signs; only the holder of a conversation's token reaches it; an
unverified conversation never reads or shows a customer's records."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.app_routes import app_routes
from tests.conftest import test_settings
from warmline.app import create_app
from warmline.domain.conversation import fold
from warmline.domain.customers import Customer
from warmline.domain.events import ConversationStarted
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import EntityMention, IntentScore, Understanding
from warmline.errors import ConfigurationError, ConversationAccessDenied
from warmline.nlu.embeddings import Encoder
from warmline.policy.decide import decide
from warmline.services.identity import ConversationKeys
from warmline.services.runtime import Runtime

SECRET = "host-site-identity-secret-for-tests-only-0123456789"
CUSTOMER = "chen_jackson_3290"
PROBLEM = "application/problem+json"


class CountingTransport(httpx.AsyncBaseTransport):
    """The in-process back office, counting the calls that reach it."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


@pytest.fixture
def backoffice(backoffice_app: Any) -> CountingTransport:
    return CountingTransport(backoffice_app)


@pytest.fixture
async def strict_runtime(
    encoder: Encoder, model_cache: Path, backoffice: CountingTransport
) -> AsyncIterator[Runtime]:
    settings = test_settings(
        model_cache, customer_picker=False, identity_secret=SECRET, identity_issuer="shop.test"
    )
    built = await Runtime.build(settings, transport=backoffice, encoder=encoder)
    yield built
    await built.aclose()


def _client(runtime: Runtime) -> httpx.AsyncClient:
    app = create_app(runtime=runtime)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w.test")


@pytest.fixture
async def client(strict_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(strict_runtime) as c:
        yield c


@pytest.fixture
async def stranger(strict_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(strict_runtime) as c:
        yield c


def identity(sub: str = CUSTOMER, **claims: Any) -> str:
    values = {"sub": sub, "exp": int(time.time()) + 300, "iss": "shop.test", **claims}
    secret = values.pop("secret", SECRET)
    return jwt.encode({k: v for k, v in values.items() if v is not None}, secret, "HS256")


async def test_a_signed_identity_binds_the_conversation_to_its_customer(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post("/api/conversations", json={"identity_token": identity()})
    assert r.status_code == 201 and r.json()["verified"] is True
    cid, token = r.json()["conversation_id"], r.json()["conversation_token"]
    auth = {"authorization": f"Bearer {token}"}
    reply = await client.post(
        f"/api/conversations/{cid}/messages", json={"text": "where is my reservation 4WQ150?"}
    )
    assert "HAT170" in reply.json()["replies"][0]["text"]
    events = (await client.get(f"/api/conversations/{cid}/events", headers=auth)).json()
    started = events[0]["event"]
    assert started["customer_id"] == CUSTOMER and started["verified_by"] == "identity_token"


@pytest.mark.parametrize(
    "token",
    [
        identity(secret="not-the-host-sites-secret-but-as-long-as-one"),
        identity(exp=int(time.time()) - 3600),
        identity(exp=None),
        identity(iss="another.site"),
        identity(sub=""),
        jwt.encode({"sub": CUSTOMER, "exp": int(time.time()) + 300}, None, "none"),
        "not a token",
    ],
    ids=["wrong-secret", "expired", "no-expiry", "other-issuer", "no-subject", "alg-none", "junk"],
)
async def test_an_identity_that_does_not_verify_starts_nothing(
    client: httpx.AsyncClient, strict_runtime: Runtime, token: str
) -> None:
    r = await client.post("/api/conversations", json={"identity_token": token})
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "identity_rejected"
    assert "conversation_token" not in r.json()
    assert await strict_runtime.repository.of_customer(CUSTOMER) == []


async def test_a_bare_customer_id_proves_nothing(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/conversations", json={"customer_id": CUSTOMER})
    assert r.status_code == 403 and r.json()["code"] == "identity_rejected"
    page = await client.post("/chat", data={"customer_id": CUSTOMER})
    assert page.status_code == 403 and "identity token" in page.text
    assert 'name="customer_id"' not in (await client.get("/")).text  # no picker offered


@pytest.mark.parametrize(
    "text",
    [
        "where is my reservation 4WQ150?",
        "cancel reservation 4WQ150",
        "what is the status of order #W2378156",
    ],
)
async def test_an_unverified_conversation_reads_no_record_even_by_its_code(
    client: httpx.AsyncClient, backoffice: CountingTransport, text: str
) -> None:
    started = (await client.post("/api/conversations", json={})).json()
    assert started["verified"] is False
    backoffice.paths.clear()
    r = await client.post(
        f"/api/conversations/{started['conversation_id']}/messages", json={"text": text}
    )
    body = r.json()
    assert backoffice.paths == []  # nothing read from the back office, nothing written
    assert "HAT170" not in body["replies"][0]["text"] and "Chen" not in body["replies"][0]["text"]
    if body["decision"]["kind"] == "answer" and body["decision"]["intent"] in (
        "reservation_status",
        "cancel_reservation",
    ):
        assert "not_verified" in [reason["code"] for reason in body["decision"]["reasons"]]
        assert "sign in" in body["replies"][0]["text"]


def _conversation_routes(app: Any) -> list[tuple[str, str]]:
    """Every customer route of the app about one conversation, as (method, path); agents reach
    conversations through their own routes and roles (tests/test_security.py)."""
    return [
        (method, path)
        for method, path in app_routes(app)
        if "{conversation_id}" in path and not path.startswith(("/api/agent", "/console"))
    ]


async def test_every_conversation_route_is_closed_to_strangers(
    client: httpx.AsyncClient, stranger: httpx.AsyncClient, strict_runtime: Runtime
) -> None:
    mine = (await client.post("/api/conversations", json={})).json()
    other = (await stranger.post("/api/conversations", json={})).json()
    routes = _conversation_routes(create_app(runtime=strict_runtime))
    assert len(routes) >= 10  # the API's and the chat page's
    bodies = {"POST": {"text": "hello", "rating": 5}}
    for method, path in routes:
        url = path.replace("{conversation_id}", mine["conversation_id"])
        stranger.cookies.clear()
        kwargs: dict[str, Any] = {}
        if method == "POST":
            kwargs = (
                {"json": bodies["POST"]}
                if url.startswith("/api")
                else {"data": {"text": "hi", "rating": "5"}}
            )
        anonymous = await stranger.request(method, url, **kwargs)
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        wrong = await stranger.request(
            method,
            url,
            headers={"authorization": f"Bearer {other['conversation_token']}"},
            **kwargs,
        )
        assert wrong.status_code == 403, (method, path, wrong.status_code)
    transcript = (await client.get(f"/api/conversations/{mine['conversation_id']}")).json()
    assert [m["author"] for m in transcript["messages"]] == ["bot"]  # the stranger wrote nothing


async def test_a_forged_conversation_token_is_refused(client: httpx.AsyncClient) -> None:
    started = (await client.post("/api/conversations", json={})).json()
    cid, token = started["conversation_id"], started["conversation_token"]
    url = f"/api/conversations/{cid}"
    client.cookies.clear()
    # A character inside the signature: the last base64 character also holds padding bits,
    # so changing it can decode to the same signature.
    i = len(token) - 10
    forged = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    assert (await client.get(url, headers={"authorization": f"Bearer {forged}"})).status_code == 403
    assert (await client.get(url, headers={"authorization": f"Bearer {token}"})).status_code == 200


def test_a_conversation_token_expires_and_opens_only_its_conversation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = ConversationKeys("server-secret-of-at-least-32-characters", ttl_s=60)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 3600)
    old = keys.issue("c1")
    monkeypatch.undo()
    with pytest.raises(ConversationAccessDenied, match="expired"):
        keys.check(old, "c1")
    keys.check(keys.issue("c1"), "c1")
    with pytest.raises(ConversationAccessDenied, match="another conversation"):
        keys.check(keys.issue("c2"), "c1")
    with pytest.raises(ConversationAccessDenied, match="not valid"):
        ConversationKeys("another-secret-of-at-least-32-chars", ttl_s=60).check(
            keys.issue("c1"), "c1"
        )
    with pytest.raises(ConfigurationError, match="32"):
        ConversationKeys("", ttl_s=60)  # never sign with an empty key


async def test_the_chat_page_opens_only_for_the_browser_that_started_it(
    client: httpx.AsyncClient, stranger: httpx.AsyncClient
) -> None:
    started = await client.post("/chat", data={})
    assert started.status_code == 303
    page_url = started.headers["location"]
    page = await client.get(page_url)
    assert page.status_code == 200 and "AI assistant" in page.text
    assert (await stranger.get(page_url)).status_code == 401
    cid = page_url.rsplit("/", 1)[1]
    assert (await client.get(f"/api/conversations/{cid}")).status_code == 200  # cookie path


def test_the_policy_refuses_a_customers_record_to_a_conversation_with_no_customer(
    mini_pack: DomainPack,
) -> None:
    rid = EntityMention(entity="reservation_id", value="4WQ150", text="4WQ150")
    asked = Understanding(
        text="cancel 4WQ150",
        ranking=[IntentScore(intent="cancel_reservation", probability=0.95)],
        zone="confident",
        entities=[rid],
    )
    guest = fold([ConversationStarted(at=datetime.now(UTC), pack=mini_pack.pack)])
    refused = decide(guest, asked, None, mini_pack)
    assert refused.kind == "answer" and refused.template == "not_verified"
    assert refused.action is None and "not_verified" in refused.reason_codes()
    bound = fold(
        [ConversationStarted(at=datetime.now(UTC), pack=mini_pack.pack, customer_id=CUSTOMER)]
    )
    customer = Customer(id=CUSTOMER, facts={"reservations": ["4WQ150"]})
    assert decide(bound, asked, customer, mini_pack).kind == "confirm"
