"""Run the scenario files and write each conversation's event log *in kind* (the event kinds, each
decision's kind, reason codes and trigger, each escalation's trigger and reasons, each reply's
text) as JSON, so that a refactoring can show the product decides and says the same things::

    .venv/bin/python scripts/scenario_event_log.py before.json      # on the old commit
    .venv/bin/python scripts/scenario_event_log.py after.json       # on the new one
    cmp before.json after.json

The conversation service's ids are numbered instead of random, so both runs put each conversation
in the same experiment arms. The reference back office runs in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from warmline.demo.backoffice.app import create_app as reference_backoffice
from warmline.domain.events import Event
from warmline.services import conversations
from warmline.services.runtime import Runtime
from warmline.services.scenario_session import scenario_files
from warmline.services.scenarios import load_scenarios, run_scenario
from warmline.settings import get_settings

ISSUED: list[uuid.UUID] = []


def _numbered_id() -> uuid.UUID:
    ISSUED.append(uuid.UUID(int=len(ISSUED) + 1))
    return ISSUED[-1]


def in_kind(event: Event) -> dict[str, Any]:
    """What of an event a refactoring must keep."""
    shown: dict[str, Any] = {"kind": event.kind}
    if event.kind == "decided":
        decision = event.decision
        shown.update(
            decision=decision.kind,
            codes=decision.reason_codes(),
            escalation=decision.escalation,
        )
    elif event.kind == "escalated":
        shown.update(trigger=event.trigger, codes=[r.code for r in event.reasons])
    elif event.kind == "bot_replied":
        shown["text"] = event.text
    return shown


async def run(folder: Path) -> dict[str, Any]:
    # Builds its runtime as services/scenario_session.py does, by hand on purpose: the script
    # must also run against older checkouts (PYTHONPATH=<checkout>/src) to compare with them.
    loaded = [(path, load_scenarios(path)) for path in scenario_files([folder])]
    packs = sorted(
        {s.pack or f.pack for _, f in loaded for s in f.scenarios} | {f.pack for _, f in loaded}
    )
    settings = get_settings(
        database_url="sqlite+aiosqlite:///:memory:",
        packs=packs,
        default_pack=Path(packs[0]).stem,
        backoffice_url="http://reference-backoffice",
    )
    runtime = await Runtime.build(
        settings, transport=httpx.ASGITransport(app=reference_backoffice())
    )
    logs: dict[str, Any] = {}
    try:
        for path, file in loaded:
            for scenario in file.scenarios:
                before = len(ISSUED)
                result = await run_scenario(runtime, file, scenario, str(path))
                logs[f"{path.name}::{scenario.name}"] = {
                    "passed": result.passed,
                    "conversations": [
                        [in_kind(e) for e in await runtime.repository.events(str(cid))]
                        for cid in ISSUED[before:]
                    ],
                }
    finally:
        await runtime.aclose()
    return logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the JSON file to write")
    parser.add_argument("--scenarios", type=Path, default=Path("tests/scenarios"))
    args = parser.parse_args()
    # only the conversation service's ids are numbered: nothing else shifts them
    conversations.uuid = SimpleNamespace(uuid4=_numbered_id)  # type: ignore[attr-defined]
    logs = asyncio.run(run(args.scenarios))
    args.out.write_text(json.dumps(logs, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"{len(logs)} scenarios written to {args.out}")


if __name__ == "__main__":
    main()
