"""The knowledge stage of a turn alone, with the NLU's embedding of the question reused and
with the question encoded again, paired on the same turns::

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python benchmarks/knowledge_stage.py

Each question of the knowledge question set (benchmarks/knowledge/questions.yaml) is posted as
a new conversation's first message through ``ConversationService.post_message`` (both demo
packs, the reference back office in-process, SQLite in memory). For every turn that reads the
documents, the stage (``KnowledgeReader.ground``, ``services/turn/knowledge.py``) is run twice
on the same turn, in alternating order: as the product runs it (the search reuses the NLU's
embedding when the question searched is the text the NLU read) and with that embedding
withheld (the question encoded again, as before the reuse). Both must give the same passages;
the script counts any that differ. Pairing the runs on one turn keeps the comparison fair on
a machine shared with other work.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import yaml

from warmline.demo.backoffice.app import create_app as reference_backoffice
from warmline.services.runtime import Runtime
from warmline.settings import get_settings

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "knowledge" / "questions.yaml"
MODELS = HERE.parent / "var" / "models"


class Paired:
    """The knowledge stage run twice per turn: reusing the embedding and encoding again."""

    def __init__(self, reader: Any) -> None:
        self.reader, self.llm = reader, reader.llm
        self.reset()

    def reset(self) -> None:
        self.reused: list[float] = []
        self.encoded: list[float] = []
        self.with_vector = 0  # turns whose search could reuse the NLU's embedding
        self.differ = 0  # turns whose passages differ between the two

    async def _timed(self, turn: Any, reuse: bool) -> tuple[float, Any]:
        seen = turn.seen
        if not reuse:
            turn.seen = replace(seen, embedded=None)
        began = time.perf_counter()
        try:
            found = await self.reader.ground(turn)
        finally:
            turn.seen = seen
        return (time.perf_counter() - began) * 1e3, found

    async def ground(self, turn: Any) -> Any:
        first_reuse = len(self.reused) % 2 == 0
        a_ms, a = await self._timed(turn, first_reuse)
        b_ms, b = await self._timed(turn, not first_reuse)
        if a is None:
            return None
        (reused_ms, found), (encoded_ms, other) = (
            ((a_ms, a), (b_ms, b)) if first_reuse else ((b_ms, b), (a_ms, a))
        )
        self.reused.append(reused_ms)
        self.encoded.append(encoded_ms)
        embedded = turn.seen.embedded
        self.with_vector += embedded is not None and embedded.text == found.question
        ids = [p.chunk for p in found.passages] != [p.chunk for p in other.passages]
        self.differ += ids
        return found


def _quantiles(values: list[float]) -> str:
    deciles = statistics.quantiles(values, n=10)
    return f"{statistics.median(values):.2f} / {deciles[-1]:.2f}"


async def measure(items: list[dict[str, Any]]) -> str:
    settings = get_settings(
        database_url="sqlite+aiosqlite:///:memory:",
        packs=["airline", "retail"],
        backoffice_url="http://backoffice.bench",
        model_dir=MODELS,
        environment="test",
        backoffice_slow_call_s=120.0,
    )
    runtime = await Runtime.build(
        settings, transport=httpx.ASGITransport(app=reference_backoffice())
    )
    try:
        reader = runtime.conversations.perceiver.knowledge
        assert reader is not None, "the demo packs have no knowledge section"
        paired = Paired(reader)
        runtime.conversations.perceiver.knowledge = paired  # type: ignore[assignment]
        for item in items[:10]:  # warm
            started = await runtime.conversations.start(item["pack"])
            await runtime.conversations.post_message(started.conversation_id, item["question"])
        paired.reset()
        for item in items:
            started = await runtime.conversations.start(item["pack"])
            await runtime.conversations.post_message(started.conversation_id, item["question"])
    finally:
        await runtime.aclose()
    saved = [e - r for r, e in zip(paired.reused, paired.encoded, strict=True)]
    return "\n".join(
        [
            f"turns that read the documents: {len(paired.reused)}; "
            f"searched with the NLU's embedding: {paired.with_vector}; "
            f"passages differing between the two: {paired.differ}",
            "",
            "| knowledge stage (ms) | p50 / p90 |",
            "|---|---|",
            f"| embedding reused | {_quantiles(paired.reused)} |",
            f"| question encoded again | {_quantiles(paired.encoded)} |",
            f"| saved per turn (paired) | {_quantiles(saved)} |",
        ]
    )


def main() -> None:
    items = yaml.safe_load(QUESTIONS.read_text("utf-8"))["questions"]
    print(asyncio.run(measure(items)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
