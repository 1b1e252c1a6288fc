"""The analytics dashboard's queries over a large event log, timed on SQLite and PostgreSQL::

    .venv/bin/python benchmarks/analytics_queries.py [--events 1000000] [--repeat 5] \
        [--sqlite /tmp/analytics-bench.db] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
        [--rebuild-sample 2000] [--json OUT] [--append-cost TURNS]

Generates about ``--events`` events (``--events / 10`` conversations of 10 or 11 events:
contained, handed to a person and wrapped up, or left unresolved; 3 channels, 2 packs, 3
tiers, 2 arms of one experiment, 20 % re-contacts; a rating on a third) spread over 90 days,
and bulk-inserts them (conversations, events and their projection rows, folded in memory by
``analytics/outcomes.py`` exactly as the append hook folds them) into a fresh SQLite file and,
with ``--postgres``, a scratch database created on that server and dropped at the end. Then it
times, median of ``--repeat`` after one warm-up, the reports the dashboard asks for
(``Analytics.report``: by channel, by pack, by tier over the 90 days, by channel over the
last 7, and ``Analytics.facts`` over the last 7, what the parity monitor reads), each query
of the managers' dashboard (``services/dashboard.py``: its two scans, the combinations of
segment values (tiles, table, parity flags) and the series, the whole page, drill-down pages,
the export of a day), and the
rebuild's rate on a sample (``--rebuild-sample`` conversations refolded from their logs).
With ``--append-cost TURNS``, instead: the time of one append of a turn's events through the
conversation repository without and with the projection's hook (the write path's extra cost).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.analytics.outcomes import OutcomeRules, fold
from warmline.analytics.parity import ParitySettings
from warmline.domain.events import (
    AgentJoined,
    AgentMessage,
    BotReplied,
    ConversationStarted,
    Escalated,
    Event,
    ExperimentAssigned,
    FeedbackGiven,
    MessageReceived,
    Resolved,
    Understood,
    WrappedUp,
    event_to_json,
)
from warmline.domain.understanding import IntentScore, Understanding
from warmline.services.analytics import Analytics, row_of
from warmline.storage.analytics import FACTS, AnalyticsRepository
from warmline.storage.database import create_engine
from warmline.storage.migrate import upgrade
from warmline.storage.tables import ConversationRow, EventRow

END = datetime(2026, 11, 30, tzinfo=UTC)
DAYS = 90
CHANNELS = ("web", "sms", "whatsapp")
PACKS = ("airline", "retail")
TIERS = ("gold", "silver", "basic")
INTENTS = ("baggage", "refund", "change_flight", "order_status")
TRIGGERS = ("customer_request", "frustration", "action_failed")
BATCH = 2_000  # conversations per insert round


def reading(at: datetime, intent: str) -> Understood:
    ranking = [IntentScore(intent=intent, probability=0.9)]
    return Understood(
        at=at, understanding=Understanding(text="x", ranking=ranking, zone="confident")
    )


def conversation(rng: random.Random, start: datetime, customer: str, intent: str) -> list[Event]:
    """10 events (11 with a rating): contained, handed over, or left unresolved."""
    s = lambda seconds: start + timedelta(seconds=seconds)  # noqa: E731
    pack, channel = rng.choice(PACKS), rng.choice(CHANNELS)
    head: list[Event] = [
        ConversationStarted(at=start, pack=pack, customer_id=customer, channel=channel),
        ExperimentAssigned(at=start, experiment="opener", arm=rng.choice(("warm", "brisk"))),
        MessageReceived(at=s(1), text="x"),
        reading(s(2), intent),
        BotReplied(at=s(3), text="x"),
    ]
    kind = rng.random()
    if kind < 0.6:
        tail: list[Event] = [
            MessageReceived(at=s(40), text="x"),
            reading(s(41), intent),
            BotReplied(at=s(42), text="x"),
            MessageReceived(at=s(70), text="x"),
            Resolved(at=s(71), by="customer"),
        ]
    elif kind < 0.85:
        tail = [
            Escalated(at=s(30), trigger=rng.choice(TRIGGERS)),
            AgentJoined(at=s(30 + rng.randint(10, 600)), agent="ann"),
            AgentMessage(at=s(700), agent="ann", text="x"),
            WrappedUp(at=s(700 + rng.randint(60, 900)), agent="ann", disposition="done"),
            Resolved(at=s(1700), by="agent"),
        ]
    else:
        tail = [
            MessageReceived(at=s(40), text="x"),
            reading(s(41), intent),
            BotReplied(at=s(42), text="x"),
            MessageReceived(at=s(90), text="x"),
            BotReplied(at=s(91), text="x"),
        ]
    events = head + tail
    if rng.random() < 1 / 3:
        events.append(FeedbackGiven(at=s(1800), rating=rng.randint(1, 5)))
    return events


def generate(total_events: int, seed: int = 7) -> Iterator[list[dict[str, Any]]]:
    """Rows per batch: ``[conversations, events, facts]`` dicts, oldest conversation first."""
    rng = random.Random(seed)
    count = max(1, total_events // 10)
    step = DAYS * 86_400 / count
    customers = max(1, int(count * 0.8))
    last: dict[tuple[str, str], dict[str, Any]] = {}  # (customer, need) -> its latest row
    rows: list[list[dict[str, Any]]] = [[], [], []]
    for i in range(count):
        start = END - timedelta(days=DAYS) + timedelta(seconds=i * step)
        customer, intent = f"cust{rng.randrange(customers)}", rng.choice(INTENTS)
        cid = str(uuid.UUID(int=rng.getrandbits(128)))
        events = conversation(rng, start, customer, intent)
        tally = fold(cid, events)
        tally.attributes["tier"] = TIERS[int(customer.removeprefix("cust")) % len(TIERS)]
        fact = row_of(tally)
        earlier = last.get((customer, intent))
        if earlier is not None and fact["started_s"] - earlier["started_s"] <= 30 * 86_400:
            earlier["next_contact_s"] = fact["started_s"] - earlier["started_s"]
        last[(customer, intent)] = fact
        first = events[0]
        assert isinstance(first, ConversationStarted)
        rows[0].append(
            {
                "id": cid,
                "pack": first.pack,
                "customer_id": customer,
                "channel": first.channel,
                "status": "closed" if tally.resolved else "open",
                "version": len(events),
                "created_at": start,
                "updated_at": events[-1].at,
            }
        )
        rows[1] += [
            {
                "conversation_id": cid,
                "seq": n,
                "kind": e.kind,
                "at": e.at,
                "payload": event_to_json(e),
            }
            for n, e in enumerate(events, 1)
        ]
        rows[2].append(fact)
        if len(rows[0]) == BATCH:
            # a re-contact may reach back past the batch: those rows are written once their
            # customers' next conversations are known, in ``flush`` below
            yield rows
            rows = [[], [], []]
    if rows[0]:
        yield rows


async def load(engine: AsyncEngine, total_events: int) -> tuple[int, int, float]:
    """Insert the generated rows; returns (conversations, events, seconds)."""
    began, conversations, events = time.perf_counter(), 0, 0
    pending: dict[str, dict[str, Any]] = {}
    for conv_rows, event_rows, fact_rows in generate(total_events):
        async with engine.begin() as connection:
            await connection.execute(insert(ConversationRow.__table__), conv_rows)
            await connection.execute(insert(EventRow.__table__), event_rows)
        for fact in fact_rows:
            pending[fact["conversation_id"]] = fact
        conversations, events = conversations + len(conv_rows), events + len(event_rows)
        await flush(engine, pending, keep_after=fact_rows[-1]["started_s"] - 30 * 86_400)
    await flush(engine, pending, keep_after=float("inf"))
    return conversations, events, time.perf_counter() - began


async def flush(engine: AsyncEngine, pending: dict[str, dict[str, Any]], keep_after: float) -> None:
    """Write the fact rows no later conversation can mark re-contacted any more."""
    ready = [cid for cid, row in pending.items() if row["started_s"] < keep_after]
    if not ready:
        return
    async with engine.begin() as connection:
        await connection.execute(insert(FACTS), [pending.pop(cid) for cid in ready])


async def timed(label: str, call: Any, repeat: int) -> dict[str, Any]:
    result = await call()  # warm-up
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await call()
        times.append(time.perf_counter() - began)
    return {
        "query": label,
        "rows": len(result),
        "median_s": statistics.median(times),
        "max_s": max(times),
    }


async def queries(analytics: Analytics, repeat: int) -> list[dict[str, Any]]:
    since, week = END - timedelta(days=DAYS), END - timedelta(days=7)
    asks = [
        ("report --by channel (90 days)", lambda: analytics.report(since, "channel")),
        ("report --by pack (90 days)", lambda: analytics.report(since, "pack")),
        ("report --by tier (90 days)", lambda: analytics.report(since, "tier")),
        ("report --by channel (last 7 days)", lambda: analytics.report(week, "channel")),
        (
            "report --by channel --pack airline (last 7 days)",
            lambda: analytics.report(week, "channel", pack="airline"),
        ),
        ("facts (last 7 days, the parity monitor's read)", lambda: analytics.facts(week)),
        *dashboard_asks(analytics),
    ]
    return [await timed(label, call, repeat) for label, call in asks]


def dashboard_asks(analytics: Analytics) -> list[tuple[str, Any]]:
    """Each query of ``/console/dashboard`` (``services/dashboard.py``): the combinations scan
    (tiles, table, parity flags), the series, the whole page, the parity monitor from sums, a
    drill-down page and the export of one day, over the last 30 days (the page's default) and
    over 90. A SQLite file is checkpointed after the load, as the server does in the
    background (the loader's WAL would otherwise hold the whole database)."""
    from warmline.services import dashboard

    last = (END - timedelta(days=1)).date()
    month = dashboard.view_of(last - timedelta(days=29), last, None, "channel", last)
    quarter = dashboard.view_of(last - timedelta(days=DAYS - 1), last, None, "channel", last)
    by_arm = dashboard.view_of(month.first, last, None, "arm:opener", last)
    two_days = dashboard.view_of(last - timedelta(days=1), last, None, "channel", last)
    day = dashboard.view_of(last, last, None, "channel", last)
    chosen = ParitySettings()

    def combinations(view: Any) -> Any:
        return lambda: analytics.combinations(view.period())

    page = [
        ("dashboard: combinations scan (tiles, table, flags), 30 days", combinations(month)),
        ("dashboard: combinations scan, 90 days", combinations(quarter)),
        ("dashboard: series per day, 30 days", lambda: dashboard.series(analytics, month)),
        ("dashboard: series per day, 90 days", lambda: dashboard.series(analytics, quarter)),
        ("dashboard: series per hour, 2 days", lambda: dashboard.series(analytics, two_days)),
        (
            "dashboard: whole page by channel, 30 days",
            lambda: _listed(dashboard.overview(analytics, month, chosen)),
        ),
        (
            "dashboard: whole page by arm:opener (JSON key), 30 days",
            lambda: _listed(dashboard.overview(analytics, by_arm, chosen)),
        ),
        (
            "dashboard: whole page by channel, 90 days",
            lambda: _listed(dashboard.overview(analytics, quarter, chosen)),
        ),
        (
            "parity monitor from SQL sums, every dimension, 90 days",
            lambda: dashboard.parity_rows(analytics, quarter.period(), chosen),
        ),
        (
            "report --by arm:opener (a JSON key, 90 days)",
            lambda: analytics.report(quarter.since, "arm:opener"),
        ),
    ]
    return page + drill_asks(analytics, month, by_arm, day)


def drill_asks(analytics: Analytics, month: Any, by_arm: Any, day: Any) -> list[tuple[str, Any]]:
    """The drill-down's pages and the export of one day."""
    from warmline.services import dashboard
    from warmline.services.dashboard_export import export_facts

    async def export(fmt: Any) -> list[int]:
        return [len(part) async for part in export_facts(analytics, day, fmt)]

    return [
        (
            "drill-down: channel=sms, page 1, 30 days",
            lambda: _listed(dashboard.conversations(analytics, month, "sms", None, 1)),
        ),
        (
            "drill-down: channel=sms, page 200, 30 days",
            lambda: _listed(dashboard.conversations(analytics, month, "sms", None, 200)),
        ),
        (
            "drill-down: arm:opener=warm, page 1, 30 days",
            lambda: _listed(dashboard.conversations(analytics, by_arm, "warm", None, 1)),
        ),
        (
            "drill-down: one day, page 1",
            lambda: _listed(dashboard.conversations(analytics, month, None, day.since, 1)),
        ),
        ("export one day's conversations, CSV", lambda: export("csv")),
        ("export one day's conversations, Parquet", lambda: export("parquet")),
    ]


async def _listed(made: Any) -> list[Any]:
    """A result that has no length (a page, the overview) as a one-item list."""
    return [await made]


async def rebuild_rate(analytics: Analytics, engine: AsyncEngine, sample: int) -> dict[str, Any]:
    """Refold ``sample`` conversations from their logs, as ``analytics rebuild`` does."""
    async with engine.connect() as connection:
        ids = list(
            (
                await connection.execute(text(f"SELECT id FROM conversations LIMIT {sample}"))
            ).scalars()
        )
    began = time.perf_counter()
    logs = await analytics.store.logs(ids)
    async with analytics.store.begin() as connection:
        for cid in ids:
            await analytics.on_append(connection, cid, 0, logs[cid])
    seconds = time.perf_counter() - began
    return {"conversations": len(ids), "seconds": seconds, "per_s": len(ids) / seconds}


async def run_one(url: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        conversations, events, load_s = await load(engine, args.events)
        if engine.dialect.name == "sqlite":  # as the server's background checkpoint does
            async with engine.begin() as connection:
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        analytics = Analytics(AnalyticsRepository(engine), OutcomeRules())
        analytics.clock = type("Fixed", (), {"now": staticmethod(lambda: END)})()
        found = {
            "database": make_url(url).get_backend_name(),
            "conversations": conversations,
            "events": events,
            "load_s": load_s,
            "queries": await queries(analytics, args.repeat),
            "rebuild": await rebuild_rate(analytics, engine, args.rebuild_sample),
        }
    finally:
        await engine.dispose()
    return found


async def scratch_postgres(server: str) -> tuple[str, Any]:
    import asyncpg

    base = make_url(server)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"warmline_bench_analytics_{os.getpid()}"

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    await execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False), lambda: execute(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


def show(result: dict[str, Any]) -> None:
    print(
        f"\n{result['database']}: {result['conversations']} conversations, {result['events']} events, "
        f"loaded in {result['load_s']:.1f} s"
    )
    for q in result["queries"]:
        print(
            f"  {q['query']:<60} {q['median_s'] * 1000:8.1f} ms median  {q['max_s'] * 1000:8.1f} ms max  ({q['rows']} rows)"
        )
    r = result["rebuild"]
    print(
        f"  rebuild: {r['conversations']} conversations refolded in {r['seconds']:.2f} s ({r['per_s']:.0f}/s)"
    )


async def append_cost(url: str, turns: int) -> dict[str, Any]:
    """The projection's cost on the write path: ``turns`` appends of a turn's 5 events over
    100 conversations through ``ConversationRepository.append``, without the hook and with
    it (each on fresh conversations), median and p90 of one append."""
    from warmline.storage.conversations import ConversationRepository
    from warmline.storage.database import is_sqlite, session_factory

    engine = create_engine(url)
    found: dict[str, Any] = {"database": make_url(url).get_backend_name(), "turns": turns}
    try:
        await upgrade(engine)
        for label, hooked in (("without", False), ("with", True)):
            repo = ConversationRepository(session_factory(engine), single_writer=is_sqlite(url))
            if hooked:
                repo.after_append = Analytics(AnalyticsRepository(engine), OutcomeRules()).on_append
            rng, versions, times = random.Random(3), {}, []
            for i in range(100):
                cid = f"{label}-{i}"
                started = ConversationStarted(at=END, pack="airline", customer_id=f"c{i}")
                await repo.create(cid, "airline", started.customer_id, "web", [started], END)
                versions[cid] = 1
            for n in range(turns):
                cid = f"{label}-{n % 100}"
                at = END + timedelta(seconds=n)
                turn = [
                    MessageReceived(at=at, text="x"),
                    reading(at, rng.choice(INTENTS)),
                    BotReplied(at=at, text="x"),
                    MessageReceived(at=at, text="x"),
                    BotReplied(at=at, text="x"),
                ]
                began = time.perf_counter()
                versions[cid] = await repo.append(cid, versions[cid], turn, at)
                times.append(time.perf_counter() - began)
            times.sort()
            found[label] = {
                "median_ms": statistics.median(times) * 1000,
                "p90_ms": times[int(0.9 * (len(times) - 1))] * 1000,
            }
            await repo.aclose()
    finally:
        await engine.dispose()
    return found


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqlite", default=f"/tmp/warmline-analytics-bench-{os.getpid()}.db")
    parser.add_argument(
        "--postgres", default=None, help="a server URL: a scratch database is made there"
    )
    parser.add_argument("--rebuild-sample", type=int, default=2_000)
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--append-cost",
        type=int,
        default=0,
        help="instead: time this many appends without and with the projection hook",
    )
    return parser.parse_args()


async def run_append_cost(args: argparse.Namespace) -> list[dict[str, Any]]:
    urls = [f"sqlite+aiosqlite:///{args.sqlite}"]
    drop = None
    if args.postgres:
        url, drop = await scratch_postgres(args.postgres)
        urls.append(url)
    try:
        results = [await append_cost(url, args.append_cost) for url in urls]
    finally:
        if drop is not None:
            await drop()
    for r in results:
        print(
            f"{r['database']}: {r['turns']} appends of a 5-event turn: without the projection "
            f"{r['without']['median_ms']:.2f} ms median ({r['without']['p90_ms']:.2f} p90), "
            f"with it {r['with']['median_ms']:.2f} ms ({r['with']['p90_ms']:.2f} p90)"
        )
    return results


async def run_all(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.append_cost:
        return await run_append_cost(args)
    results = [await run_one(f"sqlite+aiosqlite:///{args.sqlite}", args)]
    show(results[-1])
    if args.postgres:
        url, drop = await scratch_postgres(args.postgres)
        try:
            results.append(await run_one(url, args))
            show(results[-1])
        finally:
            await drop()
    return results


def main() -> None:
    args = arguments()
    if os.path.exists(args.sqlite):
        sys.exit(f"{args.sqlite} exists: the benchmark wants a fresh file")
    try:
        results = asyncio.run(run_all(args))
    finally:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(args.sqlite + suffix):
                os.remove(args.sqlite + suffix)
    print(f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
