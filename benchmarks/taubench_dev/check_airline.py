"""Checks an airline task set: the development set ``airline_dev.json`` or the held-out set
``airline_heldout.json`` (``--set``).

Every task has the keys of a tau-bench task plus ``source``, an instruction that names the
customer's user id and date of birth as the profile holds them, at most one write, and gold
calls that replay on the reference back office without a refusal (with tau-bench's tool
checks). Each write is also replayed with every rule of the airline policy (no ``?checks=tool``)
and must be allowed; a compensation certificate must be one the policy grants: some
reservation of the customer has a cancelled or delayed flight whose certificate, priced by the
back office, is the gold amount. Card endings the instruction names belong to the customer.
A held-out set also shares no customer with the development set. Exits 1 on a failure::

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python benchmarks/taubench_dev/check_airline.py
    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python benchmarks/taubench_dev/check_airline.py \
        --set airline_heldout
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
from warmline.demo.backoffice.taubench_tools import TOOL_CHECKS  # noqa: E402

KEYS = {"source", "user_id", "instruction", "actions", "outputs"}
DEV_SET = "airline_dev"
#: Each set's ``source`` field: both sets were written from the back office's data and policy.
SOURCES = {DEV_SET: "written from the airline back office", "airline_heldout": "data"}
CARD = re.compile(r"\b(visa|mastercard)\b[^.]*?\bending in (\d{4})", re.I)


def static_problems(task: dict[str, Any], users: dict[str, Any], source: str) -> list[str]:
    """What is wrong with a task without replaying it."""
    problems = []
    if set(task) != KEYS:
        problems.append(f"keys {sorted(task)}")
    if task.get("source") != source:
        problems.append("source")
    user = users.get(task["user_id"])
    if user is None:
        return [*problems, f"unknown user {task['user_id']}"]
    text = task["instruction"]
    if f"Your user id is {task['user_id']}" not in text or user["dob"] not in text:
        problems.append("identity sentence")
    cards = {
        (m.get("brand", ""), str(m.get("last_four", "")))
        for m in user["payment_methods"].values()
        if m["source"] == "credit_card"
    }
    for brand, last in CARD.findall(text):
        if (brand.lower(), last) not in cards:
            problems.append(f"card {brand} {last} is not the customer's")
    return problems


async def policy_problems(
    client: httpx.AsyncClient, tool_request: Any, task: dict[str, Any]
) -> list[str]:
    """Each gold write replayed with every rule of the policy, on a fresh back office."""
    await client.post("/_admin/reset")
    problems = []
    for action in task["actions"]:
        request = tool_request("airline", action["name"], action.get("kwargs", {}))
        if request is None or request[0] == "GET":
            continue
        method, path, body = request
        if action["name"] == "send_certificate":
            problems += await compensation_problems(client, task["user_id"], body["amount"])
            continue
        response = await client.request(method, path.replace(TOOL_CHECKS, ""), json=body)
        if response.status_code >= 400:
            problems.append(f"policy refuses {action['name']}: {response.text}")
    return problems


async def compensation_problems(client: httpx.AsyncClient, user_id: str, amount: int) -> list[str]:
    user = (await client.get(f"/airline/users/{user_id}")).json()
    for reservation_id in user["reservations"]:
        path = f"/airline/reservations/{reservation_id}/disruptions"
        for flight in (await client.get(path)).json()["flights"]:
            if flight["status"] not in ("cancelled", "delayed"):
                continue
            body = {"reservation_id": reservation_id, "flight_number": flight["flight_number"]}
            answer = await client.post(
                f"/airline/users/{user_id}/certificates?dry_run=true", json=body
            )
            if answer.status_code < 400 and answer.json()["summary"]["amount"] == amount:
                return []
    return [f"the policy grants {user_id} no certificate of ${amount}"]


def load_set(name: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = json.loads((HERE / f"{name}.json").read_text())
    return tasks


def developed_customers(name: str) -> set[str]:
    """The customers a set must not have: a held-out set shares none with the development set."""
    return set() if name == DEV_SET else {task["user_id"] for task in load_set(DEV_SET)}


async def check(tasks: list[dict[str, Any]], name: str = DEV_SET) -> int:
    users = load_table("airline", "users")
    tool_request = load_tool_request()
    gold = GoldBackOffice(tool_request)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app()), base_url="http://policy-backoffice"
    )
    developed = developed_customers(name)
    failures = 0
    operations: Counter[str] = Counter()
    try:
        for index, task in enumerate(tasks):
            problems = static_problems(task, users, SOURCES[name])
            if task["user_id"] in developed:
                problems.append(f"customer {task['user_id']} is in {DEV_SET}")
            writes = gold_writes(tool_request, "airline", task["actions"])
            operations["+".join(writes) or "(no write)"] += 1
            if len(writes) > 1:
                problems.append(f"{len(writes)} writes")
            replay = await gold.replay("airline", task["actions"])
            problems += [f"gold replay refused: {f}" for f in replay.failed]
            problems += await policy_problems(client, tool_request, task)
            for problem in problems:
                print(f"task {index}: {problem}")
            failures += bool(problems)
    finally:
        await gold.aclose()
        await client.aclose()
    print(f"{len(tasks)} tasks, {failures} with problems; per operation: {dict(operations)}")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", dest="name", choices=sorted(SOURCES), default=DEV_SET)
    parser.add_argument("--tasks", type=Path, help="a file of the set's tasks (default: the set's)")
    args = parser.parse_args()
    tasks = json.loads(args.tasks.read_text()) if args.tasks else load_set(args.name)
    raise SystemExit(asyncio.run(check(tasks, args.name)))


if __name__ == "__main__":
    main()
