"""What tracing costs: latency and CPU per back-office call and per turn, with tracing off, on
with no exporter, and on with a batch exporter (the metrics are counted in every mode).

Back-office calls (``GET /airline/reservations/{id}``, the reference back office in-process
through httpx's ASGI transport, so the figures are the client's cost plus the back office's,
with no network) are timed in five ways: plain httpx; the connector (``BackOfficeClient``:
retries, breaker, error translation) on the bare transport; the connector on the runtime's
transport with tracing off (the metrics' timing only), on with no exporter, on with a batch
exporter. Turns (``post_message`` of one text on a new conversation, an in-memory SQLite
database) are timed with tracing off, on with no exporter, on with a batch exporter. The modes
take turns round by round, so a busy machine slows them alike; each figure is the median over
rounds of the mean per call or per turn::

    .venv/bin/python benchmarks/tracing_overhead.py
    .venv/bin/python benchmarks/tracing_overhead.py --calls 500 --turns 40 --rounds 15
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from warmline.connectors.backoffice import BackOfficeClient
from warmline.demo.backoffice.app import create_app as reference_backoffice
from warmline.nlu.embeddings import EncoderConfig, load_encoder
from warmline.services import telemetry
from warmline.services.runtime import Runtime
from warmline.settings import get_settings

URL = "http://reference-backoffice"
PATH = "/airline/reservations/4WQ150"
TEXT = "where is my reservation 4WQ150?"
CUSTOMER = "chen_jackson_3290"
Timed = Callable[[], Awaitable[Any]]


class Discarded(SpanExporter):
    """An exporter that takes every batch and keeps nothing (the collector's cost left out)."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def providers() -> dict[str, TracerProvider | None]:
    batch = TracerProvider()
    batch.add_span_processor(BatchSpanProcessor(Discarded()))
    return {"tracing off": None, "on, no exporter": TracerProvider(), "on, batch exporter": batch}


async def per_call(run: Timed, count: int) -> tuple[float, float]:
    """Mean wall and CPU microseconds of ``count`` calls of ``run``, one after another."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        await run()
    return (
        (time.perf_counter() - wall) / count * 1e6,
        (time.process_time() - cpu) / count * 1e6,
    )


async def rounds_of(runs: dict[str, Timed], count: int, rounds: int) -> dict[str, list[float]]:
    """Median over rounds of each run's mean wall and CPU per call (the runs take turns)."""
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():  # warm each once
        await per_call(run, max(1, count // 10))
    for _ in range(rounds):
        for name, run in runs.items():
            wall, cpu = await per_call(run, count)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {n: [statistics.median(walls[n]), statistics.median(cpus[n])] for n in runs}


async def call_runs() -> tuple[dict[str, Timed], list[Any]]:
    app = reference_backoffice()
    raw = httpx.AsyncClient(base_url=URL, transport=httpx.ASGITransport(app=app))
    runs: dict[str, Timed] = {"plain httpx": lambda: raw.get(PATH)}
    bare = BackOfficeClient(URL, transport=httpx.ASGITransport(app=app))
    runs["connector, bare transport"] = lambda: bare.get(PATH)
    clients: list[Any] = [raw, bare]
    for name, provider in providers().items():
        telemetry.install(provider)
        client = BackOfficeClient(
            URL, transport=telemetry.backoffice_transport(httpx.ASGITransport(app=app))
        )
        clients.append(client)
        runs[f"connector, {name}"] = _bound(client)
    telemetry.install(None)
    return runs, clients


def _bound(client: BackOfficeClient) -> Timed:
    return lambda: client.get(PATH)


async def turn_runs() -> tuple[dict[str, Timed], list[Runtime]]:
    settings = get_settings(
        database_url="sqlite+aiosqlite:///:memory:",
        packs=["airline"],
        default_pack="airline",
        backoffice_url=URL,
        environment="test",
    )
    config = EncoderConfig(
        model_dir=settings.encoder_dir,
        model_file=settings.encoder_file,
        threads=settings.encoder_threads,
        precision=settings.encoder_precision,
    )
    encoder = await asyncio.to_thread(load_encoder, config)
    runs: dict[str, Timed] = {}
    runtimes: list[Runtime] = []
    for name, provider in providers().items():
        telemetry.install(provider)
        runtime = await Runtime.build(
            settings, transport=httpx.ASGITransport(app=reference_backoffice()), encoder=encoder
        )
        runtimes.append(runtime)
        runs[name] = _turn(runtime)
    telemetry.install(None)
    return runs, runtimes


def _turn(runtime: Runtime) -> Timed:
    async def turn() -> None:
        started = await runtime.conversations.start(None, CUSTOMER)
        await runtime.conversations.post_message(started.conversation_id, TEXT)

    return turn


def table(title: str, unit: str, figures: dict[str, list[float]], base: str) -> str:
    lines = [
        f"| {title} | wall {unit} | CPU {unit} | wall added | CPU added |",
        "|---|---:|---:|---:|---:|",
    ]
    scale = 1.0 if unit == "µs" else 1e-3
    for name, (wall, cpu) in figures.items():
        dw, dc = wall - figures[base][0], cpu - figures[base][1]
        lines.append(
            f"| {name} | {wall * scale:.1f} | {cpu * scale:.1f} | "
            f"{dw * scale:+.1f} | {dc * scale:+.1f} |"
        )
    return "\n".join(lines)


async def main(calls: int, turns: int, rounds: int) -> None:
    runs, clients = await call_runs()
    figures = await rounds_of(runs, calls, rounds)
    print(f"Back-office call ({calls} calls x {rounds} rounds, medians of the means)\n")
    print(table("per call", "µs", figures, "connector, tracing off"), "\n")
    for client in clients:
        await client.aclose()
    turn_figures, runtimes = await turn_runs()
    figures = await rounds_of(turn_figures, turns, rounds)
    print(f"Turn (`{TEXT}`, {turns} turns x {rounds} rounds, medians of the means)\n")
    print(table("per turn", "ms", figures, "tracing off"))
    for runtime in runtimes:
        await runtime.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per mode and round")
    parser.add_argument("--turns", type=int, default=20, help="turns per mode and round")
    parser.add_argument("--rounds", type=int, default=9, help="rounds (the modes take turns)")
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.turns, args.rounds))
