"""``warmline report --by`` a dimension no conversation of the period has: an error naming
the dimensions there (register and dialect among them), exit status 2; ``--by dialect``
reports the groups the customers' words gave."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warmline.cli import app
from warmline.services.analytics import Analytics
from warmline.storage.analytics import AnalyticsRepository
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade

from .test_analytics import RULES, T0
from .test_register_analytics import LOGS

runner = CliRunner()


def test_the_command_line_says_which_dimensions_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/analytics.db"

    async def seed() -> None:
        engine = create_engine(url)
        await upgrade(engine)
        repo = ConversationRepository(session_factory(engine), single_writer=True)
        repo.after_append = Analytics(AnalyticsRepository(engine), RULES).on_append
        for cid, log in LOGS.items():
            await repo.create(cid, "retail", None, "web", log, T0)
        await engine.dispose()

    asyncio.run(seed())
    monkeypatch.setenv("WARMLINE_DATABASE_URL", url)
    since = (T0 - timedelta(days=1)).date().isoformat()
    bad = runner.invoke(app, ["report", "--since", since, "--by", "tire"])
    assert bad.exit_code == 2 and "no conversation" in bad.output and "dialect" in bad.output
    good = runner.invoke(app, ["report", "--since", since, "--by", "dialect", "--format", "json"])
    assert good.exit_code == 0, good.output
    assert {row["group"] for row in json.loads(good.output)} == {
        "aae",
        "standard",
        "indian_english",
        "(none)",
    }
