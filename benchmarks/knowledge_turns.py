"""Whole turns for benchmarks/knowledge_answers.py ``--turns``: each question of the knowledge
question set posted as a new conversation's first message through
``ConversationService.post_message`` (both demo packs, the reference back office in-process,
SQLite in memory), once with the knowledge stage and once without it, timing each turn; and
how the whole turn answered (a confident intent answers by its template before the documents
are asked, so these counts differ from the pipeline's)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from warmline.demo.backoffice.app import create_app as reference_backoffice
from warmline.services.runtime import Runtime
from warmline.settings import get_settings

MODELS = Path(__file__).resolve().parent.parent / "var" / "models"


class Timed:
    """The knowledge stage, timed: each turn it read the documents for, in ms."""

    def __init__(self, reader: Any) -> None:
        self.reader, self.llm = reader, reader.llm
        self.ms: list[float] = []

    async def ground(self, turn: Any) -> Any:
        began = time.perf_counter()
        found = await self.reader.ground(turn)
        if found is not None:
            self.ms.append((time.perf_counter() - began) * 1e3)
        return found


def _facts(text: str, facts: list[str]) -> bool:
    flat = " ".join(text.lower().split())
    return all(" ".join(f.lower().split()) in flat for f in facts)


async def _turns(runtime: Runtime, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        started = await runtime.conversations.start(item["pack"])
        began = time.perf_counter()
        result = await runtime.conversations.post_message(started.conversation_id, item["question"])
        took = (time.perf_counter() - began) * 1e3
        codes = result.decision.reason_codes() if result.decision else []
        reply = result.replies[-1] if result.replies else None
        cited = {c.url.split("/")[-1].split("#")[0] for c in reply.citations} if reply else set()
        gold = {g["doc"] for g in item.get("gold", [])}
        answered = "knowledge_answered" in codes
        correct = bool(
            answered
            and reply is not None
            and item.get("answerable", True)
            and _facts(reply.text, item["answer"]["must_contain"])
            and cited & gold
        )
        out.append({"item": item, "ms": took, "answered": answered, "correct": correct})
    return out


def _summary(rows: list[dict[str, Any]], split: str) -> dict[str, float]:
    mine = [r for r in rows if split == "all" or r["item"]["split"] == split]
    answerable = [r for r in mine if r["item"].get("answerable", True)]
    unanswerable = [r for r in mine if not r["item"].get("answerable", True)]
    return {
        "p50": statistics.median(r["ms"] for r in mine),
        "p90": statistics.quantiles([r["ms"] for r in mine], n=10)[-1],
        "correct": sum(r["correct"] for r in answerable) / max(1, len(answerable)),
        "answered": sum(r["answered"] for r in answerable) / max(1, len(answerable)),
        "abstained": sum(not r["answered"] for r in unanswerable) / max(1, len(unanswerable)),
    }


async def turn_figures(items: list[dict[str, Any]], splits: list[str]) -> str:
    settings = get_settings(
        database_url="sqlite+aiosqlite:///:memory:",
        packs=["airline", "retail"],
        backoffice_url="http://backoffice.bench",
        model_dir=MODELS,
        environment="test",
        backoffice_slow_call_s=120.0,
    )
    transport = httpx.ASGITransport(app=reference_backoffice())
    runtime = await Runtime.build(settings, transport=transport)
    stage_ms: list[float] = []
    try:
        reader = runtime.conversations.perceiver.knowledge
        assert reader is not None, "the demo packs have no knowledge section"
        await _turns(runtime, items[:10])  # warm
        timed = Timed(reader)
        runtime.conversations.perceiver.knowledge = timed  # type: ignore[assignment]
        with_knowledge = await _turns(runtime, items)
        stage_ms = timed.ms
        runtime.conversations.perceiver.knowledge = None
        without = await _turns(runtime, items)
        runtime.conversations.perceiver.knowledge = reader
    finally:
        await runtime.aclose()
    lines = [
        "| whole turn | " + " | ".join(splits) + " |",
        "|---|" + "---|" * len(splits),
    ]
    rows = {s: (_summary(with_knowledge, s), _summary(without, s)) for s in splits}
    for label, pick in [
        ("turn p50 with knowledge (ms)", lambda w, o: f"{w['p50']:.1f}"),
        ("turn p50 without (ms)", lambda w, o: f"{o['p50']:.1f}"),
        ("added p50 (ms)", lambda w, o: f"{w['p50'] - o['p50']:.1f}"),
        ("turn p90 with / without (ms)", lambda w, o: f"{w['p90']:.0f} / {o['p90']:.0f}"),
        (
            f"knowledge stage in the turn p50 / p90 (ms, {len(stage_ms)} turns, all splits)",
            lambda w, o: (
                f"{statistics.median(stage_ms):.1f} / "
                f"{statistics.quantiles(stage_ms, n=10)[-1]:.1f}"
            ),
        ),
        ("answered correctly through the turn", lambda w, o: f"{w['correct']:.3f}"),
        ("answered from documents at all", lambda w, o: f"{w['answered']:.3f}"),
        ("unanswerable: no answer from documents", lambda w, o: f"{w['abstained']:.3f}"),
    ]:
        lines.append(f"| {label} | " + " | ".join(pick(*rows[s]) for s in splits) + " |")
    return "\n".join(lines)
