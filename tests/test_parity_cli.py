"""``warmline parity`` and ``warmline incidents``: the JSON contract (keys and types), a
planted disparity flagged and its incident opened once, a non-disparity not flagged, the HTML
and PDF reports written, and the register's commands."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from warmline import cli
from warmline.analytics.parity import CONTRACT_KEYS
from warmline.cli import app
from warmline.services import parity as parity_service

from .parity_facts import planted

runner = CliRunner()


@pytest.fixture
def facts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    found: list[Any] = planted(1, escalation=0.10, gaps={"sms": 0.05})
    monkeypatch.setenv("WARMLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/p.db")

    class Analytics:
        async def facts(self, since: Any, until: Any = None, pack: Any = None) -> list[Any]:
            return found

    @asynccontextmanager
    async def fake(url: str, rules: Any) -> AsyncIterator[Analytics]:
        yield Analytics()

    monkeypatch.setattr(parity_service, "open_analytics", fake)
    monkeypatch.setattr(cli.console, "_width", 240)  # the tables whole, whatever the terminal
    return found


def _json(*extra: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["parity", "--since", "2026-11-01", "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_json_contract_and_a_planted_disparity_flagged_once(facts: list[Any]) -> None:
    rows = _json()
    assert rows and all(tuple(r) == CONTRACT_KEYS for r in rows)
    sms = next(
        r
        for r in rows
        if (r["metric"], r["dimension"], r["group"]) == ("escalation_rate", "channel", "sms")
    )
    assert sms["flagged"] is True and sms["reference_group"] == "web"
    assert isinstance(sms["value"], float) and isinstance(sms["n"], int)
    assert isinstance(sms["p_value"], float) and sms["p_adjusted"] < 0.05
    assert isinstance(sms["difference"], float) and sms["difference"] > 0.02
    listed = runner.invoke(app, ["incidents", "list"])
    assert "escalation_rate" in listed.output and "sms" in listed.output
    count = listed.output.count("open")
    _json()  # a second run: no duplicate
    assert runner.invoke(app, ["incidents", "list"]).output.count("open") == count


def test_no_disparity_no_flag_no_incident(facts: list[Any]) -> None:
    facts[:] = planted(7, escalation=0.10)
    assert not any(r["flagged"] for r in _json())
    assert "escalation_rate" not in runner.invoke(app, ["incidents", "list"]).output


def test_ack_and_remediate_from_the_command_line(facts: list[Any]) -> None:
    _json()
    ack = runner.invoke(
        app, ["incidents", "ack", "1", "--owner", "ana", "--deadline", "2027-01-15"]
    )
    assert ack.exit_code == 0 and "owner ana" in ack.output
    done = runner.invoke(app, ["incidents", "remediate", "1", "--note", "prompts fixed"])
    assert done.exit_code == 0 and "remediated" in done.output
    again = runner.invoke(app, ["incidents", "remediate", "1", "--note", "twice"])
    assert again.exit_code == 2 and "remediated" in again.output
    listed = runner.invoke(app, ["incidents", "list", "--state", "remediated"])
    assert "ana" in listed.output


def test_html_and_pdf_reports(facts: list[Any], tmp_path: Path) -> None:
    html, pdf = tmp_path / "parity.html", tmp_path / "parity.pdf"
    for fmt, path in (("html", html), ("pdf", pdf)):
        result = runner.invoke(
            app, ["parity", "--since", "2026-11-01", "--format", fmt, "--out", str(path)]
        )
        assert result.exit_code == 0, result.output
    page = html.read_text("utf-8")
    assert "Parity report" in page and 'class="flagged"' in page and "escalation_rate" in page
    assert pdf.read_bytes().startswith(b"%PDF")


def test_bad_input_is_a_clear_error(facts: list[Any]) -> None:
    bad = runner.invoke(app, ["parity", "--since", "last week"])
    assert bad.exit_code == 2 and "--since" in bad.output
    no_out = runner.invoke(app, ["parity", "--since", "2026-11-01", "--format", "pdf"])
    assert no_out.exit_code == 2 and "--out" in no_out.output


def test_the_settings_and_options_choose_the_reference_and_the_test(
    facts: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARMLINE_PARITY_REFERENCES", '{"channel": "sms"}')
    rows = _json("--no-incidents")
    web = next(r for r in rows if (r["metric"], r["group"]) == ("escalation_rate", "web"))
    assert web["reference_group"] == "sms" and not web["flagged"]
    rows = _json("--no-incidents", "--reference", "channel=web", "--min-n", "1001")
    sms = next(r for r in rows if (r["metric"], r["group"]) == ("escalation_rate", "sms"))
    assert sms["reference_group"] == "web" and sms["p_value"] is None
    assert not sms["flagged"]
