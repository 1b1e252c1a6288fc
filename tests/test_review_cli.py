"""``warmline review collect`` and ``warmline review list`` over a seeded database: the
first collection finds the turns worth a label, a second adds nothing, the list is the queue
by value (JSON or a table) or the misclassification log, and a bad option exits 2."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warmline.cli import app as cli
from warmline.storage.database import create_engine
from warmline.storage.migrate import upgrade

from .test_learning import seed, seeded


def test_the_command_line_collects_and_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/review.db"
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)

    async def prepare() -> None:
        made = create_engine(url)
        await upgrade(made)
        await seed(made, seeded())
        await made.dispose()

    asyncio.run(prepare())
    runner = CliRunner()
    first = runner.invoke(cli, ["review", "collect"])
    assert first.exit_code == 0 and "5 new items from 7 conversations" in first.output
    assert "0 new items" in runner.invoke(cli, ["review", "collect"]).output
    listed = runner.invoke(cli, ["review", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    order = ["corrected", "thumbs", "unsure", "correction", "low"]
    assert [i["conversation_id"] for i in json.loads(listed.output)] == order
    log = runner.invoke(cli, ["review", "list", "--view", "log", "--format", "json"])
    (corrected,) = json.loads(log.output)
    assert corrected["suggested"] == "refund" and corrected["predicted"] == "baggage"
    table = runner.invoke(cli, ["review", "list", "--limit", "2"])
    assert "corrected" in table.output and "thumbs_down" in table.output
    bad = runner.invoke(cli, ["review", "list", "--view", "everything"])
    assert bad.exit_code == 2
