"""The command line: validate, migrate and test exit with the right codes and say why."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from warmline.cli import app

from .conftest import MINI_PACK

runner = CliRunner()


def test_validate_accepts_a_good_pack() -> None:
    result = runner.invoke(app, ["validate", str(MINI_PACK)])
    assert result.exit_code == 0 and "mini_airline" in result.output


def test_validate_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI_PACK.read_text().replace("risk: read", "risk: harmless"))
    result = runner.invoke(app, ["validate", str(bad)])
    line = bad.read_text().splitlines().index("    risk: harmless") + 1
    assert result.exit_code == 1
    assert f"{bad}:{line}: actions.get_reservation.risk:" in " ".join(result.output.split())


def test_migrate_creates_the_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARMLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/m.db")
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0 and "0011" in result.output


def _scenario(tmp_path: Path, expect_reply: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(
        f"pack: {MINI_PACK}\ncustomer: chen_jackson_3290\nscenarios:\n"
        "  - name: lookup\n    turns:\n"
        "      - customer: where is my reservation 4WQ150?\n"
        f"        expect: {{decision: act, reply_contains: [{expect_reply!r}]}}\n"
    )
    return path


def test_scenarios_pass_and_write_junit(
    tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARMLINE_MODEL_DIR", str(model_cache))
    junit = tmp_path / "out.xml"
    result = runner.invoke(app, ["test", str(_scenario(tmp_path, "DFW")), "--junit", str(junit)])
    assert result.exit_code == 0, result.output
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")


def test_a_failing_scenario_exits_non_zero_with_a_report(
    tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARMLINE_MODEL_DIR", str(model_cache))
    junit = tmp_path / "out.xml"
    result = runner.invoke(
        app, ["test", str(_scenario(tmp_path, "Honolulu")), "--junit", str(junit)]
    )
    assert result.exit_code == 1
    assert "reply does not contain 'Honolulu'" in " ".join(result.output.split())
    failure = ET.parse(junit).getroot().find("testcase/failure")
    assert failure is not None and "Honolulu" in (failure.get("message") or "")


def test_a_malformed_scenario_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("pack: airline\nscenarios:\n  - name: x\n    turns: []\n")
    result = runner.invoke(app, ["test", str(path)])
    assert result.exit_code == 2 and "scenarios.0.turns" in result.output


def test_affect_predict_writes_one_scored_object_per_row(tmp_path: Path) -> None:
    import json

    source = tmp_path / "in.csv"
    source.write_text(
        'id,text\n1,"This is the THIRD time I ask!!! Where is my refund?"\n2,thanks so much\n',
        "utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["affect", "predict", "--input", str(source), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert {"negative", "frustration", "urgency", "confusion", "sentiment"} <= set(row)
        assert all(
            0.0 <= row[k] <= 1.0 for k in ("negative", "frustration", "urgency", "confusion")
        )
        assert row["turn"]["frustration"] >= row["frustration"]  # cues only raise the reading
    assert rows[0]["cues"] == ["shouting", "repeat_complaint"]
    assert rows[0]["turn"]["frustration"] >= 0.75 and rows[0]["turn"]["sentiment"] == "negative"
    assert rows[1]["sentiment"] == "positive" and rows[1]["frustration"] < 0.2


def test_affect_predict_names_a_missing_text_column(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("body\nhello\n", "utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["affect", "predict", "--input", str(source), "--output", str(out)])
    assert result.exit_code == 2 and "missing column(s) text" in result.output
    assert not out.exists()


def test_agents_hash_password_prints_a_hash_that_verifies() -> None:
    from warmline.services.agent_accounts import verify_password

    result = runner.invoke(app, ["agents", "hash-password"], input="s3cret\ns3cret\n")
    assert result.exit_code == 0, result.output
    stored = result.output.strip().splitlines()[-1]
    assert verify_password("s3cret", stored) and not verify_password("other", stored)
