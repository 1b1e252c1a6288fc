"""The managers' dashboard (/console/dashboard): its figures summed in SQL over the six
conversations of tests/test_analytics.py (worked out by hand below), on SQLite and on
PostgreSQL; the parity monitor from sums equal to the one over the facts; the drill-down
listing exactly a group's or a day's conversations; the CSV and Parquet exports read back
equal to the facts; and the pages: who may open them, bad parameters answered 422."""

# ruff: noqa: F811 (seeded_db, imported, is a parameter of the tests)
from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from warmline.analytics.facts import ConversationFacts
from warmline.analytics.metrics import by_segment, metric_rows
from warmline.analytics.parity import ParitySettings, parity
from warmline.analytics.parity_stats import Moments, parity_of_moments
from warmline.app import create_app
from warmline.cli import app as cli
from warmline.domain.events import ConversationStarted
from warmline.errors import InputError
from warmline.nlu.embeddings import Encoder
from warmline.services import dashboard
from warmline.services.agent_accounts import hash_password
from warmline.services.analytics import Analytics
from warmline.services.dashboard import View, conversations, overview, parity_rows, view_of
from warmline.services.dashboard_export import export_facts, export_segments, fact_columns
from warmline.services.runtime import Runtime

from .conftest import sign_in, test_settings
from .parity_facts import planted
from .test_analytics import NOW, RULES, T0, FixedClock, seeded, seeded_db  # noqa: F401
from .test_analytics_cli import seed as seed_file

DAY = T0.date()
ALL = ParitySettings(min_n=1)
"""The monitor with every group tested (the seeded groups are tiny)."""


def whole_day(by: str = "channel", pack: str | None = None) -> View:
    return view_of(DAY, DAY, pack, by, DAY)


async def test_the_tiles_are_the_hand_computed_figures(seeded_db: Analytics) -> None:
    o = await overview(seeded_db, whole_day(), ALL)
    tiles = {t.metric: (t.value, t.n) for t in o.tiles}
    # settled: c1, c2, c3, c4, c6 (c5 is in progress); contained: c1, c4
    assert tiles["conversations"] == (6.0, 6)
    assert tiles["containment_rate"] == (pytest.approx(2 / 5), 5)
    # c1 came back (c4) within 72 h: its need was not resolved first time; c2, c4 were
    assert tiles["fcr_rate"] == (pytest.approx(2 / 5), 5)
    assert tiles["abandonment_rate"] == (pytest.approx(2 / 5), 5)  # c3, c6
    assert tiles["csat"] == (pytest.approx(1 / 2), 2)  # c1's 5, c2's 2
    assert tiles["ces"] == (None, 0)
    assert tiles["escalation_rate"] == (pytest.approx(2 / 6), 6)  # c2, c6
    assert tiles["aht_bot_s"] == (pytest.approx((120 + 60 + 30 + 90 + 20 + 40) / 6), 6)
    assert tiles["aht_human_s"] == (pytest.approx(300.0), 1)
    assert tiles["cost_per_contact"] == (pytest.approx((6 * 0.10 + 5 * 1.00) / 6), 6)
    assert tiles["thumbs_down_share"] == (pytest.approx((1 / 3 + 0 + 1) / 3), 3)
    assert o.triggers == [
        ("customer_request", 1, pytest.approx(1 / 6)),
        ("frustration", 1, pytest.approx(1 / 6)),
    ]
    assert {"pack", "channel", "language", "arm:greeting"} <= set(o.dimensions)


async def test_the_series_per_hour_and_per_day(seeded_db: Analytics) -> None:
    hourly = await dashboard.series(seeded_db, whole_day())
    assert hourly["bucket"] == "hour" and len(hourly["labels"]) == 24
    ten, eleven = (
        hourly["labels"].index(T0.isoformat()),
        hourly["labels"].index((T0 + timedelta(hours=1)).isoformat()),
    )
    counts = hourly["values"]["conversations"]
    assert (counts[ten], counts[eleven], sum(counts)) == (4.0, 2.0, 6.0)  # c1 c2 c3 c6 | c4 c5
    # 10:00: c1 contained of c1, c2, c3, c6 settled; 11:00: c4 contained, c5 in progress
    assert hourly["values"]["containment_rate"][ten] == pytest.approx(1 / 4)
    assert hourly["values"]["containment_rate"][eleven] == 1.0
    assert hourly["n"]["containment_rate"][eleven] == 1
    assert hourly["values"]["containment_rate"][0] is None  # an hour without a conversation
    daily = await dashboard.series(
        seeded_db, view_of(date(2026, 11, 1), date(2026, 11, 30), None, "channel", DAY)
    )
    assert daily["bucket"] == "day" and len(daily["labels"]) == 30
    assert (
        daily["values"]["conversations"][9] == 6.0 and sum(daily["values"]["conversations"]) == 6.0
    )
    assert daily["labels"][9] == datetime(2026, 11, 10, tzinfo=UTC).isoformat()


async def test_a_segment_key_is_grouped_in_sql_as_in_memory(seeded_db: Analytics) -> None:
    """``arm:greeting`` is a key of the segments JSON, summed in SQL; the same grouping of
    the facts in memory gives the same figures."""
    since = T0 - timedelta(days=1)
    in_sql = await seeded_db.report(since, "arm:greeting")
    facts = await seeded_db.facts(since)
    in_memory = metric_rows("arm:greeting", by_segment(facts, "arm:greeting"), RULES)
    assert [(r.group, r.metric, r.n) for r in in_sql] == [
        (r.group, r.metric, r.n) for r in in_memory
    ]
    for a, b in zip(in_sql, in_memory, strict=True):
        assert a.value == (None if b.value is None else pytest.approx(b.value))
    with pytest.raises(InputError):
        await seeded_db.report(since, 'x") OR 1=1 --')


async def test_the_segments_table_carries_the_figures_per_group(seeded_db: Analytics) -> None:
    rows = await dashboard.segments(seeded_db, whole_day("language"), ALL)
    assert [r.group for r in rows] == ["en", "es"]  # the largest group first
    en, es = rows
    assert en.figures["conversations"].value == 5.0 and es.figures["abandonment_rate"].value == 1.0
    assert not en.flags and not es.flags  # six conversations are not evidence of a gap


def _facts_moments(facts: list[ConversationFacts]) -> dict[str, Any]:
    """The monitor's Moments computed from the facts in Python (the SQL's sums, by hand)."""
    from warmline.analytics.parity import METRICS

    found: dict[str, dict[str, tuple[int, dict[str, Moments]]]] = {}
    for dimension in sorted({d for f in facts for d in f.segments}):
        groups: dict[str, list[ConversationFacts]] = {}
        for f in facts:
            if dimension in f.segments:
                groups.setdefault(f.segments[dimension], []).append(f)
        for group, members in groups.items():
            moments = {}
            for metric in METRICS:
                values = [v for f in members if (v := metric.read(f.outcomes)) is not None]
                moments[metric.name] = Moments(len(values), sum(values), sum(v * v for v in values))
            found.setdefault(dimension, {})[group] = (len(members), moments)
    return found


def _same_rows(got: list[Any], want: list[Any]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        key = (b.metric, b.dimension, b.group)
        assert (a.metric, a.dimension, a.group, a.reference_group) == (*key, b.reference_group)
        assert (a.n, a.reference_n, a.flagged, a.note, a.test) == (
            b.n, b.reference_n, b.flagged, b.note, b.test,
        ), key  # fmt: skip
        for name in ("value", "reference_value", "difference", "p_value", "p_adjusted"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None), (key, name)
            if y is not None:
                assert math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9), (key, name, x, y)


def test_parity_from_sums_is_parity_from_the_facts() -> None:
    """A planted 5-point gap over 2,000 conversations: the same rows, p-values and flags."""
    for gaps in ({"sms": 0.05}, {}):
        facts = planted(11, escalation=0.10, gaps=gaps)
        want = parity(facts)
        _same_rows(parity_of_moments(_facts_moments(facts)), want)
        flagged = [(r.metric, r.group) for r in want if r.flagged]
        assert (("escalation_rate", "sms") in flagged) == bool(gaps)


async def test_parity_summed_in_sql_is_parity_from_the_facts(seeded_db: Analytics) -> None:
    period = whole_day().period()
    facts = await seeded_db.facts(T0 - timedelta(days=1))
    _same_rows(await parity_rows(seeded_db, period, ALL), parity(facts, ALL))


async def test_the_drill_down_lists_exactly_a_groups_or_a_days_conversations(
    seeded_db: Analytics, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = whole_day()

    async def ids(group: str | None, at: datetime | None = None, v: View = view) -> list[str]:
        page = await conversations(seeded_db, v, group, at, 1)
        assert page.total == len(page.rows)
        return [c.facts.conversation_id for c in page.rows]

    assert await ids("sms") == ["c6", "c4", "c5"]  # by start
    assert await ids("web") == ["c1", "c2", "c3"]
    assert await ids(None, T0 + timedelta(hours=1)) == ["c4", "c5"]  # the 11:00 hour
    assert await ids("web", T0 + timedelta(hours=1)) == []
    arm = whole_day("arm:greeting")
    assert await ids("(none)", v=arm) == ["c3", "c6", "c4", "c5"]
    assert await ids("b", v=arm) == ["c2"]
    page = await conversations(seeded_db, view, "sms", None, 1)
    assert [c.outcome for c in page.rows] == [
        "abandoned in the queue", "contained", "in progress",
    ]  # fmt: skip
    assert page.rows[1].intent == "baggage"
    monkeypatch.setattr(dashboard, "PAGE_SIZE", 2)
    pages = [await conversations(seeded_db, view, None, None, n) for n in (1, 2, 3, 4)]
    assert [p.pages for p in pages] == [3, 3, 3, 3] and pages[3].rows == []
    listed = [c.facts.conversation_id for p in pages for c in p.rows]
    assert listed == ["c1", "c2", "c3", "c6", "c4", "c5"]


async def _read(made: AsyncIterator[bytes]) -> bytes:
    return b"".join([part async for part in made])


async def test_the_exports_read_back_equal_the_facts(seeded_db: Analytics) -> None:
    view = whole_day("arm:greeting")
    facts = {f.conversation_id: f for f in await seeded_db.facts(T0 - timedelta(days=1))}
    table = pq.read_table(io.BytesIO(await _read(export_facts(seeded_db, view, "parquet"))))
    columns = fact_columns(["arm:greeting", "channel", "language", "pack"])
    assert table.column_names == columns
    from_parquet = table.to_pylist()
    text = (await _read(export_facts(seeded_db, view, "csv"))).decode()
    from_csv = list(csv.DictReader(io.StringIO(text)))
    assert [r["conversation_id"] for r in from_parquet] == list(facts)
    assert [r["conversation_id"] for r in from_csv] == list(facts)
    for row, line in zip(from_parquet, from_csv, strict=True):
        f = facts[row["conversation_id"]]
        assert row["started_at"] == f.started_at and row["ended_at"] == f.ended_at
        assert datetime.fromisoformat(line["started_at"]) == f.started_at
        assert row["escalation_trigger"] == f.escalation_trigger
        for name, value in f.outcomes.items():
            assert row[name] == (None if value is None else pytest.approx(value)), name
            assert line[name] == ("" if value is None else str(value)), name
        for d in ("arm:greeting", "channel", "language", "pack"):
            assert row[f"segment:{d}"] == f.segments.get(d)
            assert line[f"segment:{d}"] == f.segments.get(d, "")
    assert from_parquet[0]["intent"] == "baggage"
    segments = await _read(export_segments(seeded_db, whole_day(), "csv"))
    report = await seeded_db.report(T0 - timedelta(days=1), "channel")
    read = list(csv.DictReader(io.StringIO(segments.decode())))
    assert [(r["metric"], r["group"], int(r["n"])) for r in read] == [
        (r.metric, r.group, r.n) for r in report
    ]
    parquet = pq.read_table(
        io.BytesIO(await _read(export_segments(seeded_db, whole_day(), "parquet")))
    )
    assert [r["value"] for r in parquet.to_pylist()] == [r.value for r in report]


async def test_an_empty_period_exports_a_header_only(seeded_db: Analytics) -> None:
    view = view_of(date(2026, 1, 1), date(2026, 1, 2), None, "channel", DAY)
    text = (await _read(export_facts(seeded_db, view, "csv"))).decode()
    assert text.splitlines() == [",".join(fact_columns([]))]
    assert (
        pq.read_table(io.BytesIO(await _read(export_facts(seeded_db, view, "parquet")))).num_rows
        == 0
    )


def test_a_view_refuses_a_backward_or_overlong_period() -> None:
    assert whole_day().bucket_s == 3600
    default = view_of(None, None, None, "channel", DAY)
    assert (default.first, default.last) == (DAY - timedelta(days=29), DAY)
    with pytest.raises(InputError):
        view_of(DAY, DAY - timedelta(days=1), None, "channel", DAY)
    with pytest.raises(InputError):
        view_of(DAY - timedelta(days=400), DAY, None, "channel", DAY)
    with pytest.raises(InputError):
        view_of(None, None, None, "chan nel", DAY)


# --- the pages ------------------------------------------------------------------------------

ACCOUNTS = {
    "ana": {"hash": hash_password("ana-pass"), "role": "agent"},
    "sue": {"hash": hash_password("sue-pass"), "role": "supervisor"},
    "ada": {"hash": hash_password("ada-pass"), "role": "admin"},
}
PAGE = "/console/dashboard"
QUERY = f"since={DAY}&until={DAY}"


@pytest.fixture
async def runtime(  # type: ignore[no-untyped-def]
    encoder: Encoder, model_cache: Path, backoffice_app
) -> AsyncIterator[Runtime]:
    built = await Runtime.build(
        test_settings(model_cache, agents=ACCOUNTS),
        transport=httpx.ASGITransport(app=backoffice_app),
        encoder=encoder,
    )
    assert built.analytics is not None
    built.analytics.clock = FixedClock(NOW)
    for cid, log in seeded().items():
        first = log[0]
        assert isinstance(first, ConversationStarted)
        await built.repository.create(
            cid, "airline", first.customer_id, first.channel, log[:1], first.at
        )
        version = 1
        for event in log[1:]:
            version = await built.repository.append(cid, version, [event], event.at)
    yield built
    await built.aclose()


@pytest.fixture
async def clients(runtime: Runtime) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    app = create_app(runtime=runtime)
    made = {
        name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w.test")
        for name in ("ana", "sue", "ada", "nobody")
    }
    for name, client in made.items():
        if name != "nobody":
            assert (await sign_in(client, name, f"{name}-pass")).status_code == 303
    yield made
    for client in made.values():
        await client.aclose()


async def test_who_may_open_the_dashboard(clients: dict[str, httpx.AsyncClient]) -> None:
    """Supervisors and admins; an agent is refused (and not shown the link); nobody signed in
    is sent to sign in."""
    urls = [
        f"{PAGE}?{QUERY}",
        f"{PAGE}/conversations?{QUERY}&group=sms",
        f"{PAGE}/export/conversations?{QUERY}&format=csv",
        f"{PAGE}/export/segments?{QUERY}&format=parquet",
    ]
    for url in urls:
        assert (await clients["sue"].get(url)).status_code == 200, url
        assert (await clients["ada"].get(url)).status_code == 200, url
        assert (await clients["ana"].get(url)).status_code == 403, url
        signed_out = await clients["nobody"].get(url)
        assert signed_out.status_code == 303 and signed_out.headers["location"] == "/console/signin"
    assert 'id="dashboard-link"' in (await clients["sue"].get("/console")).text
    assert 'id="dashboard-link"' not in (await clients["ana"].get("/console")).text


async def test_the_page_shows_the_seeded_figures(clients: dict[str, httpx.AsyncClient]) -> None:
    page = (await clients["sue"].get(f"{PAGE}?{QUERY}")).text
    tiles = dict(
        re.findall(
            r'data-metric="(\w+)">\s*<div class="tile-label">[^<]*</div>\s*<div class="tile-value">([^<]*)</div>',
            page,
        )
    )
    assert tiles["conversations"] == "6" and tiles["containment_rate"] == "40.0%"
    assert tiles["escalation_rate"] == "33.3%" and tiles["aht_bot_s"] == "1 min 00 s"
    assert tiles["aht_human_s"] == "5 min 00 s" and tiles["cost_per_contact"] == "0.93"
    assert "n = 5 settled" in page and "n = 2 rated" in page
    assert '<tr data-group="web">' in page and '<tr data-group="sms">' in page
    assert 'id="dashboard-data"' in page and "/static/vendor/chart-4.6.1.umd.min.js" in page
    assert "<script>" not in page  # no inline script: the CSP allows none
    default = (await clients["sue"].get(PAGE)).text  # the last 30 days up to "today" (NOW)
    assert f'name="since" value="{DAY - timedelta(days=29)}"' in default


async def test_the_drill_down_page_lists_the_groups_conversations(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    sue = clients["sue"]
    fragment = await sue.get(
        f"{PAGE}/conversations?{QUERY}&group=sms", headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.text
    assert re.findall(r'data-conversation="(\w+)"', fragment.text) == ["c6", "c4", "c5"]
    assert 'href="/console/c/c4"' in fragment.text
    day = await sue.get(
        f"{PAGE}/conversations?{QUERY}&at={(T0 + timedelta(hours=1)).isoformat().replace('+', '%2B')}"
    )
    assert "<html" in day.text and re.findall(r'data-conversation="(\w+)"', day.text) == [
        "c4",
        "c5",
    ]


async def test_the_downloads_are_attachments(clients: dict[str, httpx.AsyncClient]) -> None:
    sue = clients["sue"]
    got = await sue.get(f"{PAGE}/export/conversations?{QUERY}&format=csv")
    assert got.headers["content-disposition"] == (
        f'attachment; filename="warmline-conversations-{DAY}-to-{DAY}.csv"'
    )
    assert [r["conversation_id"] for r in csv.DictReader(io.StringIO(got.text))] == [
        "c1", "c2", "c3", "c6", "c4", "c5",
    ]  # fmt: skip
    got = await sue.get(f"{PAGE}/export/segments?{QUERY}&format=parquet&by=arm:greeting")
    assert got.headers["content-type"] == "application/vnd.apache.parquet"
    assert "by-arm-greeting.parquet" in got.headers["content-disposition"]
    groups = {r["group"] for r in pq.read_table(io.BytesIO(got.content)).to_pylist()}
    assert groups == {"a", "b", "(none)"}


@pytest.mark.parametrize(
    "query",
    [
        "since=yesterday",
        f"since={DAY}&until={DAY - timedelta(days=1)}",
        f"since={DAY - timedelta(days=500)}&until={DAY}",
        'by=x"y',
        "by=",
        "pack=a%20b",
    ],
)
async def test_bad_parameters_are_a_problem_not_a_500(
    clients: dict[str, httpx.AsyncClient], query: str
) -> None:
    sue = clients["sue"]
    for url in (PAGE, f"{PAGE}/conversations", f"{PAGE}/export/conversations"):
        got = await sue.get(f"{url}?{query}")
        assert got.status_code == 422, (url, query, got.text)
        assert got.headers["content-type"].startswith("application/problem+json")


async def test_bad_drill_and_export_parameters_are_a_problem(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    sue = clients["sue"]
    for url in (
        f"{PAGE}/conversations?page=0",
        f"{PAGE}/conversations?at=noon",
        f"{PAGE}/conversations?group={'x' * 200}",
        f"{PAGE}/export/conversations?format=xlsx",
        f"{PAGE}/export/everything",
    ):
        got = await sue.get(url)
        assert got.status_code == 422, (url, got.text)
        assert got.headers["content-type"].startswith("application/problem+json")


def test_report_writes_its_rows_to_a_parquet_or_csv_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``warmline report --format parquet --output FILE``: the rows of ``--format json``."""
    url = f"sqlite+aiosqlite:///{tmp_path}/analytics.db"
    asyncio.run(seed_file(url))
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)
    runner = CliRunner()
    since = ["report", "--since", (T0 - timedelta(days=1)).date().isoformat(), "--by", "channel"]
    as_json = json.loads(runner.invoke(cli, [*since, "--format", "json"]).output)
    out = tmp_path / "report.parquet"
    done = runner.invoke(cli, [*since, "--format", "parquet", "--output", str(out)])
    assert done.exit_code == 0, done.output
    assert pq.read_table(out).to_pylist() == as_json
    written = tmp_path / "report.csv"
    assert runner.invoke(cli, [*since, "--format", "csv", "--output", str(written)]).exit_code == 0
    assert [r["metric"] for r in csv.DictReader(written.open())] == [r["metric"] for r in as_json]
    no_file = runner.invoke(cli, [*since, "--format", "parquet"])
    assert no_file.exit_code == 2 and "--output" in no_file.output
    table_to_file = runner.invoke(cli, [*since, "--output", str(tmp_path / "t.txt")])
    assert table_to_file.exit_code == 2
