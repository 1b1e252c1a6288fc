"""Agents' security: no known secret, accounts with roles checked on every agent and console
route (enumerated from the app), sessions revoked server-side, sign-in throttled, CSRF."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from itsdangerous import TimestampSigner

from tests.conftest import csrf_from, sign_in, test_settings
from warmline.api.deps import get_agent
from warmline.app import create_app
from warmline.errors import ConfigurationError
from warmline.nlu.embeddings import Encoder
from warmline.services.agent_accounts import ROLES, hash_password
from warmline.services.runtime import Runtime
from warmline.settings import get_settings, kept_secret_key
from warmline.web.console import console_agent

USER = "chen_jackson_3290"
OLD_CONSTANT = "development-only-secret"
ACCOUNTS = {
    "ana": {"hash": hash_password("ana-pass"), "role": "agent"},
    "ben": {"hash": hash_password("ben-pass"), "role": "agent"},
    "sue": {"hash": hash_password("sue-pass"), "role": "supervisor"},
    "ada": {"hash": hash_password("ada-pass"), "role": "admin"},
}
PUBLIC = {
    ("GET", "/console/signin"),
    ("POST", "/console/signin"),
}
"""Agent and console routes anyone may ask for: the sign-in page and the sign-in itself."""


@pytest.fixture
async def strict(
    encoder: Encoder, model_cache: Path, backoffice_app: object
) -> AsyncIterator[Runtime]:
    """A runtime with accounts and roles, and tight sign-in limits."""
    settings = test_settings(
        model_cache,
        agents=ACCOUNTS,
        signin_limit_per_name="3/minute",
        signin_limit_per_address="6/minute",
    )
    built = await Runtime.build(
        settings,
        transport=httpx.ASGITransport(app=backoffice_app),  # type: ignore[arg-type]
        encoder=encoder,
    )
    yield built
    await built.aclose()


@pytest.fixture
def app(strict: Runtime) -> FastAPI:
    """One app (one process): its clients share its sessions, limits and revocations."""
    return create_app(runtime=strict)


def _client(app: FastAPI, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 5555))
    return httpx.AsyncClient(transport=transport, base_url="http://warmline.test")


async def _escalated(runtime: Runtime) -> str:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.request_person(cid)
    return cid


def _agent_route_contexts(app: FastAPI) -> list[RouteContext]:
    """Every route of the app under /api/agent and /console, as the app serves it (its
    routers' prefixes and dependencies included)."""
    return [
        context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and (context.path or "").startswith(("/api/agent", "/console"))
    ]


def _agent_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the app under /api/agent and /console."""
    return [
        (method, context.path or "")
        for context in _agent_route_contexts(app)
        for method in sorted(context.methods or ())
    ]


def _filled(path: str, cid: str) -> str:
    filled = path.replace("{conversation_id}", cid).replace("{name}", "ben")
    filled = filled.replace("{approval_id}", "1").replace("{pack}", "mini_airline")
    return filled.replace("{action}", "cancel_reservation")


# --- no known secret ---------------------------------------------------------------------


def test_the_secret_key_is_generated_once_and_kept_with_the_data(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/data/warmline.db"
    first = get_settings(database_url=url, packs=["airline"], default_pack="airline")
    key_file = tmp_path / "data" / "secret_key"
    assert key_file.read_text().strip() == first.secret_key and len(first.secret_key) >= 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    again = get_settings(database_url=url, packs=["airline"], default_pack="airline")
    assert again.secret_key == first.secret_key  # a restart, or a second worker
    elsewhere = get_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/other/warmline.db",
        packs=["airline"],
        default_pack="airline",
    )
    assert elsewhere.secret_key != first.secret_key  # random, never a constant
    memory = get_settings(database_url="sqlite+aiosqlite:///:memory:", packs=["airline"])
    assert memory.secret_key and kept_secret_key(memory) != memory.secret_key  # no file at all


def test_a_short_or_known_secret_key_is_refused_everywhere() -> None:
    for environment in ("development", "test", "production"):
        with pytest.raises(ConfigurationError, match="32 characters"):
            get_settings(secret_key=OLD_CONSTANT, environment=environment)


def _forged(payload: dict[str, object], secret: str) -> str:
    """A session cookie signed the way Starlette signs one."""
    data = base64.b64encode(json.dumps(payload).encode("utf-8"))
    return TimestampSigner(secret).sign(data).decode("utf-8")


async def test_a_cookie_forged_with_the_old_constant_secret_opens_nothing(
    strict: Runtime, app: FastAPI
) -> None:
    cid = await _escalated(strict)
    payload = {"agent": "ada", "role": "admin", "sid": "forged", "gen": 0, "csrf": "x" * 40}
    async with _client(app) as client:
        client.cookies.set("warmline_agent", _forged(payload, OLD_CONSTANT))
        assert (await client.get(f"/api/agent/conversations/{cid}/packet")).status_code == 401
        assert (await client.get("/api/agent/queue")).status_code == 401
        console = await client.get(f"/console/c/{cid}")
        assert console.status_code == 303 and console.headers["location"] == "/console/signin"


# --- roles on every route ------------------------------------------------------------------


async def test_every_agent_route_is_denied_without_a_session(strict: Runtime, app: FastAPI) -> None:
    cid = await _escalated(strict)
    routes = [r for r in _agent_routes(app) if r not in PUBLIC]
    assert len(routes) >= 14
    async with _client(app) as client:
        token = csrf_from((await client.get("/console/signin")).text)
        for method, path in routes:
            url = _filled(path, cid)
            answer = await client.request(method, url, headers={"X-CSRF-Token": token})
            if path.startswith("/console"):
                assert answer.status_code == 303, (method, path)
                assert answer.headers["location"] == "/console/signin", (method, path)
            else:
                assert answer.status_code == 401, (method, path)
                assert answer.json()["code"] == "not_signed_in"
    state, _ = await strict.conversations.state(cid)
    assert state.owner is None and state.status == "escalated"  # nothing changed


def _required_role(route: RouteContext) -> str | None:
    """The role a route declares through its dependencies: ``role_required(...)``, or ``agent``
    for the plain signed-in agent (``get_agent``, the console's ``console_agent``)."""
    roles: list[str] = []

    def walk(dependant: Dependant) -> None:
        for sub in dependant.dependencies:
            declared = getattr(sub.call, "required_role", None)
            if declared:
                roles.append(declared)
            elif sub.call in (get_agent, console_agent):
                roles.append("agent")
            walk(sub)

    walk(route.dependant)  # type: ignore[attr-defined]
    return max(roles, key=ROLES.index) if roles else None


def _declared_roles(app: FastAPI) -> dict[tuple[str, str], str | None]:
    return {
        (method, context.path or ""): _required_role(context)
        for context in _agent_route_contexts(app)
        for method in context.methods or ()
    }


async def test_every_agent_route_declares_a_role_and_lower_roles_are_refused(
    strict: Runtime, app: FastAPI
) -> None:
    cid = await _escalated(strict)
    declared = _declared_roles(app)
    assert {r for r, role in declared.items() if role is None} == PUBLIC
    above_agent = {r: role for r, role in declared.items() if role not in (None, "agent")}
    assert ("GET", "/api/agent/agents") in above_agent
    assert above_agent[("GET", "/api/agent/accounts")] == "admin"
    assert above_agent[("POST", "/console/rollout/{pack}/{action}")] == "supervisor"
    assert above_agent[("POST", "/api/agent/rollout/{pack}/{action}")] == "supervisor"
    for route in (  # the approvals and the rollout over the API: any agent
        ("GET", "/api/agent/approvals"),
        ("POST", "/api/agent/approvals/{approval_id}/execute"),
        ("POST", "/api/agent/approvals/{approval_id}/reject"),
        ("GET", "/api/agent/rollout"),
    ):
        assert declared[route] == "agent", route
    assert above_agent[("GET", "/console/holds")] == "supervisor"  # anomaly holds
    assert declared[("GET", "/console/backoffice")] == "agent"  # the breakers: any agent reads
    assert above_agent[("POST", "/console/holds/{pack}/{action}/{verb}")] == "supervisor"
    assert above_agent[("GET", "/console/incidents")] == "supervisor"  # bias incidents
    assert above_agent[("POST", "/console/incidents/{incident_id}/{verb}")] == "supervisor"
    clients = {name: _client(app) for name in ("ana", "sue", "ada")}
    try:
        for name, client in clients.items():
            assert (await sign_in(client, name, f"{name}-pass")).status_code == 303
        for (method, path), role in above_agent.items():
            url = _filled(path, cid)
            for name, own in (("ana", "agent"), ("sue", "supervisor")):
                answer = await clients[name].request(method, url, json={})
                if ROLES.index(own) < ROLES.index(role):  # type: ignore[arg-type]
                    assert answer.status_code == 403, (name, method, path)
                    assert answer.json()["code"] == "forbidden"
        assert (await clients["sue"].get("/api/agent/agents")).status_code == 200
        assert (await clients["ada"].get("/api/agent/accounts")).status_code == 200
    finally:
        for client in clients.values():
            await client.aclose()


async def test_an_agent_reads_no_conversation_that_is_neither_waiting_nor_theirs(
    strict: Runtime, app: FastAPI
) -> None:
    open_one = (await strict.conversations.start(None, USER)).conversation_id
    bens = await _escalated(strict)
    await strict.handoff.claim(bens, "ben")
    async with _client(app) as ana, _client(app) as sue:
        await sign_in(ana, "ana", "ana-pass")
        await sign_in(sue, "sue", "sue-pass")
        for cid in (open_one, bens):
            assert (await ana.get(f"/api/agent/conversations/{cid}/packet")).status_code == 403
            assert (await ana.get(f"/console/c/{cid}")).status_code == 403
            assert (await ana.get(f"/console/c/{cid}/packet")).status_code == 403
            assert (await ana.post(f"/console/c/{cid}/seen")).status_code == 403
            assert (await ana.post(f"/api/agent/conversations/{cid}/claim")).status_code == 409
            assert (await sue.get(f"/api/agent/conversations/{cid}/packet")).status_code == 200
        reply = await ana.post(f"/api/agent/conversations/{bens}/messages", json={"text": "hi"})
        assert reply.status_code == 409  # only the owner writes
        waiting = await _escalated(strict)
        assert (await ana.get(f"/api/agent/conversations/{waiting}/packet")).status_code == 200


async def test_a_removed_account_or_a_changed_role_takes_effect_at_once(
    strict: Runtime, app: FastAPI
) -> None:
    async with _client(app) as sue:
        await sign_in(sue, "sue", "sue-pass")
        assert (await sue.get("/api/agent/agents")).status_code == 200
        accounts = dict(strict.settings.agents)
        accounts["sue"] = accounts["sue"].model_copy(update={"role": "agent"})
        strict.settings.agents = accounts
        assert (await sue.get("/api/agent/agents")).status_code == 403
        del accounts["sue"]
        assert (await sue.get("/api/agent/queue")).status_code == 401


# --- sessions ------------------------------------------------------------------------------


async def test_signing_out_makes_the_old_cookie_useless(strict: Runtime, app: FastAPI) -> None:
    async with _client(app) as client:
        await sign_in(client, "ana", "ana-pass")
        cookie = client.cookies["warmline_agent"]
        token = client.headers["X-CSRF-Token"]
        assert (await client.get("/api/agent/queue")).status_code == 200
        out = await client.post("/console/signout", data={"csrf_token": token})
        assert out.status_code == 303
    async with _client(app) as replay:
        replay.cookies.set("warmline_agent", cookie)
        assert (await replay.get("/api/agent/queue")).status_code == 401
        assert (await replay.get("/console")).status_code == 303


async def test_a_supervisor_ends_every_session_of_an_agent(strict: Runtime, app: FastAPI) -> None:
    cid = await _escalated(strict)
    async with _client(app) as ana, _client(app) as sue:
        await sign_in(ana, "ana", "ana-pass")
        assert (await ana.post(f"/api/agent/conversations/{cid}/claim")).status_code == 200
        await sign_in(sue, "sue", "sue-pass")
        on_shift = (await sue.get("/api/agent/agents")).json()
        assert [a["holding"] for a in on_shift if a["name"] == "ana"] == [[cid]]
        assert (await sue.post("/api/agent/agents/ana/signout")).status_code == 204
        assert (await ana.get("/api/agent/queue")).status_code == 401
        state, _ = await strict.conversations.state(cid)
        assert state.owner is None  # back in the queue
        await sign_in(ana, "ana", "ana-pass")  # a new session works again
        assert (await ana.get("/api/agent/queue")).status_code == 200


async def test_admins_see_the_accounts_without_their_hashes(strict: Runtime, app: FastAPI) -> None:
    async with _client(app) as ada:
        await sign_in(ada, "ada", "ada-pass")
        accounts = (await ada.get("/api/agent/accounts")).json()
    assert {a["name"]: a["role"] for a in accounts}["sue"] == "supervisor"
    assert "argon2" not in json.dumps(accounts)


# --- throttling ----------------------------------------------------------------------------


async def test_failed_sign_ins_are_throttled_per_name(strict: Runtime, app: FastAPI) -> None:
    async with _client(app, "10.0.0.1") as one, _client(app, "10.0.0.2") as two:
        for _ in range(3):
            assert (await sign_in(one, "ana", "wrong")).status_code == 401
        refused = await sign_in(two, "ana", "ana-pass")  # the right one, from elsewhere
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert (await sign_in(two, "ben", "ben-pass")).status_code == 303  # others still can


async def test_failed_sign_ins_are_throttled_per_address(strict: Runtime, app: FastAPI) -> None:
    async with _client(app, "10.0.0.3") as client, _client(app, "10.0.0.4") as other:
        for name in ("n1", "n2", "n3", "n4", "n5", "n6"):
            assert (await sign_in(client, name, "guess")).status_code == 401
        assert (await sign_in(client, "sue", "sue-pass")).status_code == 429
        page = await client.post(
            "/console/signin",
            data={"name": "sue", "password": "x", "csrf_token": "t"},
            headers={"Accept": "text/html"},
        )
        assert page.status_code in (403, 429)
        assert (await sign_in(other, "sue", "sue-pass")).status_code == 303


# --- CSRF ----------------------------------------------------------------------------------


async def test_state_changes_without_the_csrf_token_are_refused(
    strict: Runtime, app: FastAPI
) -> None:
    cid = await _escalated(strict)
    async with _client(app) as client:
        await sign_in(client, "ana", "ana-pass")
        token = client.headers.pop("X-CSRF-Token")
        for headers in ({}, {"X-CSRF-Token": "not-the-token"}):
            api = await client.post(f"/api/agent/conversations/{cid}/claim", headers=headers)
            assert api.status_code == 403 and api.json()["code"] == "forbidden"
            form = await client.post(f"/console/c/{cid}/claim", headers=headers)
            assert form.status_code == 403
        state, _ = await strict.conversations.state(cid)
        assert state.owner is None
        with_form_token = await client.post(f"/console/c/{cid}/claim", data={"csrf_token": token})
        assert with_form_token.status_code == 303
        assert with_form_token.headers["location"] == f"/console/c/{cid}"


async def test_login_csrf_is_closed(strict: Runtime, app: FastAPI) -> None:
    async with _client(app) as client:
        blind = await client.post("/console/signin", data={"name": "ana", "password": "ana-pass"})
        assert blind.status_code == 403
        foreign = await client.post(
            "/console/signin", data={"name": "ana", "password": "ana-pass", "csrf_token": "t" * 43}
        )
        assert foreign.status_code == 403
        assert (await client.get("/api/agent/queue")).status_code == 401


async def test_signing_in_starts_a_new_session(strict: Runtime, app: FastAPI) -> None:
    async with _client(app) as client:
        before = csrf_from((await client.get("/console/signin")).text)
        await sign_in(client, "ana", "ana-pass")
        assert client.headers["X-CSRF-Token"] != before  # nothing from before sign-in survives
