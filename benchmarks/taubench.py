"""tau-bench as a conversation benchmark: a scripted, rule-based customer talks to warmline.

For each task of a split: a fresh reference back office and a new guest conversation with the
domain's demo pack, run in-process; the scripted customer (``taubench_kit/customer.py``) knows
the task's instruction and its own identity, never the gold calls. The end state of the back
office is compared with the gold one (the task's gold calls replayed on a second back office):
a goal is reached when the states are equal and every expected output was said::

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python benchmarks/taubench.py --split retail_dev
    ... --split retail_train --limit 100 --max-writes 1 --transcripts var/taubench --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
from taubench_kit.conversation import Bench, Played, play
from taubench_kit.replay import GoldBackOffice, RecordingTransport, gold_writes
from taubench_kit.scoring import TABLES, GoldReplayUnavailable, load_tool_request

from warmline.demo.backoffice.app import create_app as reference_backoffice
from warmline.demo.backoffice.store import load_table
from warmline.services.runtime import Runtime
from warmline.settings import get_settings

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
PACKS = Path(__file__).resolve().parents[1] / "src" / "warmline" / "demo" / "packs"


DEV_SETS = Path(__file__).resolve().parent / "taubench_dev"


def load_tasks(datasets: Path, split: str) -> list[dict[str, Any]]:
    """A tau-bench split from the datasets folder, or one of the project's own development sets
    (``benchmarks/taubench_dev/<split>.json``, same format) when no split has that name."""
    path = datasets / "taubench" / f"{split}.json"
    if not path.exists() and (DEV_SETS / f"{split}.json").exists():
        path = DEV_SETS / f"{split}.json"
    tasks: list[dict[str, Any]] = json.loads(path.read_text())
    return tasks


def select(
    tasks: list[dict[str, Any]], args: argparse.Namespace, domain: str
) -> list[tuple[int, dict[str, Any]]]:
    """The tasks to run, with their index in the split."""
    chosen = list(enumerate(tasks))
    if args.task is not None:
        chosen = [(i, t) for i, t in chosen if i == args.task]
    if args.tasks != "all":
        parity = 0 if args.tasks == "even" else 1
        chosen = [(i, t) for i, t in chosen if i % 2 == parity]
    if args.max_writes is not None:
        tool_request = load_tool_request()
        chosen = [
            (i, t)
            for i, t in chosen
            if len(gold_writes(tool_request, domain, t.get("actions", []))) <= args.max_writes
        ]
    return chosen[: args.limit] if args.limit else chosen


async def build_bench(domain: str) -> Bench:
    """The runtime (built once per split) and the back offices every task reuses."""
    app = reference_backoffice()
    recorder = RecordingTransport(httpx.ASGITransport(app=app))
    settings = get_settings(
        database_url="sqlite+aiosqlite:///:memory:",
        packs=[str(PACKS / f"{domain}.yaml")],
        default_pack=domain,
        backoffice_url="http://reference-backoffice",
        account_ttl_s=0,
    )
    runtime = await Runtime.build(settings, transport=recorder)
    users = load_table(domain, "users")
    orders = load_table(domain, "orders") if domain == "retail" else {}
    gold = GoldBackOffice(load_tool_request())
    return Bench(runtime, domain, app, recorder, gold, users, orders)


async def run(args: argparse.Namespace) -> list[Played]:
    domain = args.split.split("_")[0]
    if domain not in TABLES:
        raise SystemExit(f"unknown domain of split {args.split!r}")
    chosen = select(load_tasks(args.datasets, args.split), args, domain)
    bench = await build_bench(domain)
    results = []
    try:
        for index, task in chosen:
            played = await play(bench, index, task)
            results.append(played)
            mark = "reached" if played.reached else f"not reached ({played.category})"
            print(f"task {index}: {played.operation}: {mark}, {played.turns} turns", flush=True)
            if args.transcripts:
                write_transcript(args.transcripts, args.split, played, task)
    finally:
        await bench.gold.aclose()
        await bench.runtime.aclose()
    return results


def write_transcript(folder: Path, split: str, played: Played, task: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"task {played.index} of {split}: {played.operation}",
        f"instruction: {task['instruction']}",
        f"reached: {played.reached} (state matches: {played.state_matches}, "
        f"missing outputs: {played.missing_outputs}) category: {played.category}",
        f"wrong writes: {played.wrong}",
        "",
        *played.transcript,
    ]
    (folder / f"{split}_{played.index:03d}.txt").write_text("\n".join(lines) + "\n", "utf-8")


def summary(split: str, results: list[Played]) -> dict[str, Any]:
    """The split's figures."""
    n = len(results)
    reached = sum(p.reached for p in results)
    turns = [p.turns for p in results] or [0]
    per_op: dict[str, list[bool]] = defaultdict(list)
    for p in results:
        per_op[p.operation].append(p.reached)
    return {
        "split": split,
        "tasks": n,
        "goals_reached": reached,
        "goals_reached_pct": round(100.0 * reached / n, 1) if n else 0.0,
        "wrong_writes": sum(len(p.wrong) for p in results),
        "wrong_write_tasks": [p.index for p in results if p.wrong],
        "escalations": sum(p.escalated for p in results),
        "mean_turns": round(statistics.mean(turns), 2),
        "median_turns": statistics.median(turns),
        "per_operation": {
            op: {"tasks": len(v), "reached": sum(v), "pct": round(100.0 * sum(v) / len(v), 1)}
            for op, v in sorted(per_op.items())
        },
        "failure_categories": dict(
            Counter(p.category for p in results if p.category).most_common()
        ),
    }


def print_summary(figures: dict[str, Any]) -> None:
    print(f"\n{figures['split']}: {figures['tasks']} tasks")
    print(f"  goals reached   {figures['goals_reached']} ({figures['goals_reached_pct']} %)")
    print(f"  wrong writes    {figures['wrong_writes']} in tasks {figures['wrong_write_tasks']}")
    print(f"  escalations     {figures['escalations']}")
    print(f"  turns per task  mean {figures['mean_turns']}, median {figures['median_turns']}")
    print("  per gold operation:")
    for op, row in figures["per_operation"].items():
        print(f"    {op:40s} {row['reached']}/{row['tasks']} ({row['pct']} %)")
    print(f"  not reached, by cause: {figures['failure_categories']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", required=True, help="retail_train, retail_dev, airline_test...")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--max-writes", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--task", type=int, default=None, help="only the task of this index")
    parser.add_argument(
        "--tasks",
        choices=["all", "even", "odd"],
        default="all",
        help="only the tasks of even (or odd) index: a set's halves, one to develop on",
    )
    parser.add_argument("--transcripts", type=Path, default=None, help="a folder for them")
    parser.add_argument("--json", type=Path, default=None, help="figures and per-task results")
    args = parser.parse_args()
    try:
        results = asyncio.run(run(args))
    except GoldReplayUnavailable as exc:
        raise SystemExit(f"error: {exc}") from None
    figures = summary(args.split, results)
    print_summary(figures)
    if args.json:
        tasks = [{k: v for k, v in asdict(p).items() if k != "transcript"} for p in results]
        args.json.write_text(json.dumps({**figures, "results": tasks}, indent=1) + "\n")


if __name__ == "__main__":
    main()
