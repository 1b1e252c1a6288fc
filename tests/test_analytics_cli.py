"""The analytics end to end: a turn through the conversation service updates the projection
(no rebuild), and ``warmline report`` prints the figures as a table, JSON and CSV, the
contract other tools read (docs/analytics.md); ``warmline analytics rebuild`` refolds."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from warmline.cli import app
from warmline.domain.events import ConversationStarted, SegmentsNoted
from warmline.nlu.embeddings import Encoder
from warmline.services.analytics import Analytics
from warmline.services.runtime import Runtime
from warmline.storage.analytics import AnalyticsRepository
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade

from .conftest import MINI_PACK, test_settings
from .test_analytics import RULES, T0, seeded

runner = CliRunner()
COLUMNS = ["metric", "dimension", "group", "value", "n"]


async def test_a_turn_through_the_service_updates_the_projection(runtime: Runtime) -> None:
    service, analytics = runtime.conversations, runtime.analytics
    assert analytics is not None
    since = datetime.now(UTC) - timedelta(hours=1)
    started = await service.start(None, "chen_jackson_3290", channel="sms")
    await service.post_message(started.conversation_id, "where is my reservation 4WQ150?")
    (facts,) = await analytics.facts(since)
    assert facts.segments["channel"] == "sms" and facts.segments["language"] == "en"
    assert facts.outcomes["escalated"] == 0.0 and facts.outcomes["contained"] is None
    await service.post_message(started.conversation_id, "I want to talk to a human agent")
    await service.give_feedback(started.conversation_id, 5)
    (facts,) = await analytics.facts(since)
    assert facts.outcomes["escalated"] == 1.0 and facts.escalation_trigger == "customer_request"
    assert facts.outcomes["csat"] == 1.0
    rows = {(r.group, r.metric): r for r in await analytics.report(since, "channel")}
    assert rows[("sms", "escalation_rate")].value == 1.0 and rows[("sms", "csat")].n == 1


async def seed(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    repo = ConversationRepository(session_factory(engine), single_writer=True)
    repo.after_append = Analytics(AnalyticsRepository(engine), RULES).on_append
    for cid, log in seeded().items():
        first = log[0]
        assert isinstance(first, ConversationStarted)
        await repo.create(cid, "airline", first.customer_id, first.channel, log, first.at)
    await engine.dispose()


async def test_a_declared_segment_is_noted_once_from_the_account(
    tmp_path: Path, encoder: Encoder, model_cache: Path, backoffice_app: Any
) -> None:
    """The pack declares ``analytics.segments: {tier: membership}``: the customer's tier is
    recorded (``segments_noted``) the first turn the account is read, and reported by."""
    pack = tmp_path / "mini_airline.yaml"
    pack.write_text(MINI_PACK.read_text() + "analytics:\n  segments:\n    tier: membership\n")
    runtime = await Runtime.build(
        test_settings(model_cache, packs=[str(pack)]),
        transport=httpx.ASGITransport(app=backoffice_app),
        encoder=encoder,
    )
    try:
        assert runtime.analytics is not None
        since = datetime.now(UTC) - timedelta(hours=1)
        service = runtime.conversations
        started = await service.start(None, "chen_jackson_3290")
        for text in ("where is my reservation 4WQ150?", "and reservation 4WQ150 again?"):
            await service.post_message(started.conversation_id, text)
        events = await runtime.repository.events(started.conversation_id)
        noted = [e for e in events if isinstance(e, SegmentsNoted)]
        assert [e.segments for e in noted] == [{"tier": "silver"}]
        (facts,) = await runtime.analytics.facts(since)
        assert facts.segments["tier"] == "silver"
        rows = {(r.group, r.metric) for r in await runtime.analytics.report(since, "tier")}
        assert ("silver", "conversations") in rows
    finally:
        await runtime.aclose()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An SQLite file holding the six seeded conversations, named by WARMLINE_DATABASE_URL
    (the commands run their own event loop: these tests are not async)."""
    url = f"sqlite+aiosqlite:///{tmp_path}/analytics.db"
    asyncio.run(seed(url))
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)
    return url


SINCE = (T0 - timedelta(days=1)).date().isoformat()


def invoke(*args: str) -> str:
    result = runner.invoke(app, ["report", "--since", SINCE, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_report_as_json_is_a_list_of_metric_rows(database: str) -> None:
    rows = json.loads(invoke("--by", "channel", "--format", "json"))
    assert all(list(row) == COLUMNS for row in rows)
    found = {(r["group"], r["metric"]): (r["value"], r["n"]) for r in rows}
    assert found[("web", "conversations")] == (3.0, 3)
    assert found[("web", "csat")] == (0.5, 2)
    assert found[("web", "aht_human_s")] == (300.0, 1)
    assert found[("sms", "escalation_rate:frustration")] == (pytest.approx(1 / 3), 3)
    assert found[("sms", "ces")] == (None, 0)


def test_report_as_csv_has_the_same_rows(database: str) -> None:
    as_json = json.loads(invoke("--by", "pack", "--format", "json"))
    rows = list(csv.DictReader(io.StringIO(invoke("--by", "pack", "--format", "csv"))))
    assert list(rows[0]) == COLUMNS and len(rows) == len(as_json)
    for row, same in zip(rows, as_json, strict=True):
        assert row["metric"] == same["metric"] and int(row["n"]) == same["n"]
        assert row["value"] == ("" if same["value"] is None else str(same["value"]))


def test_report_as_a_table_for_people(database: str) -> None:
    text = invoke("--by", "channel", "--until", "2026-11-11")
    assert "containment_rate" in text and "33.3%" in text and "300.0" in text


def test_bad_input_is_a_clear_error(database: str) -> None:
    bad_date = runner.invoke(app, ["report", "--since", "last tuesday"])
    assert bad_date.exit_code == 2 and "not a date" in bad_date.output
    bad_format = runner.invoke(app, ["report", "--since", SINCE, "--format", "xml"])
    assert bad_format.exit_code == 2 and "one of table, json, csv" in bad_format.output
    backwards = runner.invoke(app, ["report", "--since", SINCE, "--until", "2020-01-01"])
    assert backwards.exit_code == 2 and "--until must be after --since" in backwards.output


def test_rebuild_refolds_every_conversation(database: str) -> None:
    before = invoke("--by", "channel", "--format", "json")
    result = runner.invoke(app, ["analytics", "rebuild"])
    assert result.exit_code == 0 and "6 conversations" in result.output
    assert invoke("--by", "channel", "--format", "json") == before
