"""CPU per back-office call of the connector, as a turn makes it: ``BackOfficeClient.request``
(breaker, retries, httpx, the measured transport) against the reference back office on loopback.

The back office runs as a process of its own (``python -m warmline.demo.backoffice``), so the
CPU measured here (``time.process_time`` of this process) is the client's alone. The client is
built as the server builds it (``telemetry.backoffice_transport(None)``, the settings'
defaults, tracing off). Each caller reads, one call after another, a user, a reservation and a
flight status, the reads a turn makes. A round runs ``--calls`` calls with each concurrency of
``--concurrency`` (1: one caller; 50: fifty callers at once, as a worker's turns overlap under
load), each concurrency with a client (and a pool) of its own; the concurrencies take turns
round by round, and each figure is the median over rounds of the CPU and wall time per call.
"pooled after" is the connections the pool holds at the end.

    .venv/bin/python benchmarks/backoffice_client.py
    .venv/bin/python benchmarks/backoffice_client.py --calls 3000 --rounds 9 --concurrency 1,50
    .venv/bin/python benchmarks/backoffice_client.py --bursty 4  # + steady calls and bursts
    .venv/bin/python benchmarks/backoffice_client.py --profile /tmp/bo.prof  # cProfile, c=50

To compare two versions of the connector, run this script alternately against each (for
example ``PYTHONPATH=<other checkout>/src``) and compare the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import socket
import statistics
import sys
import time
from typing import Any

import httpx

from warmline.connectors.backoffice import BackOfficeClient
from warmline.services import telemetry

READS = (
    "/airline/users/chen_jackson_3290",
    "/airline/reservations/4WQ150",
    "/airline/flights/HAT170",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_backoffice() -> tuple[asyncio.subprocess.Process, str]:
    """The reference back office on a free loopback port, once ``/_health`` answers."""
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "warmline.demo.backoffice", "--host", "127.0.0.1", "--port", str(port)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url) as probe:
        for _ in range(1200):
            if process.returncode is not None:
                break
            try:
                if (await probe.get("/_health")).status_code == 200:
                    return process, url
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    process.kill()
    raise SystemExit("the back office did not start")


async def run_calls(client: BackOfficeClient, calls: int, callers: int) -> tuple[float, float]:
    """Microseconds of CPU (this process) and of wall time per call, ``calls`` calls made by
    ``callers`` callers at once, each one call after another."""

    async def caller(index: int, count: int) -> None:
        for n in range(count):
            result = await client.request("GET", READS[(index + n) % len(READS)])
            assert result, "an empty answer"

    share, extra = divmod(calls, callers)
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(caller(i, share + (i < extra)) for i in range(callers)))
    return (
        (time.process_time() - cpu) / calls * 1e6,
        (time.perf_counter() - wall) / calls * 1e6,
    )


async def run_bursty(client: BackOfficeClient, seconds: float) -> tuple[float, float]:
    """Microseconds of CPU per call, and calls per second, of two callers calling every 5 ms
    while a burst of 20 calls at once comes every 1.5 s (as turns pile up behind a pause)."""
    stop, done = time.monotonic() + seconds, [0]

    async def steady() -> None:
        while time.monotonic() < stop:
            await client.request("GET", READS[done[0] % len(READS)])
            done[0] += 1
            await asyncio.sleep(0.005)

    async def bursts() -> None:
        while time.monotonic() < stop:
            await asyncio.sleep(1.5)
            await asyncio.gather(*(client.request("GET", READS[n % 3]) for n in range(20)))
            done[0] += 20

    cpu = time.process_time()
    await asyncio.gather(steady(), steady(), bursts())
    return (time.process_time() - cpu) / done[0] * 1e6, done[0] / seconds


def client_for(url: str) -> BackOfficeClient:
    """The connector as ``runtime.backoffice_client`` builds it with the default settings."""
    return BackOfficeClient(url, transport=telemetry.backoffice_transport(None))


def pool_connections(client: BackOfficeClient) -> int | None:
    """Connections the client's pool holds now (None when the transport hides its pool)."""
    transport: Any = client._client._transport
    while transport is not None and not hasattr(transport, "_pool"):
        transport = getattr(transport, "inner", None)
    return None if transport is None else len(transport._pool.connections)


async def main(args: argparse.Namespace) -> None:
    levels = [int(c) for c in args.concurrency.split(",")]
    process, url = await start_backoffice()
    clients = {level: client_for(url) for level in levels}  # a pool of its own per level
    if args.bursty:
        clients[0] = client_for(url)
    try:
        for level, client in clients.items():  # warm up: connections, imports, caches
            await run_calls(client, max(200, level * 4), max(level, 1))
        if args.profile:
            profiler = cProfile.Profile(time.thread_time)  # CPU, not wall time
            profiler.enable()
            await run_calls(clients[levels[-1]], args.calls, levels[-1])
            profiler.disable()
            profiler.dump_stats(args.profile)
            return
        figures: dict[int, list[tuple[float, float]]] = {level: [] for level in clients}
        for _ in range(args.rounds):
            for level, client in clients.items():
                run = run_bursty(client, args.bursty) if level == 0 else None
                figures[level].append(await (run or run_calls(client, args.calls, level)))
        held = {level: pool_connections(client) for level, client in clients.items()}
    finally:
        for client in clients.values():
            await client.aclose()
        process.terminate()
        await process.wait()
    print(f"| callers | CPU us/call | wall us/call | pooled after | ({args.calls} x {args.rounds})")
    print("|---|---|---|---|")
    for level, values in figures.items():
        cpu = statistics.median(v[0] for v in values)
        wall = statistics.median(v[1] for v in values)
        if level == 0:  # the bursty pattern: calls per second instead of wall time per call
            print(f"| 2 + bursts of 20 | {cpu:.0f} | {wall:.0f} calls/s | {held[level]} |")
        else:
            print(f"| {level} | {cpu:.0f} | {wall:.0f} | {held[level]} |")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per round and level")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--concurrency", default="1,50", help="callers at once, comma-separated")
    parser.add_argument("--profile", help="write a cProfile of one run at the last level here")
    parser.add_argument(
        "--bursty",
        type=float,
        default=0,
        help="also N seconds a round of two steady callers and a burst of 20 every 1.5 s",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
