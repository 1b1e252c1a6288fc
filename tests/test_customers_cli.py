"""The right of access and erasure: ``warmline customers export`` and ``forget``, both
audited; the same code on SQLite and PostgreSQL (set WARMLINE_TEST_POSTGRES_URL)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warmline.cli import app
from warmline.domain.conversation import fold
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import (
    ActionExecuted,
    BotReplied,
    CallbackRequested,
    ConversationStarted,
    Decided,
    Event,
    ExperimentAssigned,
    FeedbackGiven,
    MessageReceived,
    Resolved,
    Understood,
    event_from_json,
)
from warmline.domain.understanding import EntityMention, IntentScore, Understanding
from warmline.services.customer_data import CustomerData, open_customer_data
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, is_sqlite, session_factory
from warmline.storage.migrate import upgrade

from .conftest import POSTGRES_URL, empty_postgres

NOW = datetime(2026, 1, 1, tzinfo=UTC)
USER, OTHER = "mia_li_3668", "chen_jackson_3290"
EMAIL = "mia.li@example.com"
runner = CliRunner()

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
        ],
    ),
]


def _log(customer: str) -> list[Event]:
    """A conversation as a turn stores it: the message masked, the call-back contact and the
    action's parameters kept."""
    reading = Understanding(
        text="cancel ZFA04Y, card [card ending 4242]",
        ranking=[IntentScore(intent="cancel_reservation", probability=0.9)],
        zone="confident",
        entities=[EntityMention(entity="reservation_id", value="ZFA04Y", text="ZFA04Y")],
    )
    decision = Decision(
        kind="act",
        intent="cancel_reservation",
        action="cancel_reservation",
        params={"reservation_id": "ZFA04Y"},
        reasons=[Reason(code="nlu", detail="read as cancel_reservation")],
    )
    return [
        ConversationStarted(at=NOW, pack="airline", customer_id=customer),
        ExperimentAssigned(at=NOW, experiment="tone", arm="warm"),
        BotReplied(at=NOW, text="Hi, I'm an AI assistant."),
        MessageReceived(at=NOW, text="cancel ZFA04Y, card [card ending 4242]"),
        Understood(at=NOW, understanding=reading),
        Decided(at=NOW, decision=decision),
        ActionExecuted(
            at=NOW,
            action="cancel_reservation",
            params={"reservation_id": "ZFA04Y"},
            risk="write",
            result={"reservation_id": "ZFA04Y", "email": EMAIL, "total": 120.5},
        ),
        CallbackRequested(at=NOW, contact=EMAIL, medium="email"),
        BotReplied(at=NOW, text="Done: ZFA04Y is cancelled."),
        FeedbackGiven(at=NOW, rating=4, comment="quick, thanks m***@example.com"),
        Resolved(at=NOW, by="customer"),
    ]


async def _seed(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    repo = ConversationRepository(session_factory(engine), single_writer=is_sqlite(url))
    for i, customer in enumerate((USER, USER, OTHER)):
        events = _log(customer)
        await repo.create(f"c{i}", "airline", customer, "web", events[:1], NOW)
        await repo.append(f"c{i}", 1, events[1:], NOW, status="closed")
    await engine.dispose()


async def _drop(url: str) -> None:
    engine = create_engine(url)
    await empty_postgres(engine)
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def data(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CustomerData]:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_database")
        await _drop(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/customers.db"
    await _seed(url)
    async with open_customer_data(url) as service:
        yield service
    if not is_sqlite(url):
        await _drop(url)


async def test_export_holds_every_conversation_and_event_as_stored_and_is_audited(
    data: CustomerData,
) -> None:
    document = await data.export(USER, "dpo")
    assert document["customer_id"] == USER
    assert [c["id"] for c in document["conversations"]] == ["c0", "c1"]
    events = document["conversations"][0]["events"]
    assert [e["kind"] for e in events] == [e.kind for e in _log(USER)]
    assert events[3]["text"] == "cancel ZFA04Y, card [card ending 4242]"
    [entry] = await data.audit.entries(subject=USER)
    assert (entry.actor, entry.action, entry.detail) == (
        "dpo",
        "customer.export",
        {"conversations": 2, "events": 22},
    )


async def test_forget_erases_texts_and_id_and_keeps_the_counts(data: CustomerData) -> None:
    before = await data.repo.conversations(USER)
    done = await data.forget(USER, "dpo")
    assert (done.conversations, done.events) == (2, 22)
    assert await data.repo.conversations(USER) == []
    after = await data.repo.conversations(done.pseudonym)
    assert [c.id for c in after] == ["c0", "c1"]
    for old, new in zip(before, after, strict=True):
        assert [e["kind"] for e in new.events] == [e["kind"] for e in old.events]
        stored = json.dumps(new.events)
        for gone in (USER, EMAIL, "ZFA04Y", "4242", "quick", "AI assistant"):
            assert gone not in stored
        was, now = fold(map(event_from_json, old.events)), fold(map(event_from_json, new.events))
        assert (now.status, now.ratings, now.actions_done, now.arms, now.version) == (
            was.status,
            was.ratings,
            was.actions_done,
            was.arms,
            was.version,
        )
        assert now.last_intent == "cancel_reservation" and now.customer_id == done.pseudonym
    untouched = await data.repo.conversations(OTHER)
    assert "ZFA04Y" in json.dumps(untouched[0].events)
    [entry] = await data.audit.entries(actor="dpo")
    assert entry.action == "customer.forget" and entry.subject == USER
    assert entry.detail == {"pseudonym": done.pseudonym, "conversations": 2, "events": 22}


async def test_an_unknown_customer_exports_nothing_and_forgets_nothing(data: CustomerData) -> None:
    assert (await data.export("nobody", "dpo"))["conversations"] == []
    assert (await data.forget("nobody", "dpo")).conversations == 0
    assert len(await data.audit.entries(subject="nobody")) == 2


def test_the_commands_export_forget_and_list_the_audit_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    asyncio.run(_seed(url))
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)

    exported = runner.invoke(app, ["customers", "export", USER, "--actor", "dpo"])
    assert exported.exit_code == 0, exported.output
    assert len(json.loads(exported.output)["conversations"]) == 2
    out = tmp_path / "export.json"
    written = runner.invoke(app, ["customers", "export", USER, "-o", str(out)])
    assert written.exit_code == 0 and json.loads(out.read_text())["customer_id"] == USER

    refused = runner.invoke(app, ["customers", "forget", USER], input="n\n")
    assert refused.exit_code == 1  # not confirmed: nothing erased
    forgot = runner.invoke(app, ["customers", "forget", USER, "--yes", "--actor", "dpo"])
    assert forgot.exit_code == 0 and "2 conversations, 22 events" in forgot.output
    again = runner.invoke(app, ["customers", "export", USER, "--actor", "dpo"])
    assert json.loads(again.output)["conversations"] == []

    listed = runner.invoke(app, ["audit", "list", "--subject", USER, "--limit", "10"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("customer.export") == 3 and "customer.forget" in listed.output
    assert "cli:" in listed.output  # the system user when no --actor is given
