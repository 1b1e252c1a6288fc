"""Garbage-collection pauses over a run of turns, and the cost of one full collection after it.

Builds the runtime with both demo packs (the reference back office in-process, SQLite in a
temporary folder), runs the turns of ``turn_stages.py``'s texts, and prints how many collections
of each generation ran and how long they took (the event-loop thread's CPU, timed by
``gc.callbacks``), the main thread's CPU per turn, and what a full collection costs afterwards.
A full collection walks every object the collector tracks: the warm-up's ``gc.freeze()``
(``services/runtime.py``) takes the loaded models and packs out of it::

    .venv/bin/python benchmarks/gc_pauses.py --rounds 40
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from typing import Any

import httpx
from turn_stages import CUSTOMERS, TEXTS

from warmline.demo.backoffice.app import create_app as reference_backoffice
from warmline.services.runtime import Runtime
from warmline.settings import get_settings


class Pauses:
    """A ``gc.callbacks`` timer: (generation, ms of thread CPU) of every collection."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, float]] = []
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.thread_time()
        else:
            self.seen.append((info["generation"], (time.thread_time() - self._began) * 1e3))


async def run(rounds: int, folder: str) -> None:
    settings = get_settings(
        database_url=f"sqlite+aiosqlite:///{folder}/gc.db",
        packs=["airline", "retail"],
        default_pack="airline",
        backoffice_url="http://reference-backoffice",
        environment="test",
    )
    runtime = await Runtime.build(
        settings, transport=httpx.ASGITransport(app=reference_backoffice())
    )
    service, pauses, turns = runtime.conversations, Pauses(), 0
    gc.callbacks.append(pauses)
    began = time.thread_time()
    for _ in range(rounds):
        for pack in ("airline", "retail"):
            conversation = (await service.start(pack, CUSTOMERS[pack])).conversation_id
            for text in TEXTS[pack]:
                await service.post_message(conversation, text)
                turns += 1
    spent = (time.thread_time() - began) * 1e3
    gc.callbacks.remove(pauses)
    full = []
    for _ in range(3):
        began = time.thread_time()
        gc.collect()
        full.append((time.thread_time() - began) * 1e3)
    print(f"turns {turns}; main-thread CPU per turn {spent / turns:.2f} ms")
    print(f"objects frozen {gc.get_freeze_count()}, tracked {len(gc.get_objects())}")
    for generation in (0, 1, 2):
        times = [ms for g, ms in pauses.seen if g == generation]
        print(
            f"gen {generation}: {len(times)} collections, {sum(times):.1f} ms in all, "
            f"longest {max(times, default=0):.1f} ms"
        )
    amortised = sum(ms for _, ms in pauses.seen) / turns
    print(
        f"pauses per turn {amortised:.3f} ms; a full collection now: {full[0]:.1f}, "
        f"{full[1]:.1f}, {full[2]:.1f} ms"
    )
    await runtime.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="conversations per pack")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args.rounds, folder))


if __name__ == "__main__":
    main()
