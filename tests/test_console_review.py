"""The console's review queue (/console/review) and its JSON routes (/api/agent/review): any
signed-in agent sees the turns worth a label (collected when the page loads), labels one with
an intent of its pack or out of scope and dismisses another through CSRF-checked forms, each
audited; a signed-out client is sent to the sign-in page (401 over the API); bad input is a
notice or a problem response, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from warmline.app import create_app
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import (
    AnswerRated,
    BotReplied,
    ConversationStarted,
    Decided,
    Event,
    MessageReceived,
    Understood,
)
from warmline.domain.understanding import IntentScore, Understanding, Zone
from warmline.nlu.embeddings import Encoder
from warmline.services.agent_accounts import hash_password
from warmline.services.learning import learning_of
from warmline.services.runtime import Runtime

from .conftest import sign_in, test_settings

ACCOUNTS = {
    "ana": {"hash": hash_password("ana-pass"), "role": "agent"},
    "sue": {"hash": hash_password("sue-pass"), "role": "supervisor"},
}
PAGE = "/console/review"
API = "/api/agent/review"
PACK = "mini_airline"


def turn(at: datetime, said: str, ranking: list[tuple[str, float]], zone: Zone) -> list[Event]:
    scores = [IntentScore(intent=i, probability=p) for i, p in ranking]
    decision = Decision(
        kind="clarify", intent=ranking[0][0], reasons=[Reason(code="nlu", detail="")]
    )
    return [
        MessageReceived(at=at, text=said),
        Understood(at=at, understanding=Understanding(text=said, ranking=scores, zone=zone)),
        Decided(at=at, decision=decision),
        BotReplied(at=at, text="Did you mean …?"),
    ]


async def seed(runtime: Runtime) -> None:
    """Two conversations with a turn worth a label: the bot unsure between two intents, and a
    confident answer the customer gave a thumb down."""
    at = datetime.now(UTC) - timedelta(hours=1)
    logs: dict[str, list[Event]] = {
        "c-unsure": turn(
            at, "my bag thing for ABC123", [("remove_bag", 0.41), ("baggage_allowance", 0.38)],
            "clarify",
        ),
        "c-thumbs": [
            *turn(at, "where is my booking", [("reservation_status", 0.96)], "confident"),
            AnswerRated(at=at, reply=1, helpful=False),
        ],
    }  # fmt: skip
    for cid, log in logs.items():
        opening = ConversationStarted(at=at, pack=PACK, customer_id="mia_li_3668", channel="sms")
        await runtime.repository.create(cid, PACK, "mia_li_3668", "sms", [opening], at)
        await runtime.repository.append(cid, 1, log, at)


@pytest.fixture
async def runtime(  # type: ignore[no-untyped-def]
    encoder: Encoder, model_cache: Path, backoffice_app
) -> AsyncIterator[Runtime]:
    built = await Runtime.build(
        test_settings(model_cache, agents=ACCOUNTS),
        transport=httpx.ASGITransport(app=backoffice_app),
        encoder=encoder,
    )
    await seed(built)
    yield built
    await built.aclose()


@pytest.fixture
async def clients(runtime: Runtime) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    app = create_app(runtime=runtime)
    made = {
        name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w.test")
        for name in ("ana", "sue", "nobody")
    }
    for name in ("ana", "sue"):
        assert (await sign_in(made[name], name, f"{name}-pass")).status_code == 303
    yield made
    for client in made.values():
        await client.aclose()


def _notice(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    return unquote(answer.headers["location"].split("notice=", 1)[1].split("&")[0])


async def _items(runtime: Runtime) -> dict[str, int]:
    return {i.conversation_id: i.id for i in await learning_of(runtime).queue()}


async def test_an_agent_labels_and_dismisses_through_the_forms(
    runtime: Runtime, clients: dict[str, httpx.AsyncClient]
) -> None:
    ana = clients["ana"]
    page = await ana.get(PAGE)  # loading the page collects the two turns
    assert page.status_code == 200
    assert "my bag thing for ABC123" in page.text and "where is my booking" in page.text
    assert "thumb down" in page.text and "not sure" in page.text and "channel sms" in page.text
    assert page.text.index("where is my booking") < page.text.index("my bag thing")  # by value
    assert 'href="/console/c/c-unsure"' not in page.text  # an agent may not open any conversation
    items = await _items(runtime)
    token = ana.headers.pop("X-CSRF-Token")  # a browser's form: the token in the form only
    form = {"csrf_token": token, "label": "baggage_allowance"}
    done = await ana.post(f"{PAGE}/{items['c-unsure']}/label", data=form)
    assert "labelled: baggage_allowance" in _notice(done)
    gone = await ana.post(f"{PAGE}/{items['c-thumbs']}/dismiss", data={"csrf_token": token})
    assert "dismissed" in _notice(gone)
    learning = learning_of(runtime)
    assert await learning.queue() == []
    (example,) = await learning.reviewed_examples(PACK)
    assert (example.text, example.intent) == ("my bag thing for ABC123", "baggage_allowance")
    audited = await runtime.audit.entries(actor="ana")
    assert {e.action for e in audited} >= {"review.label", "review.dismiss"}
    log = await ana.get(PAGE, params={"view": "log"})
    assert "my bag thing for ABC123" in log.text and "by ana" in log.text  # read remove_bag
    assert "where is my booking" not in log.text


async def test_a_supervisor_sees_the_conversation_link_and_the_pack_filter(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    page = await clients["sue"].get(PAGE, params={"pack": PACK})
    assert 'href="/console/c/c-unsure"' in page.text
    assert (
        "Nothing to review for retail"
        in (await clients["sue"].get(PAGE, params={"pack": "retail"})).text
    )


async def test_hostile_input_gets_a_notice_or_a_refusal(
    runtime: Runtime, clients: dict[str, httpx.AsyncClient]
) -> None:
    ana = clients["ana"]
    await ana.get(PAGE)
    item = (await _items(runtime))["c-unsure"]
    token = ana.headers.pop("X-CSRF-Token")
    assert (await ana.post(f"{PAGE}/{item}/label", data={"label": "remove_bag"})).status_code == 403
    bad = {"csrf_token": token, "label": "<script>alert(1)</script>"}
    assert "not an intent of mini_airline" in _notice(
        await ana.post(f"{PAGE}/{item}/label", data=bad)
    )
    assert "no review item" in _notice(
        await ana.post(f"{PAGE}/999999/dismiss", data={"csrf_token": token})
    )
    assert (await ana.post(f"{PAGE}/0/dismiss", data={"csrf_token": token})).status_code == 422
    assert (await ana.post(f"{PAGE}/{item}/delete", data={"csrf_token": token})).status_code == 422
    assert (await ana.get(PAGE, params={"view": "everything"})).status_code == 422
    await ana.post(f"{PAGE}/{item}/dismiss", data={"csrf_token": token})
    again = await ana.post(f"{PAGE}/{item}/dismiss", data={"csrf_token": token})
    assert "cannot be dismissed" in _notice(again)
    assert (await learning_of(runtime).get(item)).status == "dismissed"


async def test_a_signed_out_client_is_sent_to_sign_in(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    nobody = clients["nobody"]
    page = await nobody.get(PAGE)
    assert page.status_code == 303 and page.headers["location"] == "/console/signin"
    posted = await nobody.post(f"{PAGE}/1/dismiss")
    assert posted.status_code == 303 and posted.headers["location"] == "/console/signin"
    assert (await nobody.get(API)).status_code == 401
    assert (await nobody.post(f"{API}/1/label", json={"label": "oos"})).status_code == 401
    assert 'id="review-link"' in (await clients["ana"].get("/console")).text  # agents and up


async def test_the_json_routes(runtime: Runtime, clients: dict[str, httpx.AsyncClient]) -> None:
    ana = clients["ana"]
    listed = await ana.get(API)
    assert listed.status_code == 200
    first = listed.json()[0]
    assert first["conversation_id"] == "c-thumbs" and first["reasons"][0]["code"] == "thumbs_down"
    assert first["segments"]["channel"] == "sms" and first["text"] == "where is my booking"
    item = first["id"]
    refused = await ana.post(f"{API}/{item}/label", json={"label": "teleport"})
    assert refused.status_code == 404 and "not an intent" in refused.json()["detail"]
    assert refused.json()["code"] == "unknown_label"
    labelled = await ana.post(f"{API}/{item}/label", json={"label": "oos"})
    assert labelled.status_code == 200 and labelled.json()["label"] == "oos"
    assert labelled.json()["reviewer"] == "ana"
    log = (await ana.get(API, params={"view": "log"})).json()
    assert [i["id"] for i in log] == [item]  # read reservation_status, labelled out of scope
    assert (await ana.post(f"{API}/{item}/dismiss")).status_code == 200
    assert (await ana.post(f"{API}/{item}/dismiss")).status_code == 409
    assert (await ana.post(f"{API}/424242/dismiss")).status_code == 404
    collected = await ana.post(f"{API}/collect")
    assert collected.status_code == 200 and collected.json()["added"] == 0
    without = await ana.post(
        f"{API}/{item}/label", json={"label": "oos"}, headers={"X-CSRF-Token": ""}
    )
    assert without.status_code == 403
