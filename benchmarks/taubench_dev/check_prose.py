"""Checks the prose development set ``retail_prose.json`` against the tasks it was written from.

Every task must keep its source task's facts (``user_id``, ``actions``, ``outputs``) and its
identity and persona sentences, make at most one write, replay its gold calls on the reference
back office without a refusal, and name only facts the gold agrees with: an order number (whole
or by its last digits) is the gold order, a card's last four digits are the gold payment's, and
no templated form (``{'color': ...}``, ``via credit_card_...``) is left. Exits 1 on a failure::

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python benchmarks/taubench_dev/check_prose.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from taubench_kit.replay import GoldBackOffice, gold_writes  # noqa: E402
from taubench_kit.scoring import load_tool_request  # noqa: E402

from warmline.demo.backoffice.store import load_table  # noqa: E402

DATASETS = HERE.parents[2] / "shared" / "datasets"
KEYS = {"source", "user_id", "instruction", "actions", "outputs"}
SOURCE = re.compile(r"retail_train\[(\d+)\]")
TEMPLATED = re.compile(
    r"\{'|\bvia (?:credit_card|paypal|gift_card)_|\b(?:credit_card|paypal|gift_card)_\d"
)
ORDER = re.compile(r"#W\d{7}")
ENDS_IN = re.compile(r"\bends in (\d+)")
CARD = re.compile(r"\b(visa|mastercard)\b[^.]*?\bending in (\d{4})", re.I)


def preamble(instruction: str) -> str:
    """The identity and persona sentences: everything before the request."""
    start = instruction.index(" You are ") + 1
    end = instruction.index(". ", start) + 1
    return instruction[:end]


def gold_kwargs(task: dict[str, Any], key: str) -> set[str]:
    return {str(a["kwargs"][key]) for a in task["actions"] if key in a.get("kwargs", {})}


def fact_problems(task: dict[str, Any], user: dict[str, Any]) -> list[str]:
    """What the prose states that the gold calls do not bear out."""
    text = task["instruction"]
    problems = []
    orders = gold_kwargs(task, "order_id")
    if TEMPLATED.search(text):
        problems.append("templated form left in the instruction")
    for named in ORDER.findall(text):
        if named not in orders:
            problems.append(f"names order {named}, gold acts on {sorted(orders)}")
    for digits in ENDS_IN.findall(text):
        held = [o for o in user["orders"] if o.endswith(digits)]
        if len(held) != 1 or held[0] not in orders:
            problems.append(f"'ends in {digits}' matches {held}, gold acts on {sorted(orders)}")
    payments = gold_kwargs(task, "payment_method_id")
    for brand, last_four in CARD.findall(text):
        cards = [
            pid
            for pid, m in user["payment_methods"].items()
            if m.get("brand", "").lower() == brand.lower() and m.get("last_four") == last_four
        ]
        if not cards or cards[0] not in payments:
            problems.append(f"{brand} ending in {last_four} is not the gold payment {payments}")
    return problems


def task_problems(
    task: dict[str, Any], train: list[dict[str, Any]], users: dict[str, Any]
) -> list[str]:
    """Everything wrong with one task, without the gold replay."""
    if set(task) != KEYS:
        return [f"keys {sorted(task)} are not {sorted(KEYS)}"]
    match = SOURCE.fullmatch(task["source"])
    if not match or int(match[1]) >= len(train):
        return [f"source {task['source']!r} is not a retail_train index"]
    source = train[int(match[1])]
    problems = [
        f"{key} differs from the source's"
        for key in ("user_id", "actions", "outputs")
        if task[key] != source[key]
    ]
    if preamble(task["instruction"]) != preamble(source["instruction"]):
        problems.append("identity or persona sentence differs from the source's")
    writes = gold_writes(load_tool_request(), "retail", task["actions"])
    if len(writes) > 1:
        problems.append(f"{len(writes)} writes: {writes}")
    return problems + fact_problems(task, users[task["user_id"]])


async def replay_problems(tasks: list[dict[str, Any]]) -> dict[int, list[str]]:
    """Per task index, the gold calls the reference back office refused."""
    gold = GoldBackOffice(load_tool_request())
    refused: dict[int, list[str]] = {}
    try:
        for index, task in enumerate(tasks):
            replay = await gold.replay("retail", task["actions"])
            if replay.failed:
                refused[index] = [f"gold replay refused: {f}" for f in replay.failed]
    finally:
        await gold.aclose()
    return refused


def check(path: Path, datasets: Path) -> int:
    tasks: list[dict[str, Any]] = json.loads(path.read_text())
    train = json.loads((datasets / "taubench" / "retail_train.json").read_text())
    users = load_table("retail", "users")
    problems = {i: task_problems(t, train, users) for i, t in enumerate(tasks)}
    for index, refused in asyncio.run(replay_problems(tasks)).items():
        problems[index] += refused
    sources = Counter(t.get("source") for t in tasks)
    for source, count in sources.items():
        if count > 1:
            problems[0].append(f"{source} is used {count} times")
    tool_request = load_tool_request()
    operations = Counter(
        "+".join(gold_writes(tool_request, "retail", t["actions"])) or "(no write)" for t in tasks
    )
    failed = {i: p for i, p in problems.items() if p}
    for index, found in sorted(failed.items()):
        for problem in found:
            print(f"task {index} ({tasks[index].get('source')}): {problem}")
    print(f"{path.name}: {len(tasks)} tasks, {len(failed)} with problems")
    for operation, count in operations.most_common():
        print(f"  {operation:35s} {count}")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=HERE / "retail_prose.json")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    args = parser.parse_args()
    raise SystemExit(check(args.set, args.datasets))


if __name__ == "__main__":
    main()
