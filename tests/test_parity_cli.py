"""``warmline parity`` and ``warmline incidents`` over a real database (SQLite; PostgreSQL
too when WARMLINE_TEST_POSTGRES_URL is set), seeded with the planted conversations' rows in
the analytics projection: the JSON contract (keys and types), a planted disparity flagged and
its incident opened once, a non-disparity not flagged, the rows the command computes from SQL
sums equal to the monitor's rows over the facts read back (the JSON byte for byte where the
figures are counts), Mann-Whitney's U read from the facts, the HTML and PDF reports written,
and the register's commands."""

from __future__ import annotations

import asyncio
import json
import math
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert
from typer.testing import CliRunner

from warmline import cli
from warmline.analytics.facts import ConversationFacts
from warmline.analytics.outcomes import Tally
from warmline.analytics.parity import CONTRACT_KEYS, METRICS, parity
from warmline.cli import app
from warmline.services.analytics import open_analytics, row_of, rules_of
from warmline.services.parity import contract_rows, parity_settings_of, run_parity
from warmline.settings import Settings, get_settings
from warmline.storage.analytics import FACTS

from .parity_facts import START, planted

runner = CliRunner()
PG = os.environ.get("WARMLINE_TEST_POSTGRES_URL")
Seed = Callable[[list[ConversationFacts]], None]


def projection_rows(found: list[ConversationFacts]) -> list[dict[str, Any]]:
    """The analytics projection's rows (``storage/analytics.py``) of the planted
    conversations, so that the facts read back carry their outcomes: an escalation is a
    person who joined for ``aht_human_s``, an abandoned conversation one never resolved (its
    last event long past), a CSAT hit a rating of 5 (a miss 2), not FCR a return an hour
    later on the same need."""
    rows = []
    for f in found:
        o, escalated = f.outcomes, bool(f.outcomes["escalated"])
        left, csat = bool(o["abandoned"]), o["csat"]
        tally = Tally(
            conversation_id=f.conversation_id, version=6, pack=f.segments["pack"],
            channel=f.segments["channel"], language=f.segments["language"],
            started_at=f.started_at, last_at=f.ended_at, escalated=escalated,
            trigger="customer_request" if escalated else None, joined=escalated,
            resolved=not left, ended_at=None if left else f.ended_at,
            rating=None if csat is None else (5 if csat else 2), ces=o["ces"],
            bot_s=o["aht_bot_s"] or 0.0, human_s=o["aht_human_s"] or 0.0,
        )  # fmt: skip
        row = row_of(tally)
        row["next_contact_s"] = None if o["fcr"] else 3600.0
        rows.append(row)
    return rows


async def _write(url: str, found: list[ConversationFacts]) -> None:
    rules = rules_of(Settings(database_url=url))
    async with open_analytics(url, rules) as analytics, analytics.store.begin() as connection:
        await connection.execute(delete(FACTS))
        await connection.execute(insert(FACTS), projection_rows(found))


def _postgres() -> Iterator[str]:
    import asyncpg  # type: ignore[import-untyped]

    name = f"parity_cli_{uuid.uuid4().hex[:10]}"
    admin = (PG or "").replace("postgresql+asyncpg", "postgresql")

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield (PG or "").rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(execute(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/p.db"
        return
    if not PG:
        pytest.skip("WARMLINE_TEST_POSTGRES_URL is not set")
    yield from _postgres()


@pytest.fixture
def seed(database: str, monkeypatch: pytest.MonkeyPatch) -> Seed:
    """Writes conversations' rows into the database ``warmline`` reads (those before gone);
    the planted 5-point gap of SMS to begin with."""
    monkeypatch.setenv("WARMLINE_DATABASE_URL", database)
    monkeypatch.setattr(cli.console, "_width", 240)  # the tables whole, whatever the terminal

    def write(found: list[ConversationFacts]) -> None:
        asyncio.run(_write(database, found))

    write(planted(1, escalation=0.10, gaps={"sms": 0.05}))
    return write


def _json(*extra: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["parity", "--since", "2026-11-01", "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_json_contract_and_a_planted_disparity_flagged_once(seed: Seed) -> None:
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


def test_no_disparity_no_flag_no_incident(seed: Seed) -> None:
    seed(planted(7, escalation=0.10))
    assert not any(r["flagged"] for r in _json())
    assert "escalation_rate" not in runner.invoke(app, ["incidents", "list"]).output


def test_ack_and_remediate_from_the_command_line(seed: Seed) -> None:
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


def test_html_and_pdf_reports(seed: Seed, tmp_path: Path) -> None:
    html, pdf = tmp_path / "parity.html", tmp_path / "parity.pdf"
    for fmt, path in (("html", html), ("pdf", pdf)):
        result = runner.invoke(
            app, ["parity", "--since", "2026-11-01", "--format", fmt, "--out", str(path)]
        )
        assert result.exit_code == 0, result.output
    page = html.read_text("utf-8")
    assert "Parity report" in page and 'class="flagged"' in page and "escalation_rate" in page
    assert pdf.read_bytes().startswith(b"%PDF")


def test_bad_input_is_a_clear_error(seed: Seed) -> None:
    bad = runner.invoke(app, ["parity", "--since", "last week"])
    assert bad.exit_code == 2 and "--since" in bad.output
    no_out = runner.invoke(app, ["parity", "--since", "2026-11-01", "--format", "pdf"])
    assert no_out.exit_code == 2 and "--out" in no_out.output


def test_the_settings_and_options_choose_the_reference_and_the_test(
    seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARMLINE_PARITY_REFERENCES", '{"channel": "sms"}')
    rows = _json("--no-incidents")
    web = next(r for r in rows if (r["metric"], r["group"]) == ("escalation_rate", "web"))
    assert web["reference_group"] == "sms" and not web["flagged"]
    rows = _json("--no-incidents", "--reference", "channel=web", "--min-n", "1001")
    sms = next(r for r in rows if (r["metric"], r["group"]) == ("escalation_rate", "sms"))
    assert sms["reference_group"] == "web" and sms["p_value"] is None
    assert not sms["flagged"]


async def _from_facts(url: str, chosen: Any) -> list[Any]:
    """The monitor's rows over every conversation's facts read back from ``url``."""
    async with open_analytics(url, rules_of(Settings(database_url=url))) as analytics:
        return parity(await analytics.facts(START), chosen)


def test_the_rows_from_sums_are_the_rows_from_the_facts(seed: Seed, database: str) -> None:
    """What the command writes (from SQL sums) is what the monitor gives over the facts: the
    same rows in the same order, keys, types, groups, sizes and flags; a share's figures and
    p-value to the last digit (counts in both). A mean's figures and p-value, and every
    adjusted p-value (the correction takes the means' p-values in), agree to rounding: the
    sums are added in another order and Welch's t is taken from them."""
    result = runner.invoke(app, ["parity", "--since", "2026-11-01", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "over 2000 conversations" in result.stderr
    want = contract_rows(asyncio.run(_from_facts(database, parity_settings_of(get_settings()))))
    got, want = json.loads(result.stdout), json.loads(json.dumps(want))
    assert [tuple(r) for r in got] == [tuple(r) for r in want] and len(got) == 32
    assert [r["flagged"] for r in got] == [r["flagged"] for r in want] and any(
        r["flagged"] for r in got
    )
    shares = {m.name for m in METRICS if m.kind == "rate"}
    for a, b in zip(got, want, strict=True):
        for key in CONTRACT_KEYS:
            x, y = a[key], b[key]
            assert type(x) is type(y), (a, b, key)
            if isinstance(y, float) and (key == "p_adjusted" or a["metric"] not in shares):
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12), (a, b, key)
            else:
                assert json.dumps(x) == json.dumps(y), (a, b, key)


def test_mann_whitney_ranks_the_facts(seed: Seed, database: str) -> None:
    """Mann-Whitney's U needs each conversation's value: that run reads the facts; the
    shares and their tests are the same as the run from sums."""
    settings = Settings(database_url=database)
    welch = asyncio.run(run_parity(settings, START, open_for_flagged=False))
    chosen = replace(parity_settings_of(settings), mean_test="mannwhitney")
    ranked = asyncio.run(
        run_parity(settings, START, parity_settings=chosen, open_for_flagged=False)
    )
    assert welch.conversations == ranked.conversations == 2000
    assert {r.test for r in welch.rows if r.metric == "aht" and r.test} == {"welch_t"}
    assert {r.test for r in ranked.rows if r.metric == "aht" and r.test} == {"mann_whitney_u"}
    rates = {m.name for m in METRICS if m.kind == "rate"}

    def shares(rows: list[Any]) -> list[tuple[Any, ...]]:
        return [(r.metric, r.dimension, r.group, r.value, r.n, r.p_value, r.flagged)
                for r in rows if r.metric in rates]  # fmt: skip

    assert shares(welch.rows) == shares(ranked.rows) and len(shares(welch.rows)) == 20
