"""CPU of the in-process rate limits at a steady request rate, by how many client addresses
(keys) were seen in the last minute: ``limits``' own memory storage against warmline's swept one
(``api/memory_store.py``)::

    .venv/bin/python benchmarks/rate_limit_sweep.py [--seconds 5] [--rate 150]

Each key gets one hit first; then hits arrive at ``--rate`` a second on random keys, each
through the moving window of a customer's message limit, for ``--seconds``. Prints the
process's CPU (``time.process_time``: the worker threads the library's sweep uses included) as
a share of one core and per hit.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

import limits
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from warmline.api.memory_store import SweptMemoryStorage


async def measure(storage: Storage, keys: int, rate: float, seconds: float) -> tuple[float, float]:
    limiter = MovingWindowRateLimiter(storage)
    item = limits.parse("30/minute")
    for key in range(keys):
        await limiter.hit(item, "messages", str(key))
    hits, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        await limiter.hit(item, "messages", str(random.randrange(keys)))
        hits += 1
        await asyncio.sleep(1 / rate)
    used = time.process_time() - cpu
    return used / seconds, used / hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=150.0)
    args = parser.parse_args()
    print("| addresses | storage | CPU, share of a core | CPU per hit, ms |")
    print("|---|---|---|---|")
    for keys in (1, 50, 500, 5000):
        for name, make in (("limits' MemoryStorage", MemoryStorage), ("swept", SweptMemoryStorage)):
            share, per_hit = asyncio.run(measure(make(), keys, args.rate, args.seconds))
            print(f"| {keys} | {name} | {share:.1%} | {per_hit * 1e3:.3f} |")


if __name__ == "__main__":
    main()
