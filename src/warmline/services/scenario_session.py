"""Builds the in-process runtime the scenario runner uses: an in-memory database, the packs
the scenario files name, and a back office reached by URL or an in-process transport."""

from __future__ import annotations

from pathlib import Path

import httpx

from warmline.services.runtime import Runtime
from warmline.services.scenarios import ScenarioFile, ScenarioResult, load_scenarios, run_scenario
from warmline.settings import get_settings


def scenario_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.yaml")) + sorted(path.rglob("*.yml")))
        else:
            files.append(path)
    return files


async def run_paths(
    paths: list[Path],
    *,
    backoffice_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    runtime: Runtime | None = None,
) -> list[ScenarioResult]:
    """Run every scenario of ``paths``. Without ``runtime``, build one on an in-memory database
    that reaches the back office at ``backoffice_url`` or through ``transport``."""
    loaded: list[tuple[Path, ScenarioFile]] = [
        (p, load_scenarios(p)) for p in scenario_files(paths)
    ]
    own = runtime is None
    if runtime is None:
        packs = sorted(
            {s.pack or f.pack for _, f in loaded for s in f.scenarios} | {f.pack for _, f in loaded}
        )
        settings = get_settings(
            database_url="sqlite+aiosqlite:///:memory:",
            packs=packs,
            default_pack=Path(packs[0]).stem,
            backoffice_url=backoffice_url or "http://reference-backoffice",
        )
        runtime = await Runtime.build(settings, transport=transport)
    try:
        results: list[ScenarioResult] = []
        for path, file in loaded:
            for scenario in file.scenarios:
                results.append(await run_scenario(runtime, file, scenario, str(path)))
        return results
    finally:
        if own:
            await runtime.aclose()
