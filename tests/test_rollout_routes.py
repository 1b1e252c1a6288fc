"""The approvals and rollout over HTTP: the JSON routes a deployment automates with (list,
execute, reject, change a mode; roles declared) and the console's forms, with hostile input:
no CSRF token, an unknown or absurd approval id, a second decision, a mode that does not
exist, a note of 5,000 characters. Each gets a problem response or a clear notice, never a
500, and nothing is written twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from warmline.app import create_app
from warmline.nlu.embeddings import Encoder
from warmline.services.agent_accounts import hash_password
from warmline.services.runtime import Runtime

from .conftest import csrf_from, sign_in, test_settings

USER = "chen_jackson_3290"
ACCOUNTS = {
    "ana": {"hash": hash_password("ana-pass"), "role": "agent"},
    "sue": {"hash": hash_password("sue-pass"), "role": "supervisor"},
}
WRITE = "/api/agent/rollout/mini_airline/cancel_reservation"


@pytest.fixture
async def runtime(  # type: ignore[no-untyped-def]
    encoder: Encoder, model_cache: Path, backoffice_app
) -> AsyncIterator[Runtime]:
    built = await Runtime.build(
        test_settings(model_cache, agents=ACCOUNTS),
        transport=httpx.ASGITransport(app=backoffice_app),
        encoder=encoder,
    )
    yield built
    await built.aclose()


@pytest.fixture
async def clients(runtime: Runtime) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    app = create_app(runtime=runtime)
    made = {
        name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w.test")
        for name in ("ana", "sue")
    }
    for name, client in made.items():
        assert (await sign_in(client, name, f"{name}-pass")).status_code == 303
    yield made
    for client in made.values():
        await client.aclose()


async def _held(runtime: Runtime, mode: str = "supervised") -> int:
    """A customer asks to cancel 4WQ150 and says yes while the write is in ``mode``; the
    approval queue's id of the held write."""
    await runtime.rollouts.change_mode("mini_airline", "cancel_reservation", mode, "sue", "test")
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.post_message(cid, "please cancel my reservation 4WQ150")
    await runtime.conversations.post_message(cid, "yes")
    [approval] = await runtime.rollouts.waiting()
    return approval.id


async def _status(runtime: Runtime) -> str:
    return str((await runtime.backoffice.request("GET", "/airline/reservations/4WQ150"))["status"])


def _notice(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    return unquote(answer.headers["location"].split("notice=", 1)[1])


# --- the JSON routes ---------------------------------------------------------------------


async def test_an_agent_lists_and_executes_a_held_write_once_over_the_api(
    runtime: Runtime, clients: dict[str, httpx.AsyncClient]
) -> None:
    ana = clients["ana"]
    approval_id = await _held(runtime)
    [row] = (await ana.get("/api/agent/approvals")).json()
    assert (row["id"], row["action"], row["mode"]) == (
        approval_id,
        "cancel_reservation",
        "supervised",
    )
    assert row["params"]["reservation_id"] == "4WQ150" and row["status"] == "waiting"
    assert row["reasons"][0]["code"] == "rollout_supervised"

    url = f"/api/agent/approvals/{approval_id}/execute"
    assert (await ana.post(url, json={"note": "checked the fare"})).status_code == 204
    assert await _status(runtime) == "cancelled"
    again = await ana.post(url, json={})
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    late = await ana.post(f"/api/agent/approvals/{approval_id}/reject", json={})
    assert late.status_code == 409
    assert (await ana.get("/api/agent/approvals")).json() == []


async def test_a_rejection_over_the_api_writes_nothing(
    runtime: Runtime, clients: dict[str, httpx.AsyncClient]
) -> None:
    approval_id = await _held(runtime)
    url = f"/api/agent/approvals/{approval_id}/reject"
    too_long = await clients["ana"].post(url, json={"note": "x" * 5000})
    assert too_long.status_code == 422  # refused whole: still waiting
    assert (await clients["ana"].post(url, json={"note": "fare rules"})).status_code == 204
    assert await _status(runtime) != "cancelled"


async def test_unknown_or_absurd_approval_ids_and_missing_tokens_are_problems(
    runtime: Runtime, clients: dict[str, httpx.AsyncClient]
) -> None:
    ana = clients["ana"]
    missing = await ana.post("/api/agent/approvals/999/execute", json={})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    for absurd in ("0", "-1", "99999999999999999999", "abc"):
        answer = await ana.post(f"/api/agent/approvals/{absurd}/reject", json={})
        assert answer.status_code == 422, absurd
    approval_id = await _held(runtime)
    token = ana.headers.pop("X-CSRF-Token")
    try:
        forged = await ana.post(f"/api/agent/approvals/{approval_id}/execute", json={})
    finally:
        ana.headers["X-CSRF-Token"] = token
    assert forged.status_code == 403 and forged.json()["code"] == "forbidden"
    assert await _status(runtime) != "cancelled"
    extra = await ana.post(f"/api/agent/approvals/{approval_id}/execute", json={"why": "x"})
    assert extra.status_code == 422  # an unknown field is refused, not ignored


async def test_supervisors_change_a_mode_over_the_api_and_the_bar_holds(
    runtime: Runtime, clients: dict[str, httpx.AsyncClient]
) -> None:
    ana, sue = clients["ana"], clients["sue"]
    [row] = [
        r
        for r in (await ana.get("/api/agent/rollout")).json()
        if r["action"] == "cancel_reservation"
    ]
    assert (row["declared"], row["mode"], row["changed_by"]) == ("autonomous", "autonomous", None)

    refused = await ana.post(WRITE, json={"mode": "shadow", "why": "new fare rules"})
    assert refused.status_code == 403
    changed = await sue.post(WRITE, json={"mode": "shadow", "why": "new fare rules"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["mode"], body["changed_by"], body["may_leave_shadow"]) == ("shadow", "sue", False)
    out = await sue.post(WRITE, json={"mode": "autonomous", "why": "looks fine"})
    assert out.status_code == 409 and "stays shadow" in out.json()["detail"]
    for bad in (
        {"mode": "yolo", "why": "x"},
        {"mode": "supervised"},
        {"mode": "supervised", "why": ""},
    ):
        assert (await sue.post(WRITE, json=bad)).status_code == 422, bad
    unknown = await sue.post(
        "/api/agent/rollout/mini_airline/launch_rocket", json={"mode": "shadow", "why": "x"}
    )
    assert unknown.status_code == 404
    audited = [e.action for e in await runtime.audit.entries(limit=10)]
    assert audited.count("rollout.mode_change") == 1


# --- the console's forms -----------------------------------------------------------------


async def test_the_console_forms_answer_hostile_input_with_a_notice_or_a_problem(
    runtime: Runtime, clients: dict[str, httpx.AsyncClient]
) -> None:
    sue = clients["sue"]
    page = await sue.get("/console/approvals")
    token = csrf_from(page.text)
    sue.headers.pop("X-CSRF-Token")  # a browser's form: the token travels in the form only
    approval_id = await _held(runtime)
    execute = f"/console/approvals/{approval_id}/execute"

    forged = await sue.post(execute, data={"note": ""})
    assert forged.status_code == 403 and await _status(runtime) != "cancelled"
    assert "no approval 424242" in _notice(
        await sue.post("/console/approvals/424242/execute", data={"csrf_token": token})
    )
    assert (
        await sue.post("/console/approvals/99999999999999999999/reject", data={"csrf_token": token})
    ).status_code == 422
    long_note = {"csrf_token": token, "note": "x" * 5000}
    assert "at most 2000" in _notice(await sue.post(execute, data=long_note))
    assert await _status(runtime) != "cancelled"  # the long note decided nothing
    assert "Executed" in _notice(await sue.post(execute, data={"csrf_token": token}))
    assert "was executed by sue" in _notice(await sue.post(execute, data={"csrf_token": token}))
    assert "was executed by sue" in _notice(
        await sue.post(f"/console/approvals/{approval_id}/reject", data={"csrf_token": token})
    )
    assert await _status(runtime) == "cancelled"

    mode = "/console/rollout/mini_airline/cancel_reservation"
    assert "is not a rollout mode" in _notice(
        await sue.post(mode, data={"csrf_token": token, "mode": "yolo", "why": "x"})
    )
    assert "say why" in _notice(
        await sue.post(mode, data={"csrf_token": token, "mode": "autonomous", "why": "y" * 5000})
    )
    assert "no action 'nope'" in _notice(
        await sue.post(
            "/console/rollout/mini_airline/nope",
            data={"csrf_token": token, "mode": "shadow", "why": "x"},
        )
    )
    shown = (await sue.get("/console/approvals?notice=" + "<script>alert(1)</script>")).text
    assert "<script>alert(1)</script>" not in shown  # a notice is escaped


async def test_a_hold_released_twice_says_so_instead_of_failing(
    runtime: Runtime, clients: dict[str, httpx.AsyncClient]
) -> None:
    sue = clients["sue"]
    token = sue.headers.pop("X-CSRF-Token")  # a browser's form: the token in the form only
    release = "/console/holds/mini_airline/cancel_reservation/release"
    assert (await sue.post(release, data={})).status_code == 403  # no token
    assert "is not on hold" in _notice(await sue.post(release, data={"csrf_token": token}))
    bad_verb = await sue.post(
        "/console/holds/mini_airline/cancel_reservation/drop", data={"csrf_token": token}
    )
    assert bad_verb.status_code == 422
    no_pack = await sue.post(
        "/console/holds/nope/cancel_reservation/keep", data={"csrf_token": token}
    )
    assert no_pack.status_code == 404
