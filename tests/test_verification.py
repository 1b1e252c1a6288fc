"""In-conversation verification declared by the pack: the policy's steps as pure functions, and
the whole flow through the API and the in-process reference back office."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from warmline.app import create_app
from warmline.domain.conversation import ConversationState, fold
from warmline.domain.customers import Customer, VerificationCheck
from warmline.domain.decision import Decision
from warmline.domain.events import (
    ConversationStarted,
    CustomerVerified,
    Decided,
    MessageReceived,
    VerificationFailed,
)
from warmline.domain.pack import DomainPack
from warmline.domain.pack_loader import parse_pack
from warmline.domain.understanding import EntityMention, IntentScore, Understanding
from warmline.errors import PackError
from warmline.nlu.embeddings import Encoder
from warmline.nlu.names import read_name
from warmline.policy.decide import decide
from warmline.services.runtime import Runtime

from .conftest import FIXTURES, test_settings
from .test_identity import CountingTransport

NOW = datetime(2026, 1, 1, tzinfo=UTC)
VERIFICATION = """
verification:
  - name: user_id_and_dob
    facts:
      - name: user_id
        ask: What's your user id?
        reader: pattern
        pattern: '\\b[a-z]+_[a-z]+_\\d{4}\\b'
      - name: dob
        ask: And your date of birth?
        reader: date
    lookup: {method: GET, path: "/airline/users/{user_id}"}
    match: {dob: dob}
"""
CHEN = Customer(id="chen_jackson_3290", facts={"reservations": ["4WQ150", "DDHPNX"]})
RID = EntityMention(entity="reservation_id", value="4WQ150", text="4WQ150")


def verifying_pack_text() -> str:
    text = (FIXTURES / "mini_airline.yaml").read_text("utf-8")
    return text.replace("pack: mini_airline", "pack: mini_verify") + VERIFICATION


@pytest.fixture(scope="module")
def pack() -> DomainPack:
    return parse_pack(verifying_pack_text())


def said(text: str, *ranking: tuple[str, float], zone: Any = "confident") -> Understanding:
    return Understanding(
        text=text,
        ranking=[IntentScore(intent=i, probability=p) for i, p in ranking],
        zone=zone,
        entities=[RID] if "4WQ150" in text else [],
    )


def asked(pack: DomainPack) -> tuple[ConversationState, Decision]:
    """A guest asked for reservation 4WQ150 and was asked for the first fact."""
    state = fold([ConversationStarted(at=NOW, pack="mini_verify")])
    text = "where is 4WQ150"
    first = decide(state, said(text, ("reservation_status", 0.9)), None, pack)
    state = fold(
        [
            ConversationStarted(at=NOW, pack="mini_verify"),
            MessageReceived(at=NOW, text=text),
            Decided(at=NOW, decision=first),
        ]
    )
    state.slots["reservation_id"] = "4WQ150"
    return state, first


def test_a_guest_is_asked_for_the_first_fact_and_the_request_is_remembered(
    pack: DomainPack,
) -> None:
    state, first = asked(pack)
    assert (first.kind, first.template) == ("answer", "verify_ask")
    assert (first.verify_method, first.verify_fact) == ("user_id_and_dob", "user_id")
    assert "verification_asked" in first.reason_codes() and first.action is None
    assert state.verifying is not None and state.verifying.intent == "reservation_status"


def test_without_a_verification_section_the_refusal_stays(mini_pack: DomainPack) -> None:
    state = fold([ConversationStarted(at=NOW, pack="mini_airline")])
    d = decide(state, said("where is 4WQ150", ("reservation_status", 0.9)), None, mini_pack)
    assert d.template == "not_verified" and d.verify_method is None


def test_the_next_fact_is_asked_once_the_first_is_given(pack: DomainPack) -> None:
    state, _ = asked(pack)
    check = VerificationCheck("user_id_and_dob", given=("user_id",), missing="dob")
    d = decide(
        state, said("chen_jackson_3290", ("greet", 0.2), zone="out_of_scope"), None, pack, (), check
    )
    assert (d.template, d.verify_fact) == ("verify_next", "dob")


def test_a_match_carries_on_with_the_request(pack: DomainPack) -> None:
    state, _ = asked(pack)
    check = VerificationCheck(
        "user_id_and_dob", given=("dob",), result="matched", customer_id=CHEN.id
    )
    d = decide(
        state, said("1956-07-07", ("greet", 0.2), zone="out_of_scope"), CHEN, pack, (), check
    )
    assert (d.kind, d.action, d.params["reservation_id"]) == ("act", "get_reservation", "4WQ150")
    assert d.params["customer_id"] == CHEN.id
    assert {"customer_verified", "read_action"} <= set(d.reason_codes())


def test_attempts_are_counted_and_the_last_one_goes_to_a_person(pack: DomainPack) -> None:
    state, _ = asked(pack)
    check = VerificationCheck(
        "user_id_and_dob", given=("dob",), result="no_match", attempts_allowed=3
    )
    guess = said("x_y_1234 1 May 1980", ("greet", 0.2), zone="out_of_scope")
    d = decide(state, guess, None, pack, (), check)
    assert (d.template, d.verify_fact) == ("verify_no_match", "user_id")
    assert d.reasons[-1].values == {"attempts": 1, "limit": 3}
    for attempt in (1, 2):
        state.verification_failures = attempt
        d = decide(state, guess, None, pack, (), check)
    assert (d.kind, d.escalation, d.template) == (
        "escalate",
        "verification_failed",
        "verification_failed",
    )


def test_no_drops_it_and_an_outage_goes_to_a_person(pack: DomainPack) -> None:
    state, _ = asked(pack)
    d = decide(state, said("no", ("deny", 0.95)), None, pack, (), None)
    assert d.template == "not_verified" and "verification_abandoned" in d.reason_codes()
    down = VerificationCheck("user_id_and_dob", given=("dob",), result="unavailable")
    d = decide(state, said("1956-07-07", ("greet", 0.2), zone="out_of_scope"), None, pack, (), down)
    assert (d.kind, d.escalation, d.template) == ("escalate", "action_failed", "action_unavailable")


def test_the_fold_binds_the_verified_customer_and_counts_misses() -> None:
    state = fold(
        [
            ConversationStarted(at=NOW, pack="mini_verify"),
            VerificationFailed(at=NOW, method="m", attempt=1),
            CustomerVerified(at=NOW, customer_id=CHEN.id, method="m"),
        ]
    )
    assert (state.customer_id, state.verification_failures, state.verifying) == (CHEN.id, 1, None)


def test_the_loader_reports_an_unknown_fact_with_its_line() -> None:
    bad = verifying_pack_text().replace("match: {dob: dob}", "match: {birthday: dob}")
    with pytest.raises(PackError) as caught:
        parse_pack(bad, "mini.yaml")
    issue = caught.value.issues[0]
    assert issue.field.startswith("verification.0") and issue.line is not None
    assert "birthday" in issue.message


@pytest.fixture
async def flow(
    encoder: Encoder, model_cache: Path, backoffice_app: Any, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, CountingTransport]]:
    pack_file = tmp_path / "mini_verify.yaml"
    pack_file.write_text(verifying_pack_text(), "utf-8")
    backoffice = CountingTransport(backoffice_app)
    settings = test_settings(
        model_cache,
        packs=[str(pack_file)],
        default_pack="mini_verify",
        customer_picker=False,
        verification_attempts=3,
    )
    runtime = await Runtime.build(settings, transport=backoffice, encoder=encoder)
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://w.test"
    ) as client:
        client.runtime = runtime  # type: ignore[attr-defined]
        yield client, backoffice
    await runtime.aclose()


async def say(client: httpx.AsyncClient, cid: str, text: str) -> dict[str, Any]:
    r = await client.post(f"/api/conversations/{cid}/messages", json={"text": text})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_guest_verifies_and_the_reservation_is_shown(
    flow: tuple[httpx.AsyncClient, CountingTransport],
) -> None:
    client, backoffice = flow
    cid = (await client.post("/api/conversations", json={})).json()["conversation_id"]
    backoffice.paths.clear()
    first = await say(client, cid, "where is my reservation 4WQ150?")
    assert "user id" in first["replies"][0]["text"] and "HAT170" not in first["replies"][0]["text"]
    second = await say(client, cid, "it's chen_jackson_3290")
    assert "date of birth" in second["replies"][0]["text"]
    assert backoffice.paths == []  # nothing asked of the back office before every fact is in
    third = await say(client, cid, "July 7, 1956")
    assert "HAT170" in third["replies"][0]["text"]
    assert backoffice.paths[0] == "/airline/users/chen_jackson_3290"
    assert "/airline/reservations/4WQ150" in backoffice.paths

    log = (await client.get(f"/api/conversations/{cid}/events")).json()
    kinds = [e["event"]["kind"] for e in log]
    verified = next(e["event"] for e in log if e["event"]["kind"] == "customer_verified")
    assert verified == {
        "kind": "customer_verified",
        "at": verified["at"],
        "customer_id": "chen_jackson_3290",
        "method": "user_id_and_dob",
    }
    assert kinds.index("customer_verified") < kinds.index("action_executed")
    codes = [
        [r["code"] for r in e["event"]["decision"]["reasons"]]
        for e in log
        if e["event"]["kind"] == "decided"
    ]
    assert "verification_asked" in codes[0] and "verification_asked" in codes[1]
    assert "customer_verified" in codes[2] and "read_action" in codes[2]
    # the conversation is now found among the customer's (export, erasure, the agent's history)
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    mine = await runtime.repository.of_customer("chen_jackson_3290")
    assert [c.id for c in mine] == [cid]


async def test_three_wrong_answers_go_to_a_person_and_no_record_is_read(
    flow: tuple[httpx.AsyncClient, CountingTransport],
) -> None:
    client, backoffice = flow
    cid = (await client.post("/api/conversations", json={})).json()["conversation_id"]
    backoffice.paths.clear()
    await say(client, cid, "cancel my reservation 4WQ150")
    replies = []
    for guess in ("chen_jackson_3290 born 1 May 1980", "mia_li_3668 1990-01-01", "2 June 1970"):
        replies.append(await say(client, cid, guess))
    assert "couldn't match those details" in replies[0]["replies"][0]["text"]
    assert replies[1]["decision"]["kind"] == "answer", replies[1]
    assert replies[2]["decision"]["kind"] == "escalate"
    assert replies[2]["status"] == "escalated"
    assert not any(p.startswith("/airline/reservations") for p in backoffice.paths)
    log = (await client.get(f"/api/conversations/{cid}/events")).json()
    failures = [e["event"]["attempt"] for e in log if e["event"]["kind"] == "verification_failed"]
    escalated = [e["event"] for e in log if e["event"]["kind"] == "escalated"]
    assert failures == [1, 2, 3]
    assert escalated[0]["trigger"] == "verification_failed"
    # the facts are in no field kept raw: only in the message (and its reading), masked at rest
    kept = [e for e in log if e["event"]["kind"] not in ("message_received", "understood")]
    assert "1990-01-01" not in str(kept) and "mia_li_3668" not in str(kept)


# several methods: the retail pack's email, or name and zip code


@pytest.mark.parametrize(
    "text",
    [
        "I'm Noah Brown",
        "noah brown, 20378",
        "my name is Noah Brown and my zip is 20378",
        "it's noah brown",
        "Noah Brown and zip code 20378",
        "hi, this is Noah Brown, zip code 20378",
    ],
)
def test_the_name_reader_finds_first_and_last_name(text: str) -> None:
    assert read_name(text) == ("Noah", "Brown")


@pytest.mark.parametrize(
    "text",
    [
        "sure",
        "20378",
        "Noah",
        "cancel my order",
        "I want to return my order",
        "what is my order status",
        "it's noah.brown7922@example.com",
        "i am not sure",
        "no thanks",
    ],
)
def test_the_name_reader_finds_no_name_where_there_is_none(text: str) -> None:
    assert read_name(text) is None


def test_a_name_reader_keeps_apostrophes_and_hyphens() -> None:
    assert read_name("my name is mary o'brien-smith") == ("Mary", "O'Brien-Smith")


NAME_ZIP = """
  - name: name_zip
    facts:
      - {name: name, ask: "What's your full name?", reader: name}
      - {name: zip, ask: "And your zip code?", reader: zip}
    lookup: {method: GET, path: "/users?first_name={first_name}&last_name={last_name}&zip={zip}"}
"""


@pytest.fixture(scope="module")
def two_methods() -> DomainPack:
    return parse_pack(verifying_pack_text() + NAME_ZIP)


def test_a_name_fact_gives_the_lookup_first_and_last_name() -> None:
    without = verifying_pack_text() + NAME_ZIP.replace("reader: name", "reader: text")
    with pytest.raises(PackError) as caught:
        parse_pack(without, "mini.yaml")
    assert "first_name" in caught.value.issues[0].message
    twice = verifying_pack_text() + NAME_ZIP.replace("reader: zip", "reader: name")
    with pytest.raises(PackError) as caught:
        parse_pack(twice, "mini.yaml")
    assert "at most one name fact" in caught.value.issues[0].message


def test_the_method_a_reply_begins_to_answer_is_the_one_asked_on(
    two_methods: DomainPack,
) -> None:
    state, first = asked(two_methods)
    assert (first.verify_method, first.verify_fact) == ("user_id_and_dob", "user_id")
    assert state.verifying is not None
    since = state.verifying.since
    check = VerificationCheck("name_zip", given=("name",), missing="zip")
    reply = said("I'm Chen Jackson", ("greet", 0.2), zone="out_of_scope")
    d = decide(state, reply, None, two_methods, (), check)
    assert (d.template, d.verify_method, d.verify_fact) == ("verify_next", "name_zip", "zip")
    state = fold(
        [
            ConversationStarted(at=NOW, pack="mini_verify"),
            MessageReceived(at=NOW, text="where is 4WQ150"),
            Decided(at=NOW, decision=first),
            MessageReceived(at=NOW, text="I'm Chen Jackson"),
            Decided(at=NOW, decision=d),
        ]
    )
    # the same verification goes on: the replies since it began are still read
    assert state.verifying is not None
    assert (state.verifying.method, state.verifying.fact) == ("name_zip", "zip")
    assert (state.verifying.since, state.verifying.intent) == (since, "reservation_status")


def test_a_miss_by_any_method_counts_and_asks_the_first_question_again(
    two_methods: DomainPack,
) -> None:
    state, _ = asked(two_methods)
    check = VerificationCheck("name_zip", given=("name", "zip"), result="no_match")
    reply = said("chen jackson 12345", ("greet", 0.2), zone="out_of_scope")
    d = decide(state, reply, None, two_methods, (), check)
    assert (d.template, d.verify_method, d.verify_fact) == (
        "verify_no_match",
        "user_id_and_dob",
        "user_id",
    )
    assert d.reasons[-1].values == {"attempts": 1, "limit": 3}


@pytest.fixture
async def retail(
    encoder: Encoder, model_cache: Path, backoffice_app: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, CountingTransport]]:
    backoffice = CountingTransport(backoffice_app)
    settings = test_settings(
        model_cache, packs=["retail"], default_pack="retail", customer_picker=False
    )
    runtime = await Runtime.build(settings, transport=backoffice, encoder=encoder)
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://w.test"
    ) as client:
        yield client, backoffice
    await runtime.aclose()


async def test_a_retail_guest_verifies_by_name_and_zip_code(
    retail: tuple[httpx.AsyncClient, CountingTransport],
) -> None:
    client, backoffice = retail
    cid = (await client.post("/api/conversations", json={})).json()["conversation_id"]
    backoffice.paths.clear()
    first = await say(client, cid, "what's the status of my order #W7678072?")
    question = first["replies"][0]["text"]
    assert "email address" in question and "full name and zip code" in question
    second = await say(client, cid, "I'm Noah Brown")
    assert "zip code" in second["replies"][0]["text"] and backoffice.paths == []
    third = await say(client, cid, "80279")
    assert "W7678072" in third["replies"][0]["text"]
    assert backoffice.paths[0] == "/retail/users"  # found by first name, last name and zip
    log = (await client.get(f"/api/conversations/{cid}/events")).json()
    verified = next(e["event"] for e in log if e["event"]["kind"] == "customer_verified")
    assert (verified["customer_id"], verified["method"]) == ("noah_brown_6181", "name_zip")


async def test_a_retail_guest_still_verifies_by_email(
    retail: tuple[httpx.AsyncClient, CountingTransport],
) -> None:
    client, backoffice = retail
    cid = (await client.post("/api/conversations", json={})).json()["conversation_id"]
    backoffice.paths.clear()
    await say(client, cid, "where is my order #W7678072?")
    reply = await say(client, cid, "sure, it's noah.brown7922@example.com")
    assert "W7678072" in reply["replies"][0]["text"]
    assert backoffice.paths[0] == "/retail/users"
    log = (await client.get(f"/api/conversations/{cid}/events")).json()
    verified = next(e["event"] for e in log if e["event"]["kind"] == "customer_verified")
    assert (verified["customer_id"], verified["method"]) == ("noah_brown_6181", "email")
