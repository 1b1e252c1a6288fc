"""``warmline parity`` over a large event log, timed end to end on SQLite::

    .venv/bin/python benchmarks/parity_run.py [--sqlite /tmp/parity-bench.db] [--events 1000000] \
        [--since 2026-09-01] [--repeat 5] [--json OUT]

The database is the one ``benchmarks/analytics_queries.py`` generates (``--events`` events, about
``--events / 10`` conversations over the 90 days up to 2026-11-30, bulk-inserted with their
projection rows and checkpointed); it is made at ``--sqlite`` when that file does not exist and
kept afterwards, so that the same data can be measured again (another commit, another run).
Then, median of ``--repeat`` after one warm-up: the whole command as a user runs it (``warmline
parity --since ... --format json --no-incidents`` in a fresh process: start-up, migration
check, the read, the tests, the JSON), and ``run_parity`` alone in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from analytics_queries import load  # noqa: E402

from warmline.services.parity import run_parity  # noqa: E402
from warmline.settings import Settings  # noqa: E402
from warmline.storage.database import create_engine  # noqa: E402
from warmline.storage.migrate import upgrade  # noqa: E402


async def generate(url: str, events: int) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        conversations, count, seconds = await load(engine, events)
        async with engine.begin() as connection:  # as the server's background checkpoint does
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await engine.dispose()
    return {"conversations": conversations, "events": count, "load_s": seconds}


def command(url: str, since: str) -> tuple[float, int]:
    """One ``warmline parity`` in a fresh process: its seconds and the rows it wrote."""
    env = {**os.environ, "WARMLINE_DATABASE_URL": url}
    cli = [str(REPO / ".venv/bin/warmline"), "parity", "--since", since, "--format", "json",
           "--no-incidents"]  # fmt: skip
    began = time.perf_counter()
    done = subprocess.run(cli, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - began, len(json.loads(done.stdout))


async def in_process(url: str, since: datetime) -> tuple[float, int]:
    settings = Settings(database_url=url)
    began = time.perf_counter()
    run = await run_parity(settings, since, open_for_flagged=False)
    return time.perf_counter() - began, run.conversations


def timed(label: str, call: Any, repeat: int) -> dict[str, Any]:
    call()  # warm-up
    times, size = [], 0
    for _ in range(repeat):
        seconds, size = call()
        times.append(seconds)
    found = {"what": label, "median_s": statistics.median(times), "max_s": max(times)}
    print(f"  {label:<58} {found['median_s'] * 1000:8.1f} ms median {found['max_s'] * 1000:8.1f}"
          f" ms max ({size})")  # fmt: skip
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", default="/tmp/parity-bench.db")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--since", default="2026-09-01")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    url = f"sqlite+aiosqlite:///{args.sqlite}"
    if not os.path.exists(args.sqlite):
        made = asyncio.run(generate(url, args.events))
        print(f"generated {made['conversations']} conversations, {made['events']} events "
              f"in {made['load_s']:.1f} s into {args.sqlite}")  # fmt: skip
    since = datetime.fromisoformat(args.since).replace(tzinfo=UTC)
    results = [
        timed(f"warmline parity --since {args.since} (a fresh process)",
              lambda: command(url, args.since), args.repeat),
        timed("run_parity (in process; conversations)",
              lambda: asyncio.run(in_process(url, since)), args.repeat),
    ]  # fmt: skip
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
