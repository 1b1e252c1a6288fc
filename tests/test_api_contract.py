"""The HTTP API against its own OpenAPI document, fuzzed by schemathesis over real HTTP with all
its checks: no server error and no status code, content type or body the document does not
declare, and no schema-valid request refused.

Each generated request about a conversation is sent for a real conversation, with its token,
so the fuzzing reaches the routes' logic rather than stopping at 401; the agent API is fuzzed
once without a session and once with a signed-in agent's (cookie and CSRF token), on a
conversation waiting for a person."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from .conftest import MINI_PACK, csrf_from
from .live import live_stack


@dataclass
class Opened:
    id: str
    token: str


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_stack(
        tmp_path_factory.mktemp("contract"),
        packs=json.dumps([str(MINI_PACK)]),
        default_pack="mini_airline",
    ) as url:
        yield url


@pytest.fixture(scope="module")
def api_schema(base_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json")


def _fuzz(
    operation: schemathesis.APIOperation,
    open_one: Callable[[], Opened],
    agent_headers: dict[str, str] | None = None,
) -> None:
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        if "conversation_id" in (case.path_parameters or {}):
            conversation = open_one()
            case.path_parameters["conversation_id"] = conversation.id
            case.headers = {**(case.headers or {}), "authorization": f"Bearer {conversation.token}"}
        if agent_headers is not None:
            case.headers = {**(case.headers or {}), **agent_headers}
        case.call_and_validate(timeout=60)

    check()


def test_the_api_keeps_its_documented_contract(
    api_schema: schemathesis.BaseSchema, base_url: str
) -> None:
    def open_one() -> Opened:
        started = httpx.post(f"{base_url}/api/conversations", json={}, timeout=60).json()
        return Opened(started["conversation_id"], started["conversation_token"])

    fuzzed = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/stream"):
            continue  # an endless event stream: tests/test_live.py reads it
        _fuzz(operation, open_one)
        fuzzed.append(f"{operation.method.upper()} {operation.path}")
    assert len(fuzzed) >= 15, fuzzed


def _signed_in(base_url: str) -> dict[str, str]:
    """Headers of an agent signed in as a browser does (the shared development password)."""
    with httpx.Client(base_url=base_url, timeout=60) as browser:
        page = browser.get("/console/signin")
        token = csrf_from(page.text)
        browser.post(
            "/console/signin", data={"name": "ana", "password": "agent", "csrf_token": token}
        )
        session = browser.get("/api/agent/session")
        assert session.status_code == 200, session.text
        cookies = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        return {"cookie": cookies, "x-csrf-token": session.json()["csrf_token"]}


def test_the_agent_api_keeps_its_contract_for_a_signed_in_agent(
    api_schema: schemathesis.BaseSchema, base_url: str
) -> None:
    def waiting() -> Opened:
        started = httpx.post(f"{base_url}/api/conversations", json={}, timeout=60).json()
        opened = Opened(started["conversation_id"], started["conversation_token"])
        httpx.post(
            f"{base_url}/api/conversations/{opened.id}/handoff",
            headers={"authorization": f"Bearer {opened.token}"},
            timeout=60,
        )
        return opened

    headers = _signed_in(base_url)
    fuzzed = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/agent") or operation.path.endswith("/stream"):
            continue
        if operation.path.endswith("/signout"):
            continue  # would end the session the rest of the fuzzing uses
        _fuzz(operation, waiting, headers)
        fuzzed.append(f"{operation.method.upper()} {operation.path}")
    assert len(fuzzed) >= 8, fuzzed
