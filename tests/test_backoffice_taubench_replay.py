"""Every gold tool call of the tau-bench retail train and dev tasks is allowed by the rules.

Each task's gold calls are replayed, through ``tool_request`` and over HTTP, on one back office
reset (``POST /_admin/reset``) before every task, so each task starts from the shipped data; none
may be refused, except where tau-bench's own tool refuses it too: some synthetic tasks pay with
a gift card whose balance is short of the amount, which its tools answer with "Error:
insufficient gift card balance". Covers every task of both splits (a reset costs nothing: the
store's tables are copy-on-access views of the shipped data). Skipped when the tau-bench task
files are not on this machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from warmline.demo.backoffice import create_app
from warmline.demo.backoffice.taubench_tools import tool_request

DATASETS = Path("/work/shared/datasets/taubench")
SPLITS = ("retail_train.json", "retail_dev.json")

pytestmark = pytest.mark.skipif(
    not all((DATASETS / s).is_file() for s in SPLITS), reason="tau-bench task files absent"
)


def _tasks(split: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = json.loads((DATASETS / split).read_text())
    return tasks


def _short_gift_card(action: dict[str, Any], response: httpx.Response) -> bool:
    """A refusal tau-bench's tool makes as well: a gift card short of the amount to pay."""
    method = str(action["kwargs"].get("payment_method_id", ""))
    return (
        response.status_code == 409
        and response.json()["rule"] == "insufficient_balance"
        and method.startswith("gift_card_")
    )


async def _replay(client: httpx.AsyncClient, task: dict[str, Any]) -> list[str]:
    """The refused calls of one task, from the shipped data, as readable lines."""
    assert (await client.post("/_admin/reset")).status_code == 200
    refused: list[str] = []
    for action in task["actions"]:
        request = tool_request("retail", action["name"], action["kwargs"])
        if request is None:
            continue
        method, path, body = request
        response = await client.request(method, path, json=body)
        if response.status_code < 300 or _short_gift_card(action, response):
            continue
        refused.append(f"{action['name']} {action['kwargs']}: {response.text}")
    return refused


@pytest.mark.parametrize("split", SPLITS)
async def test_every_gold_call_is_allowed(split: str) -> None:
    refusals = []
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://backoffice") as client:
        for index, task in enumerate(_tasks(split)):
            refusals += [f"task {index}: {line}" for line in await _replay(client, task)]
    assert not refusals, "\n".join(refusals[:20])


async def test_reset_between_tasks_restores_the_shipped_data() -> None:
    """The replay's premise: a write of one task is gone after the reset before the next."""
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://backoffice") as client:
        path = "/retail/orders/%23W5918442"
        cancel = await client.post(f"{path}/cancel", json={"reason": "no longer needed"})
        assert cancel.json()["status"] == "cancelled"
        await client.post("/_admin/reset")
        assert (await client.get(path)).json()["status"] == "pending"
