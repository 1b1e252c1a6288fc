"""``warmline train``: corrections seeded in SQLite as the review queue holds them (customer
turns the bot was unsure of, labelled by a reviewer), the candidate judged on the held-out ones
before / after overall and per segment group, ``--promote`` recording an audited promotion,
a refused promotion exiting non-zero with its reasons, and a runtime built afterwards serving
the promoted model: a text the pack alone misreads is read right."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from warmline import cli
from warmline.cli import app
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import (
    BotReplied,
    ConversationStarted,
    Decided,
    Event,
    MessageReceived,
    SegmentsNoted,
    Understood,
)
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import IntentScore, TurnContext, Understanding
from warmline.errors import ConflictError
from warmline.nlu.embeddings import Encoder
from warmline.nlu.engine import NluEngine, training_data
from warmline.nlu.intents import IntentClassifierConfig
from warmline.services.audit import AuditLog
from warmline.services.learning import Learning
from warmline.services.model_evaluation import cross_validated
from warmline.services.runtime import Runtime
from warmline.storage.audit import AuditRepository
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, is_sqlite, session_factory
from warmline.storage.learning import LearningRepository
from warmline.storage.migrate import upgrade
from warmline.storage.promotions import Correction, Promotion, PromotionRepository

from .conftest import MINI_PACK, POSTGRES_URL, empty_postgres, test_settings

runner = CliRunner()
T0 = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)

# Requests the mini pack alone reads out of scope or wrongly, with the intent a reviewer gave
# them; "call off" is a way of cancelling the pack's examples never use.
CORRECTIONS = [
    ("call off my journey", "cancel_reservation", "web"),
    ("I'd like to call off my trip", "cancel_reservation", "sms"),
    ("please call off the booking", "cancel_reservation", "web"),
    ("we need to call off our travel plans", "cancel_reservation", "sms"),
    ("call off my flight, I can't make it", "cancel_reservation", "web"),
    ("could you call off my itinerary", "cancel_reservation", "sms"),
    ("I have to call off the whole trip", "cancel_reservation", "web"),
    ("call off reservation 4WQ150", "cancel_reservation", "sms"),
    ("what's the weather like in paris", "oos", "web"),
    ("recommend a good restaurant near the airport", "oos", "sms"),
    ("what time is it in tokyo", "oos", "web"),
    ("tell me a fun fact about penguins", "oos", "sms"),
]
MISREAD = "can you call off my journey please"


def _turn(at: datetime, text: str) -> list[Event]:
    """A turn the bot was not sure of: the review queue picks it up."""
    scores = [IntentScore(intent="reservation_status", probability=0.4),
              IntentScore(intent="remove_bag", probability=0.35)]  # fmt: skip
    decision = Decision(kind="clarify", reasons=[Reason(code="nlu", detail="")])
    return [
        MessageReceived(at=at, text=text),
        Understood(at=at, understanding=Understanding(text=text, ranking=scores, zone="clarify")),
        Decided(at=at, decision=decision),
        BotReplied(at=at, text="..."),
    ]


async def _seed(url: str, rows: list[tuple[str, str, str]], first: int = 0) -> None:
    """Each row a conversation of its channel (the gold tier on every other one) whose turn a
    reviewer labelled with the row's intent."""
    engine = create_engine(url)
    await upgrade(engine)
    repo = ConversationRepository(session_factory(engine), single_writer=True)
    for n, (text, _, channel) in enumerate(rows, start=first):
        at = T0 + timedelta(minutes=n)
        cid = f"c{n}"
        start = ConversationStarted(
            at=at, pack="mini_airline", customer_id=f"u{n}", channel=channel
        )
        events: list[Event] = [SegmentsNoted(at=at, segments={"tier": "gold"})] if n % 2 else []
        await repo.create(cid, "mini_airline", f"u{n}", channel, [start], at)
        await repo.append(cid, 1, [*events, *_turn(at, text)], at)
    learning = Learning(LearningRepository(engine), AuditLog(AuditRepository(session_factory(engine))),
                        {"mini_airline": ["reservation_status", "cancel_reservation", "remove_bag",
                                          "baggage_allowance", "oos"]})  # fmt: skip
    learning.settle_s = 0.0
    await learning.collect()
    by_text = {i.text: i for i in await learning.queue("mini_airline", limit=500)}
    for text, intent, _ in rows:
        await learning.label(by_text[text].id, intent, "sue")
    await engine.dispose()


@pytest.fixture
def database(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/train.db"
    for name, value in {
        "DATABASE_URL": url,
        "MODEL_DIR": str(model_cache),
        "PACKS": json.dumps([str(MINI_PACK)]),
        "DEFAULT_PACK": "mini_airline",
        "ENCODER_PRECISION": "int8",
        "PROMOTION_MIN_N": "2",
    }.items():
        monkeypatch.setenv(f"WARMLINE_{name}", value)
    monkeypatch.setattr(cli.console, "_width", 240)  # the tables whole, whatever the terminal
    asyncio.run(_seed(url, CORRECTIONS))
    return url


def _train(*extra: str) -> Any:
    return runner.invoke(app, ["train", "--pack", "mini_airline", *extra])


def test_before_and_after_per_segment_then_an_audited_promotion(
    database: str, mini_nlu: NluEngine
) -> None:
    shown = _train()
    assert shown.exit_code == 0, shown.output
    for words in ("channel", "sms", "web", "tier", "gold", "overall", "gate passes"):
        assert words in shown.output
    report = json.loads(_train("--format", "json").stdout)
    assert report["serving"]["version"] == 0 and report["candidate"]["version"] == 1
    assert report["held_out"] + report["candidate"]["new"] == len(CORRECTIONS)
    groups = {(g["dimension"], g["group"]): g for g in report["groups"]}
    overall = groups[("overall", "all")]
    assert overall["n"] == report["held_out"] >= 2
    assert overall["after"]["right"] > overall["before"]["right"]
    assert sum(groups[("channel", c)]["n"] for c in ("sms", "web")) == overall["n"]
    assert ("pack", "mini_airline") not in groups  # one pack per run: no dimension

    promoted = _train("--promote", "--note", "call off means cancel", "--actor", "sue")
    assert promoted.exit_code == 0, promoted.output
    assert "serves version 1" in promoted.output
    status = json.loads(runner.invoke(app, ["train", "--status", "--format", "json"]).stdout)
    assert [(s["pack"], s["version"], s["promoted_by"], s["note"]) for s in status] == [
        ("mini_airline", 1, "sue", "call off means cancel")
    ]
    assert status[0]["corrections"] == report["candidate"]["new"]
    audited = runner.invoke(app, ["audit", "list", "--subject", "pack:mini_airline"])
    assert "model.promote" in audited.output and "sue" in audited.output


def test_nothing_new_is_refused_and_exits_non_zero(database: str, mini_nlu: NluEngine) -> None:
    assert _train("--promote").exit_code == 0
    again = _train("--promote", "--format", "json")
    assert again.exit_code == 1
    assert "no new reviewed correction" in again.output
    assert json.loads(again.stdout)["promoted"] is None
    status = json.loads(runner.invoke(app, ["train", "--status", "--format", "json"]).stdout)
    assert [s["version"] for s in status] == [1]
    audited = runner.invoke(app, ["audit", "list", "--subject", "pack:mini_airline"])
    assert "model.promotion_refused" in audited.output


def test_a_pack_that_is_not_there_is_an_error(database: str) -> None:
    result = runner.invoke(app, ["train", "--pack", "no_such_pack"])
    assert result.exit_code == 2 and "no pack 'no_such_pack'" in result.output


def test_the_runtime_serves_the_promoted_model(
    database: str, model_cache: Path, encoder: Encoder, mini_nlu: NluEngine
) -> None:
    alone = mini_nlu.understand(MISREAD, TurnContext())
    assert alone.zone == "out_of_scope" or alone.ranking[0].intent != "cancel_reservation"
    assert _train("--promote").exit_code == 0

    async def read() -> tuple[int, Understanding]:
        settings = test_settings(model_cache, database_url=database)
        runtime = await Runtime.build(settings, encoder=encoder)
        try:
            pack = runtime.packs.resolve("mini_airline")
            return pack.model_version, pack.nlu.understand(MISREAD, TurnContext())
        finally:
            await runtime.aclose()

    version, understood = asyncio.run(read())
    assert version == 1
    assert understood.zone != "out_of_scope"
    assert understood.ranking[0].intent == "cancel_reservation"


BACKENDS = [
    pytest.param("sqlite+aiosqlite:///:memory:", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
        ],
    ),
]


@pytest.mark.parametrize("url", BACKENDS)
async def test_promotions_are_numbered_per_pack_and_a_race_is_refused(
    url: str, request: pytest.FixtureRequest
) -> None:
    if url == "postgres":
        url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    if not is_sqlite(url):
        await empty_postgres(engine)
    await upgrade(engine)
    repo = PromotionRepository(session_factory(engine))
    try:

        def promotion(pack: str, *ids: str) -> Promotion:
            corrections = tuple(Correction(i, "cancel_reservation") for i in ids)
            return Promotion(pack, 0, corrections, "f" * 16, {"n": len(ids)}, "sue", T0, "why")

        assert await repo.serving() == {}
        first = await repo.add(promotion("mini_airline", "1", "2"), after=0)
        await repo.add(promotion("retail", "9"), after=0)
        second = await repo.add(promotion("mini_airline", "1", "2", "3"), after=1)
        assert (first.version, second.version) == (1, 2)
        with pytest.raises(ConflictError, match="version 2 is serving now"):
            await repo.add(promotion("mini_airline", "4"), after=1)
        serving = await repo.serving()
        assert {p: s.version for p, s in serving.items()} == {"mini_airline": 2, "retail": 1}
        newest = serving["mini_airline"]
        assert newest.item_ids == {"1", "2", "3"} and newest.promoted_at == T0
        assert newest.examples({"1": "call off my trip", "3": "call it off"}) == (
            ("call off my trip", "cancel_reservation"),
            ("call it off", "cancel_reservation"),
        )  # item 2's text is gone (its customer erased): left out
        assert [p.version for p in await repo.history("mini_airline")] == [2, 1]
        assert list(await repo.serving("retail")) == ["retail"]
    finally:
        if not is_sqlite(url):
            await empty_postgres(engine)
        await engine.dispose()


def test_the_packs_own_examples_cross_validated_as_a_baseline(
    mini_pack: DomainPack, encoder: Encoder
) -> None:
    # the embedding view alone: quick, and the folds are what is tested
    light = IntentClassifierConfig(
        calibration_folds=0, typo_weight=0, ngram_weight=0, name_examples=False, spelling=False
    )
    found = cross_validated(mini_pack, encoder, folds=2, config=light)
    assert found is not None
    assert (found["folds"], found["n"]) == (2, len(training_data(mini_pack)[0]))
    assert 0.5 < found["accuracy"] <= 1.0
