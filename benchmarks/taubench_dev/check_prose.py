"""Checks the prose retail sets, ``retail_prose.json`` and ``retail_heldout.json``.

A task drawn from ``retail_train`` (``"source": "retail_train[<i>]"``) must keep its source
task's facts (``user_id``, ``actions``, ``outputs``) and its identity and persona sentences, and
its source may be used by no other task of this set or of another set beside it. A task written
from the back office's data (``"source": "data"``) must name its customer as the profile does
(name and zip code, or email), have a persona sentence, and hold to the retail policy: each gold
call is replayed on a fresh reference back office and must be answered, an item changes to
another option than its own, an address changes to another address, and a task without a write
states in ``outputs`` facts the gold reads return (or the total paid for the orders it reads).

Every task makes at most one write, replays its gold calls without a refusal, and names only
facts the gold agrees with: an order number (whole or by its last digits) is the gold order, a
card's last four digits are the gold payment's, an address written to is spelled out, and no
templated form (``{'color': ...}``, ``via credit_card_...``) is left. Exits 1 on a failure::

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python benchmarks/taubench_dev/check_prose.py
    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python benchmarks/taubench_dev/check_prose.py \
        --set retail_heldout
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

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from taubench_kit.replay import GoldBackOffice, gold_writes  # noqa: E402
from taubench_kit.scoring import load_tool_request  # noqa: E402

from warmline.demo.backoffice.app import create_app  # noqa: E402
from warmline.demo.backoffice.store import load_table  # noqa: E402

DATASETS = HERE.parents[2] / "shared" / "datasets"
KEYS = {"source", "user_id", "instruction", "actions", "outputs"}
SOURCE = re.compile(r"retail_train\[(\d+)\]")
DATA = "data"
ADDRESS_WRITES = {"modify_pending_order_address", "modify_user_address"}
SWAP_WRITES = {"exchange_delivered_order_items", "modify_pending_order_items"}
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


def payment_problems(task: dict[str, Any], user: dict[str, Any]) -> list[str]:
    """The payment the gold uses is named in the prose: a card by its brand and last four
    digits, PayPal or the gift card by name."""
    text = task["instruction"].lower()
    problems = []
    for method_id in sorted(gold_kwargs(task, "payment_method_id")):
        method = user["payment_methods"].get(method_id, {})
        if method.get("source") == "credit_card":
            last_four = re.search(rf"\bending in {method['last_four']}\b", text)
            named = method["brand"] in text and last_four is not None
        else:
            word = {"paypal": "paypal", "gift_card": "gift card"}.get(method.get("source"), "?")
            named = word in text
        if not named:
            problems.append(f"the prose does not name the gold payment {method_id}")
    return problems


def address_problems(task: dict[str, Any]) -> list[str]:
    """An address the gold writes must be spelled out in the prose (street and zip code)."""
    text = task["instruction"]
    return [
        f"the prose does not state the gold address {a['kwargs']['address1']!r}, "
        f"{a['kwargs']['zip']}"
        for a in task["actions"]
        if a["name"] in ADDRESS_WRITES
        and (a["kwargs"]["address1"] not in text or a["kwargs"]["zip"] not in text)
    ]


def identity_problems(task: dict[str, Any], user: dict[str, Any]) -> list[str]:
    """A task written from the data names its customer as the profile holds them."""
    name = f"Your name is {user['name']['first_name']} {user['name']['last_name']}"
    by_zip = f"{name} and your zip code is {user['address']['zip']}."
    by_email = f"{name} and your email is {user['email']}."
    text = task["instruction"]
    problems = []
    if not (text.startswith(by_zip) or text.startswith(by_email)):
        problems.append("identity sentence is not the profile's name with its zip code or email")
    if " You are " not in text:
        problems.append("no persona sentence ('You are ...')")
    return problems


def source_problems(task: dict[str, Any], train: list[dict[str, Any]]) -> list[str]:
    """A task drawn from retail_train keeps its source's facts and sentences."""
    match = SOURCE.fullmatch(task["source"])
    if not match or int(match[1]) >= len(train):
        return [f"source {task['source']!r} is neither 'data' nor a retail_train index"]
    source = train[int(match[1])]
    problems = [
        f"{key} differs from the source's"
        for key in ("user_id", "actions", "outputs")
        if task[key] != source[key]
    ]
    if preamble(task["instruction"]) != preamble(source["instruction"]):
        problems.append("identity or persona sentence differs from the source's")
    return problems


def task_problems(
    task: dict[str, Any], train: list[dict[str, Any]], users: dict[str, Any]
) -> list[str]:
    """Everything wrong with one task, without the gold replay."""
    if set(task) != KEYS:
        return [f"keys {sorted(task)} are not {sorted(KEYS)}"]
    user = users.get(task["user_id"])
    if user is None:
        return [f"unknown user {task['user_id']}"]
    if task["source"] == DATA:
        problems = identity_problems(task, user)
    else:
        problems = source_problems(task, train)
    writes = gold_writes(load_tool_request(), "retail", task["actions"])
    if len(writes) > 1:
        problems.append(f"{len(writes)} writes: {writes}")
    problems += payment_problems(task, user) + address_problems(task)
    return problems + fact_problems(task, user)


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


def change_problems(action: dict[str, Any], before: dict[str, Any]) -> list[str]:
    """A gold write that changes nothing the policy lets it change: an item swapped for its own
    option, an address set to the one it already is."""
    kwargs = action["kwargs"]
    if action["name"] in SWAP_WRITES:
        return [
            f"item {old} is 'changed' to itself"
            for old, new in zip(kwargs["item_ids"], kwargs["new_item_ids"], strict=True)
            if old == new
        ]
    if action["name"] in ADDRESS_WRITES:
        wanted = {k: kwargs[k] for k in before["address"]}
        if wanted == before["address"]:
            return ["the new address is the one already there"]
    return []


def stated_problems(task: dict[str, Any], answers: list[Any]) -> list[str]:
    """A task without a write must state facts its gold reads return, or the total paid for
    the orders it reads."""
    if not task["outputs"]:
        return ["a task without a write states nothing in 'outputs'"]
    read = json.dumps(answers)
    paid = sum(
        p["amount"]
        for a in answers
        if "order_id" in a and "payment_history" in a
        for p in a["payment_history"]
        if p["transaction_type"] == "payment"
    )
    return [
        f"output {output!r} is in no gold read and is not the total paid ({paid:.2f})"
        for output in task["outputs"]
        if output not in read and output != f"{paid:.2f}"
    ]


async def data_problems(client: httpx.AsyncClient, task: dict[str, Any]) -> list[str]:
    """A task written from the data, replayed call by call on a fresh back office with the
    policy's rules: every call answered, every write a real change, the outputs grounded."""
    await client.post("/_admin/reset")
    tool_request = load_tool_request()
    problems: list[str] = []
    answers: list[Any] = []
    writes = 0
    for action in task["actions"]:
        request = tool_request("retail", action["name"], action.get("kwargs", {}))
        if request is None:
            continue
        method, path, body = request
        if method != "GET":
            writes += 1
            before = (await client.get(path.rsplit("/", 1)[0])).json()
            problems += change_problems(action, before)
        answer = await client.request(method, path, json=body)
        if answer.status_code >= 400:
            problems.append(f"the back office refuses {action['name']}: {answer.text}")
        elif method == "GET":
            answers.append(answer.json())
    if not writes:
        problems += stated_problems(task, answers)
    return problems


async def policy_problems(tasks: list[dict[str, Any]]) -> dict[int, list[str]]:
    """Per task index, what the policy replay finds wrong with the tasks written from data."""
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app()), base_url="http://policy-backoffice"
    )
    found: dict[int, list[str]] = {}
    try:
        for index, task in enumerate(tasks):
            if task.get("source") == DATA:
                found[index] = await data_problems(client, task)
    finally:
        await client.aclose()
    return found


def sources_elsewhere(path: Path) -> set[str]:
    """The retail_train sources used by this folder's sets other than the one named as
    ``path`` is (a copy of a set elsewhere is checked against the others here)."""
    used: set[str] = set()
    for other in sorted(HERE.glob("retail_*.json")):
        if other.name != path.name:
            used |= {t.get("source", "") for t in json.loads(other.read_text())}
    return used - {DATA}


def reuse_problems(tasks: list[dict[str, Any]], path: Path) -> list[str]:
    """A retail_train source used twice in the set, or already used by another set."""
    sources = Counter(t.get("source") for t in tasks if t.get("source") != DATA)
    elsewhere = sources_elsewhere(path)
    return [f"{s} is used {n} times" for s, n in sources.items() if n > 1] + [
        f"{s} is already used by another set" for s in sources if s in elsewhere
    ]


def check(path: Path, datasets: Path) -> int:
    tasks: list[dict[str, Any]] = json.loads(path.read_text())
    train = json.loads((datasets / "taubench" / "retail_train.json").read_text())
    users = load_table("retail", "users")
    problems = {i: task_problems(t, train, users) for i, t in enumerate(tasks)}
    for found in (asyncio.run(replay_problems(tasks)), asyncio.run(policy_problems(tasks))):
        for index, more in found.items():
            problems[index] += more
    problems[0] += reuse_problems(tasks, path)
    tool_request = load_tool_request()
    operations = Counter(
        "+".join(gold_writes(tool_request, "retail", t["actions"])) or "(no write)" for t in tasks
    )
    failed = {i: p for i, p in problems.items() if p}
    for index, found_problems in sorted(failed.items()):
        for problem in found_problems:
            print(f"task {index} ({tasks[index].get('source')}): {problem}")
    print(f"{path.name}: {len(tasks)} tasks, {len(failed)} with problems")
    for operation, count in operations.most_common():
        print(f"  {operation:35s} {count}")
    return 1 if failed else 0


def set_path(value: str) -> Path:
    """``--set`` takes a file or the name of a set in this folder (``retail_heldout``)."""
    named = HERE / f"{value}.json"
    return named if not value.endswith(".json") and named.exists() else Path(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=set_path, default=HERE / "retail_prose.json")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    args = parser.parse_args()
    raise SystemExit(check(args.set, args.datasets))


if __name__ == "__main__":
    main()
