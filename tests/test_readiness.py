"""Ready means ready: every model is loaded before the server says it can serve, so the first
turns after a start cost what any turn costs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from .conftest import MINI_PACK
from .live import live_stack

LIMIT_S = 120  # guards against a hang on a busy machine; latency is measured in benchmarks/

PROBE = textwrap.dedent(
    """
    import asyncio, json, sys
    from warmline.nlu.language import _identifier
    from warmline.services.runtime import Runtime
    from warmline.settings import get_settings

    async def main():
        settings = get_settings(
            database_url="sqlite+aiosqlite:///:memory:", packs=[sys.argv[1]],
            default_pack="mini_airline", backoffice_url="http://127.0.0.1:9",
            model_dir=sys.argv[2], environment="test",
        )
        runtime = await Runtime.build(settings)
        loaded = _identifier.cache_info()
        started = await runtime.conversations.start(None, None)
        await runtime.conversations.post_message(started.conversation_id, "where is my booking?")
        after = _identifier.cache_info()
        await runtime.aclose()
        print(json.dumps({"loaded": loaded.currsize, "misses_before": loaded.misses,
                          "misses_after": after.misses}))

    asyncio.run(main())
    """
)


def test_the_language_model_is_loaded_before_the_first_turn(model_cache: Path) -> None:
    """In a fresh process: loaded by the time the runtime is built, not loaded again by a turn."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(MINI_PACK), str(model_cache)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["loaded"] == 1 and seen["misses_after"] == seen["misses_before"]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, model_cache: Path):  # type: ignore[no-untyped-def]
    with live_stack(
        tmp_path_factory.mktemp("cold"),
        packs=json.dumps([str(MINI_PACK)]),
        default_pack="mini_airline",
        model_dir=model_cache,
    ) as url:
        yield url


def test_twenty_first_turns_at_once_right_after_ready_all_answer(base_url: str) -> None:
    def first_turn(_: int) -> tuple[int, str]:
        with httpx.Client(base_url=base_url, timeout=LIMIT_S) as client:
            cid = client.post("/api/conversations", json={}).json()["conversation_id"]
            reply = client.post(
                f"/api/conversations/{cid}/messages", json={"text": "where is my booking?"}
            )
            return reply.status_code, reply.json()["replies"][0]["text"]

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(first_turn, range(20)))
    assert [status for status, _ in answers] == [200] * 20
    assert all(text for _, text in answers)
