"""CPU per stage of one customer turn, in-process: the regression guard for the turn's cost.

Reads a fixed set of customer texts with each demo pack, many times, and prints a Markdown table
of the median and 90th percentile CPU time (``time.process_time``: this process's, all its threads, so other
processes on the machine do not count) of each part of ``NluEngine.understand`` and of a whole
turn through ``ConversationService.post_message`` and each of its stages (state, perceive, act,
respond, record; the reference back office in-process and its CPU included), plus the CPU flags that decide the
encoder's speed::

    .venv/bin/python benchmarks/turn_stages.py             # both demo packs, 50 rounds
    .venv/bin/python benchmarks/turn_stages.py --rounds 200 --packs retail
    .venv/bin/python benchmarks/turn_stages.py --database-url sqlite+aiosqlite:///:memory:

The conversations go to an SQLite file in a temporary folder, as ``warmline serve`` keeps them
by default (``--database-url`` names another database).

Compare the figures with BENCHMARKS.md ("CPU per stage of a turn") on a machine of the same kind.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from warmline.demo.backoffice.app import create_app as reference_backoffice
from warmline.domain.understanding import TurnContext
from warmline.nlu.engine import NluEngine, clean_text
from warmline.nlu.register import read_style
from warmline.services.runtime import Runtime
from warmline.settings import get_settings

TEXTS = {
    "airline": [
        "where is my reservation 4WQ150?",
        "I need to cancel my bag",
        "cancel reservation 4WQ150 because my plans changed",
        "This is the THIRD time I ask!!! Where is my reservation 4WQ150?",
        "can you recommend a good stock to buy",
        "what about 2JV270?",
    ],
    "retail": [
        "where is my order #W5918442?",
        "I want to cancel my order #W5918442, I ordered it by mistake",
        "my vacuum cleaner arrived broken",
        "do you sell hiking boots in size 9?",
        "this is ridiculous, I have asked three times already",
        "and the other one?",
    ],
}
CUSTOMERS = {"airline": "chen_jackson_3290", "retail": "sofia_rossi_8776"}


def cpu_ms(run: Callable[[], Any]) -> float:
    start = time.process_time()
    run()
    return (time.process_time() - start) * 1e3


def nlu_stages(nlu: NluEngine, text: str, context: TurnContext) -> dict[str, float]:
    """CPU of each part of ``understand`` for one text (the parts as the engine runs them)."""
    cleaned = clean_text(text)
    embedding: list[Any] = []
    figures = {
        "language": cpu_ms(lambda: nlu.languages.decide(cleaned)),
        "entities": cpu_ms(lambda: nlu.entities.extract(cleaned, context.now)),
        "encoder": cpu_ms(lambda: embedding.append(nlu._embed(cleaned))),
    }
    vectors, states = embedding[0]
    figures["intents"] = cpu_ms(lambda: nlu.classifier.rank_embeddings(vectors, [cleaned]))
    if nlu.affect is not None:
        affect = nlu.affect
        figures["affect"] = cpu_ms(
            lambda: affect.read(cleaned, vectors[0], context, None, [], states=states)
        )
    figures["register (style)"] = cpu_ms(lambda: read_style(cleaned))
    figures["understand (whole)"] = cpu_ms(lambda: nlu.understand(text, context))
    figures["understand less its ONNX runs"] = outside_onnx_ms(nlu, text, context)
    return figures


def outside_onnx_ms(nlu: NluEngine, text: str, context: TurnContext) -> float:
    """CPU of ``understand`` less that of its ONNX runs (the encoder's, for the turn and for any
    text read again, and the affect model's): the NLU's own Python."""
    inside = [0.0]
    targets: list[Any] = [(nlu.encoder, "encode"), (nlu.encoder, "encode_with_states")]
    if nlu.affect is not None:
        targets.append((nlu.affect.model, "probabilities"))
    saved = [(target, name, vars(target).get(name)) for target, name in targets]

    def counted(run: Callable[..., Any]) -> Callable[..., Any]:
        def part(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return run(*args, **kwargs)
            finally:
                inside[0] += time.process_time() - start

        return part

    for target, name in targets:
        setattr(target, name, counted(getattr(target, name)))
    try:
        whole = cpu_ms(lambda: nlu.understand(text, context))
    finally:
        for target, name, own in saved:
            if own is None:
                delattr(target, name)  # the class's method again
            else:
                setattr(target, name, own)
    return whole - inside[0] * 1e3


def time_stages(runtime: Runtime, stages: dict[str, list[float]]) -> None:
    """Make the conversation service's stages record their CPU into ``stages``."""
    service = runtime.conversations

    def timed(label: str, run: Callable[..., Any]) -> Callable[..., Any]:
        async def stage(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            result = await run(*args, **kwargs)
            stages.setdefault(label, []).append((time.process_time() - start) * 1e3)
            return result

        return stage

    service.states.working = timed("service: state (cache, events since)", service.states.working)  # type: ignore[method-assign]
    perceiver = service.perceiver
    time_perceive_parts(runtime, stages)
    perceive = timed("service: perceive (all of it)", perceiver.perceive)
    perceiver.perceive = perceive  # type: ignore[method-assign]
    service.actor.run = timed("service: act (back office, in-process)", service.actor.run)  # type: ignore[method-assign]
    service.replier.reply = timed("service: respond", service.replier.reply)  # type: ignore[method-assign]
    service.recorder.record = timed("service: record (append)", service.recorder.record)  # type: ignore[method-assign]


def time_perceive_parts(runtime: Runtime, stages: dict[str, list[float]]) -> None:
    """Make the parts of perceive record their CPU into ``stages``: the NLU (in its worker
    thread: ``process_time`` counts every thread of the process), the verification check,
    the account, the writes on hold, the guide's records and choices (the reference back
    office's CPU in it), the documents."""
    perceiver = runtime.conversations.perceiver

    def timed(label: str, run: Callable[..., Any]) -> Callable[..., Any]:
        async def part(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            result = await run(*args, **kwargs)
            stages.setdefault(label, []).append((time.process_time() - start) * 1e3)
            return result

        return part

    for name in runtime.packs:
        nlu = runtime.packs.resolve(name).nlu
        nlu.understand_with_embedding = timed_sync(  # type: ignore[method-assign]
            "perceive: NLU (understand, in its thread)", nlu.understand_with_embedding, stages
        )
    perceiver.verifier.check = timed("perceive: verification check", perceiver.verifier.check)  # type: ignore[method-assign]
    perceiver.accounts.get = timed(
        "perceive: account (cache or back office)", perceiver.accounts.get
    )  # type: ignore[method-assign]
    if perceiver.on_hold is not None:
        perceiver.on_hold = timed("perceive: writes on hold", perceiver.on_hold)
    perceiver.guide.gather = timed(
        "perceive: guide (records, choices, dry runs)", perceiver.guide.gather
    )  # type: ignore[method-assign]
    if perceiver.knowledge is not None:
        knowledge = perceiver.knowledge
        knowledge.ground = timed("perceive: knowledge (documents)", knowledge.ground)  # type: ignore[method-assign]


def timed_sync(
    label: str, run: Callable[..., Any], stages: dict[str, list[float]]
) -> Callable[..., Any]:
    def part(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        result = run(*args, **kwargs)
        stages.setdefault(label, []).append((time.process_time() - start) * 1e3)
        return result

    return part


async def thread_hop_cpu(rounds: int = 2000) -> float:
    """CPU of one ``asyncio.to_thread`` round trip of a call that does nothing (ms)."""
    await asyncio.to_thread(lambda: None)  # the pool's thread started
    start = time.process_time()
    for _ in range(rounds):
        await asyncio.to_thread(lambda: None)
    return (time.process_time() - start) * 1e3 / rounds


async def turn_cpu(runtime: Runtime, pack: str, rounds: int) -> list[float]:
    """CPU of whole turns: a new conversation each round, every text once, in order."""
    service, figures = runtime.conversations, []
    for _ in range(rounds):
        cid = (await service.start(pack, CUSTOMERS[pack])).conversation_id
        for text in TEXTS[pack]:
            start = time.process_time()
            await service.post_message(cid, text)
            figures.append((time.process_time() - start) * 1e3)
    return figures


def row(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"| {name} | {statistics.median(values):.2f} | {p90:.2f} |"


def cpu_flags() -> str:
    try:
        flags = next(
            line.split(":", 1)[1].split()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("flags")
        )
    except (OSError, StopIteration):
        return "unknown"
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
    return " ".join(f for f in wanted if f in flags) or "none of " + ", ".join(wanted)


async def main(packs: list[str], rounds: int, database_url: str) -> None:
    settings = get_settings(
        database_url=database_url,
        packs=packs,
        default_pack=packs[0],
        backoffice_url="http://reference-backoffice",
        environment="test",
    )
    runtime = await Runtime.build(
        settings, transport=httpx.ASGITransport(app=reference_backoffice())
    )
    try:
        print(f"CPU flags: {cpu_flags()}; {rounds} rounds of {len(TEXTS[packs[0]])} texts\n")
        service_stages: dict[str, list[float]] = {}
        time_stages(runtime, service_stages)
        for pack in packs:
            nlu = runtime.packs.resolve(pack).nlu
            context = TurnContext(recent=[TEXTS[pack][0]], now=datetime.now(UTC))
            stages: dict[str, list[float]] = {}
            for _ in range(rounds):
                for text in TEXTS[pack]:
                    for name, ms in nlu_stages(nlu, text, context).items():
                        stages.setdefault(name, []).append(ms)
            service_stages.clear()
            turns = await turn_cpu(runtime, pack, rounds)
            stages.update(service_stages)
            print(f"**{pack}**\n\n| stage | CPU p50 ms | CPU p90 ms |\n|---|---|---|")
            print("\n".join(row(name, values) for name, values in stages.items()))
            print(row("turn through the service (incl. back office)", turns) + "\n")
        print(f"one asyncio.to_thread round trip: {await thread_hop_cpu():.3f} ms CPU\n")
    finally:
        await runtime.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packs", nargs="+", default=["airline", "retail"])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--database-url", help="default: an SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/turn-stages.db"
        asyncio.run(main(args.packs, args.rounds, url))
