"""The console's bias incident register (/console/incidents): supervisors see the incidents a
flagged gap opened, acknowledge them with an owner and a deadline, add notes and remediate
them, through CSRF-checked forms; agents are refused; bad input is a notice, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from warmline.analytics.parity import parity
from warmline.app import create_app
from warmline.nlu.embeddings import Encoder
from warmline.services.agent_accounts import hash_password
from warmline.services.incidents import incidents_of
from warmline.services.runtime import Runtime

from .conftest import sign_in, test_settings
from .parity_facts import planted

ACCOUNTS = {
    "ana": {"hash": hash_password("ana-pass"), "role": "agent"},
    "sue": {"hash": hash_password("sue-pass"), "role": "supervisor"},
}
PAGE = "/console/incidents"


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


def _notice(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    return unquote(answer.headers["location"].split("notice=", 1)[1])


async def _opened(runtime: Runtime) -> int:
    opened = await incidents_of(runtime).flagged(
        parity(planted(1, escalation=0.10, gaps={"sms": 0.05}))
    )
    return next(o.incident_id for o in opened if o.row.metric == "escalation_rate")


async def test_a_supervisor_acknowledges_notes_and_remediates_an_incident(
    runtime: Runtime, clients: dict[str, httpx.AsyncClient]
) -> None:
    number = await _opened(runtime)
    sue = clients["sue"]
    page = await sue.get(PAGE)
    assert page.status_code == 200 and "escalation_rate" in page.text and "sms" in page.text
    token = sue.headers.pop("X-CSRF-Token")  # a browser's form: the token in the form only
    form = {"csrf_token": token, "owner": "ana", "deadline": "2027-01-15", "note": "on it"}
    assert "ana owns it" in _notice(await sue.post(f"{PAGE}/{number}/ack", data=form))
    note = {"csrf_token": token, "note": "sms prompts reworded"}
    assert "Note added" in _notice(await sue.post(f"{PAGE}/{number}/note", data=note))
    fixed = {"csrf_token": token, "note": "templates fixed"}
    assert "remediated" in _notice(await sue.post(f"{PAGE}/{number}/remediate", data=fixed))
    incident = await incidents_of(runtime).get(number)
    assert incident.state == "remediated" and incident.owner == "ana"
    assert [n.kind for n in incident.history] == ["opened", "acknowledged", "note", "remediated"]
    assert all(n.actor == "sue" for n in incident.history[1:])
    audited = await runtime.audit.entries(subject=f"incident:{number}")
    assert [e.actor for e in audited][:3] == ["sue", "sue", "sue"]


async def test_hostile_input_gets_a_notice_or_a_refusal(
    runtime: Runtime, clients: dict[str, httpx.AsyncClient]
) -> None:
    number = await _opened(runtime)
    ana, sue = clients["ana"], clients["sue"]
    assert (await ana.get(PAGE)).status_code == 403
    token = sue.headers.pop("X-CSRF-Token")
    assert (await sue.post(f"{PAGE}/{number}/note", data={"note": "x"})).status_code == 403
    bad_date = {"csrf_token": token, "owner": "ana", "deadline": "next week"}
    assert "deadline" in _notice(await sue.post(f"{PAGE}/{number}/ack", data=bad_date))
    no_owner = {"csrf_token": token, "owner": " "}
    assert "owner" in _notice(await sue.post(f"{PAGE}/{number}/ack", data=no_owner))
    long_note = {"csrf_token": token, "note": "x" * 5000}
    assert "longer" in _notice(await sue.post(f"{PAGE}/{number}/note", data=long_note))
    assert "no bias incident" in _notice(
        await sue.post(f"{PAGE}/999999/note", data={"csrf_token": token, "note": "x"})
    )
    assert (await sue.post(f"{PAGE}/0/note", data={"csrf_token": token})).status_code == 422
    assert (await sue.post(f"{PAGE}/{number}/close", data={"csrf_token": token})).status_code == 422
    assert (await incidents_of(runtime).get(number)).state == "open"


async def test_the_console_links_the_register_for_supervisors_only(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    """An agent may not open the register (403), so their console does not offer it."""
    assert 'id="incidents-link"' in (await clients["sue"].get("/console")).text
    assert 'id="incidents-link"' not in (await clients["ana"].get("/console")).text
