"""CPU of a turn's record stage on the event loop: the masking of its events, the append (one
statement and the commit) and, with NATS, the live copy's message handed to the client and the
client's flush of it. The turns of ``http_turns.py`` (the airline pack, its customers, the
reference back office in-process), posted straight to the conversation service::

    .venv/bin/python benchmarks/record_path.py --conversations 40 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench \
        --nats-url nats://127.0.0.1:4222 --model-dir var/models

A PostgreSQL database must exist and be migrated (``warmline migrate``); without
``--database-url`` the conversations go to an SQLite file. Prints the median and 90th percentile
thread CPU per turn (``time.thread_time`` of the event loop's thread: the NLU's threads and the
database server are not counted) of the record stage, with the loop let run three times after
it (the send task and the client's flusher), and of the masking alone (``stored_forms``);
``--profile`` writes a cProfile of the measured record stages.
The record stage is the smaller part of a turn: this isolates it from the NLU and the policy.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from http_turns import CUSTOMERS, TURNS  # the same customers and turns as the HTTP load

from warmline.demo.backoffice.app import create_app as reference_backoffice
from warmline.services.runtime import Runtime
from warmline.services.turn import record
from warmline.settings import get_settings

Figures = dict[str, list[float]]


def measure(figures: Figures, profile: cProfile.Profile | None) -> None:
    """Wrap the record stage and its masking so that each adds its thread CPU to ``figures``
    while ``figures["on"]`` is not empty (and the record stage runs under ``profile``)."""
    original: Callable[..., Awaitable[Any]] = record.Recorder.record
    masked = record.masked

    async def timed_record(self: Any, turn: Any, decision: Any) -> Any:
        if profile is not None and figures["on"]:
            profile.enable()
        start = time.thread_time()
        result = await original(self, turn, decision)
        for _ in range(3):  # the live copy's send task, the client's flusher
            await asyncio.sleep(0)
        if profile is not None:
            profile.disable()
        if figures["on"]:
            figures["record"].append((time.thread_time() - start) * 1e3)
        return result

    def timed_masked(turn: Any) -> Any:
        start = time.thread_time()
        result = masked(turn)
        if figures["on"]:
            figures["masking"].append((time.thread_time() - start) * 1e3)
        return result

    record.Recorder.record = timed_record  # type: ignore[method-assign]
    record.masked = timed_masked


async def main(args: argparse.Namespace, folder: Path) -> None:
    extra: dict[str, object] = {}
    if args.model_dir:
        extra["model_dir"] = args.model_dir
    if args.nats_url:
        extra["nats_url"] = args.nats_url
    settings = get_settings(
        database_url=args.database_url or f"sqlite+aiosqlite:///{folder}/record-path.db",
        packs=["airline"],
        default_pack="airline",
        backoffice_url="http://reference-backoffice",
        environment="test",
        **extra,
    )
    transport = httpx.ASGITransport(app=reference_backoffice())
    runtime = await Runtime.build(settings, transport=transport)
    figures: Figures = {"on": [], "record": [], "masking": []}
    profile = cProfile.Profile(time.thread_time) if args.profile else None
    measure(figures, profile)
    try:
        service = runtime.conversations
        for i in range(3 + args.conversations):  # three to warm up, not counted
            if i == 3:
                figures["on"].append(1.0)
            who, reservation, flight = CUSTOMERS[i % len(CUSTOMERS)]
            cid = (await service.start(None, who)).conversation_id
            for turn in TURNS:
                await service.post_message(cid, turn.format(reservation=reservation, flight=flight))
    finally:
        await runtime.aclose()
    if profile is not None:
        profile.dump_stats(args.profile)
    print("| CPU per turn of | p50 ms | p90 ms | turns |\n|---|---|---|---|")
    for name in ("record", "masking"):
        values = sorted(figures[name])
        p90 = values[int(0.9 * (len(values) - 1))]
        print(f"| {name} | {statistics.median(values):.3f} | {p90:.3f} | {len(values)} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--database-url", help="default: an SQLite file in a temporary folder")
    parser.add_argument("--nats-url", help="live events through NATS, as several workers share")
    parser.add_argument("--model-dir", help="trained models to reuse (default: settings')")
    parser.add_argument("--profile", help="write a cProfile of the measured record stages here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(args, Path(tmp)))
