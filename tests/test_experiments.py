"""Experiments: stable arms recorded at the start, customer ratings, and the report of CSAT and
resolution per arm with Newcombe intervals of the differences."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import MINI_PACK, test_settings
from warmline.analytics.experiments import Share, experiment_report, newcombe, wilson
from warmline.app import create_app
from warmline.cli import app as cli_app
from warmline.domain.events import (
    ConversationStarted,
    Escalated,
    Event,
    ExperimentAssigned,
    FeedbackGiven,
    Resolved,
)
from warmline.nlu.embeddings import Encoder
from warmline.services.identity import ConversationKeys
from warmline.services.runtime import Runtime

NOW = datetime(2026, 1, 1, tzinfo=UTC)
EXPERIMENT = """
experiments:
  opener:
    arms:
      warm: {weight: 1}
      brisk:
        weight: 1
        empathy: false
        greeting: Brisk AI assistant here; say "person" for someone from our team.
"""


def test_wilson_and_newcombe_match_the_published_examples() -> None:
    # Newcombe (1998), Statistics in Medicine 17: 81/263 (Wilson), 56/70 - 48/80 (method 10).
    low, high = wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    found = newcombe(Share(56, 70), Share(48, 80))
    assert found is not None
    assert [round(x, 4) for x in found] == [0.2, 0.0524, 0.3339]


def test_arms_follow_the_pack_order_and_an_unknown_baseline_is_refused() -> None:
    logs = [_log("brisk", Resolved(at=NOW)), _log("warm")]
    report = experiment_report(logs, "opener", ["warm", "brisk"])
    assert [a.arm for a in report.arms] == ["warm", "brisk"]  # not the order seen
    assert report.differences[0].baseline == "warm"
    with pytest.raises(ValueError, match="no arm 'cold'"):
        experiment_report(logs, "opener", ["warm", "brisk"], baseline="cold")


def test_a_share_without_data_has_no_difference() -> None:
    assert newcombe(Share(0, 0), Share(3, 4)) is None


def _log(arm: str, *events: Event) -> list[Event]:
    return [
        ConversationStarted(at=NOW, pack="p"),
        ExperimentAssigned(at=NOW, experiment="opener", arm=arm),
        *events,
    ]


def test_the_report_counts_csat_and_resolution_per_arm() -> None:
    logs = [
        _log("warm", FeedbackGiven(at=NOW, rating=2), FeedbackGiven(at=NOW, rating=5)),
        _log("warm", Resolved(at=NOW), FeedbackGiven(at=NOW, rating=4)),
        _log("warm", Escalated(at=NOW, trigger="customer_request"), Resolved(at=NOW)),
        _log("brisk", Resolved(at=NOW), FeedbackGiven(at=NOW, rating=3)),
        [ConversationStarted(at=NOW, pack="p")],  # before the experiment: not counted
    ]
    report = experiment_report(logs, "opener", ["warm", "brisk"])
    warm, brisk = report.arms
    assert (warm.arm, warm.conversations, warm.csat, warm.resolution) == (
        "warm",
        3,
        Share(2, 2),  # the last rating counts: 5, then 4
        Share(1, 3),  # the escalated one is not resolved by the bot
    )
    assert (brisk.csat, brisk.resolution) == (Share(0, 1), Share(1, 1))
    csat = next(d for d in report.differences if d.measure == "csat")
    assert (csat.arm, csat.baseline, csat.difference) == ("brisk", "warm", -1.0)
    assert csat.low is not None and csat.high is not None and csat.low < -1.0 + 1e-9 <= csat.high


@pytest.fixture
async def experiment_runtime(
    tmp_path: Path, encoder: Encoder, model_cache: Path, backoffice_app
) -> AsyncIterator[Runtime]:  # type: ignore[no-untyped-def]
    pack = tmp_path / "mini_airline.yaml"
    pack.write_text(MINI_PACK.read_text("utf-8") + EXPERIMENT, "utf-8")
    built = await Runtime.build(
        test_settings(model_cache, packs=[str(pack)]),
        transport=httpx.ASGITransport(app=backoffice_app),
        encoder=encoder,
    )
    yield built
    await built.aclose()


async def test_arms_are_recorded_at_the_start_and_reported_with_ratings(
    experiment_runtime: Runtime,
) -> None:
    service = experiment_runtime.conversations
    settings = experiment_runtime.settings
    keys = ConversationKeys(settings.secret_key, settings.conversation_token_ttl_s)
    app = create_app(runtime=experiment_runtime)
    arms = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://warmline.test"
    ) as client:
        for _ in range(12):
            started = await service.start(None, "chen_jackson_3290")
            state, _ = await service.state(started.conversation_id)
            arms[started.conversation_id] = state.arms["opener"]
            greeting = started.replies[0].text
            assert greeting.startswith("Brisk") == (state.arms["opener"] == "brisk")
            client.headers["authorization"] = f"Bearer {keys.issue(started.conversation_id)}"
            r = await client.post(
                f"/api/conversations/{started.conversation_id}/feedback", json={"rating": 5}
            )
            assert r.status_code == 204
        bad = await client.post(
            f"/api/conversations/{started.conversation_id}/feedback", json={"rating": 6}
        )
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert set(arms.values()) == {"warm", "brisk"}
    report = await experiment_runtime.reports.experiment(None, "opener")
    counted = {a.arm: (a.conversations, a.csat) for a in report.arms}
    for arm in ("warm", "brisk"):
        n = list(arms.values()).count(arm)
        assert counted[arm] == (n, Share(n, n))


async def test_an_unknown_experiment_is_a_clear_error(experiment_runtime: Runtime) -> None:
    from warmline.errors import InputError

    with pytest.raises(InputError, match="opener"):
        await experiment_runtime.reports.experiment(None, "colour")


def test_the_cli_reports_an_experiment(
    tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = tmp_path / "mini_airline.yaml"
    pack.write_text(MINI_PACK.read_text("utf-8") + EXPERIMENT, "utf-8")
    monkeypatch.setenv("WARMLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("WARMLINE_PACKS", f'["{pack}"]')
    monkeypatch.setenv("WARMLINE_DEFAULT_PACK", "mini_airline")
    monkeypatch.setenv("WARMLINE_MODEL_DIR", str(model_cache))
    result = CliRunner().invoke(cli_app, ["experiments", "report", "--experiment", "opener"])
    assert result.exit_code == 0, result.output
    assert "experiment opener" in result.output and "no arm to compare yet" in result.output
    missing = CliRunner().invoke(cli_app, ["experiments", "report", "--experiment", "colour"])
    assert missing.exit_code == 2 and "no experiment 'colour'" in " ".join(missing.output.split())
