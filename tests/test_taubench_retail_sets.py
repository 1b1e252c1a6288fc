"""The project's retail prose sets (benchmarks/taubench_dev/retail_prose.json and
retail_heldout.json): their gold calls replay on the reference back office, hold to the retail
policy and agree with what the prose says; their check refuses a task that does not."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks" / "taubench_dev"))

import check_prose

HERE = check_prose.HERE
HELDOUT = json.loads((HERE / "retail_heldout.json").read_text())

pytestmark = pytest.mark.skipif(
    not (check_prose.DATASETS / "taubench" / "retail_train.json").exists(),
    reason="the tau-bench task files are not here",
)


def check_copy(tmp_path: Path, tasks: list[dict[str, Any]]) -> int:
    """Checks ``tasks`` as the held-out set (against the other sets of the folder)."""
    path = tmp_path / "retail_heldout.json"
    path.write_text(json.dumps(tasks))
    return check_prose.check(path, check_prose.DATASETS)


def data_task(write: str) -> dict[str, Any]:
    return copy.deepcopy(
        next(t for t in HELDOUT if t["source"] == "data" and t["actions"][-1]["name"] == write)
    )


@pytest.mark.parametrize("name", ["retail_prose", "retail_heldout"])
def test_the_retail_sets_replay_and_agree_with_their_prose(name: str) -> None:
    assert check_prose.check(HERE / f"{name}.json", check_prose.DATASETS) == 0


def test_the_held_out_set_has_every_kind_of_request_and_no_source_of_the_prose_set() -> None:
    prose = {t["source"] for t in json.loads((HERE / "retail_prose.json").read_text())}
    drawn = [t["source"] for t in HELDOUT if t["source"] != "data"]
    assert len(HELDOUT) == 60 and len(drawn) == 40
    assert not prose & set(drawn)
    kinds = {t["actions"][-1]["name"] if t["outputs"] == [] else "question" for t in HELDOUT}
    assert {"modify_user_address", "modify_pending_order_payment", "question"} <= kinds


def test_an_item_changed_to_itself_is_refused(tmp_path: Path) -> None:
    task = data_task("exchange_delivered_order_items")
    kwargs = task["actions"][0]["kwargs"]
    kwargs["new_item_ids"] = list(kwargs["item_ids"])
    assert check_copy(tmp_path, [task]) == 1


def test_an_output_no_gold_read_bears_out_is_refused(tmp_path: Path) -> None:
    task = copy.deepcopy(next(t for t in HELDOUT if t["outputs"]))
    assert check_copy(tmp_path, [task]) == 0
    task["outputs"] = ["12345.67"]
    assert check_copy(tmp_path, [task]) == 1


def test_a_payment_the_prose_does_not_name_is_refused(tmp_path: Path) -> None:
    task = copy.deepcopy(
        next(
            t
            for t in HELDOUT
            if t["actions"]
            and t["actions"][-1]["kwargs"].get("payment_method_id", "")[:6] == "paypal"
        )
    )
    assert check_copy(tmp_path, [task]) == 0
    task["instruction"] = task["instruction"].replace("PayPal", "a card")
    assert check_copy(tmp_path, [task]) == 1


def test_a_source_another_set_uses_is_refused(tmp_path: Path) -> None:
    prose = json.loads((HERE / "retail_prose.json").read_text())
    assert check_copy(tmp_path, prose[:1]) == 1
