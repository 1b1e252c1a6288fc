"""Circuit breakers and the retry storm: what the breaker adds per back-office call, how long it
takes to open when the back office fails or slows down and to close once it recovers, and how
many side effects a storm of resent messages, double yeses, lost answers and two tabs leaves.

1. ``overhead``: ``GET /airline/reservations/4WQ150`` against the reference back office served
   by uvicorn on loopback (a process of its own), timed as plain httpx, as the connector with
   its breaker bypassed (retries and error translation only), with its breaker in memory and,
   with ``--redis``, with its breaker in Redis. The modes take turns round by round; each
   figure is the median over rounds of the mean wall and CPU (this process) per call.
2. ``opening``: ``--callers`` customers call the loopback back office one call after another;
   the back office's faults are switched on (an outage: 503 everywhere; or latency over the
   slow-call limit) and the time to the breaker's opening is measured, with the calls made
   meanwhile; then the faults are switched off and the time to its closing is measured (the
   pause, ``--open-s``, then the first call that goes through).
3. ``storm``: ``--conversations`` conversations at once through the API (in-process, the test
   pack ``tests/fixtures/mini_airline.yaml``: one request, one yes), each cancelling a
   reservation of its own: the request posted 4 times at once with one key, then two tabs each
   posting "yes" with a key of its own and resending it; the back office's first answer under
   every other write key is lost after it committed (a read timeout for the connector, which
   retries with the same key). The back office counts the writes it ran; the breakers' states
   at the end are printed.

    .venv/bin/python benchmarks/breaker.py
    .venv/bin/python benchmarks/breaker.py --part overhead --calls 300 --rounds 9 \\
        --redis redis://127.0.0.1:6379/14
    .venv/bin/python benchmarks/breaker.py --part opening --callers 10 --open-s 5
    .venv/bin/python benchmarks/breaker.py --part storm --conversations 20
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from warmline.connectors.backoffice import BackOfficeClient
from warmline.errors import BackOfficeCircuitOpen, ConnectorError

PATH = "/airline/reservations/4WQ150"
Timed = Callable[[], Awaitable[Any]]
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_backoffice() -> tuple[asyncio.subprocess.Process, str]:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "warmline.demo.backoffice",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url) as probe:
        for _ in range(1200):
            try:
                if (await probe.get("/_health")).status_code == 200:
                    return process, url
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the back office did not start")


async def per_call(run: Timed, count: int) -> tuple[float, float]:
    """Mean wall and CPU microseconds of ``count`` calls of ``run``, one after another."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        await run()
    return (
        (time.perf_counter() - wall) / count * 1e6,
        (time.process_time() - cpu) / count * 1e6,
    )


async def overhead(url: str, calls: int, rounds: int, redis: str | None) -> None:
    plain = httpx.AsyncClient(base_url=url)
    memory = BackOfficeClient(url)
    clients = [memory]
    runs: dict[str, Timed] = {
        "plain httpx": lambda: plain.get(PATH),
        "connector, breaker bypassed": lambda: memory._retrying("GET", PATH, None, None),
        "connector, breaker in memory": lambda: memory.get(PATH),
    }
    if redis:
        shared = BackOfficeClient(url, redis_url=redis, redis_prefix=f"bench-{uuid.uuid4().hex}:")
        clients.append(shared)
        runs["connector, breaker in Redis"] = lambda: shared.get(PATH)

    async def nothing() -> None:
        return None

    runs["the breaker alone, in memory (a call doing nothing)"] = lambda: memory.breakers.call(
        "bench", nothing
    )
    if redis:
        runs["the breaker alone, in Redis"] = lambda: shared.breakers.call("bench", nothing)
    for run in runs.values():
        await per_call(run, 20)  # warm the connections
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            figures[name].append(await per_call(run, calls))
    print(f"| mode ({calls} calls x {rounds} rounds) | wall us/call | CPU us/call |")
    print("|---|---|---|")
    for name, values in figures.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"| {name} | {wall:.0f} | {cpu:.0f} |")
    if redis:
        shared_repo = clients[-1].breakers.factory.uow.contexts
        prefix = clients[-1].config.redis_prefix
        await shared_repo.redis.delete(  # type: ignore[attr-defined]
            [f"{prefix}breaker:read", f"{prefix}breaker:bench", f"{prefix}breakers"]
        )
    await plain.aclose()
    for client in clients:
        await client.aclose()


async def _switch(url: str, **switches: Any) -> None:
    async with httpx.AsyncClient(base_url=url) as admin:
        answer = await admin.put("/_admin/switches", json=switches)
        answer.raise_for_status()


async def _watch(client: BackOfficeClient, want: str, since: float) -> float:
    while True:
        states = await client.breaker_states()
        if states.get("read") is not None and states["read"].state == want:
            return time.perf_counter() - since
        await asyncio.sleep(0.005)


async def _callers(client: BackOfficeClient, made: list[int], stop: asyncio.Event) -> None:
    """Customers calling one after another (``made[i]``: calls started by the i-th)."""

    async def caller(index: int) -> None:
        while not stop.is_set():
            made[index] += 1
            try:
                await client.get(PATH)
            except BackOfficeCircuitOpen:
                await asyncio.sleep(0.05)  # a customer told at once, the next one comes
            except ConnectorError:
                pass

    await asyncio.gather(*(caller(i) for i in range(len(made))))


async def opening(url: str, callers: int, open_s: float, slow_s: float) -> None:
    faults = {
        "outage (503)": {"outage": True},
        f"latency {slow_s + 0.5:.1f} s (> {slow_s} s)": {"latency_ms": int((slow_s + 0.5) * 1000)},
    }
    print(
        f"| fault ({callers} callers, threshold 5, open {open_s} s) | to open | calls started "
        "meanwhile | to close after recovery |"
    )
    print("|---|---|---|---|")
    for name, switches in faults.items():
        client = BackOfficeClient(url, timeout_s=10, circuit_open_s=open_s, slow_call_s=slow_s)
        made, stop = [0] * callers, asyncio.Event()
        load = asyncio.create_task(_callers(client, made, stop))
        await asyncio.sleep(0.5)  # calls flowing, breaker closed
        before = sum(made)
        await _switch(url, **switches)
        to_open = await _watch(client, "open", time.perf_counter())
        during = sum(made) - before
        await _switch(url)  # faults off as it opens: the back office recovered
        to_close = await _watch(client, "closed", time.perf_counter())
        stop.set()
        await load
        await client.aclose()
        print(f"| {name} | {to_open:.2f} s | {during} | {to_close:.2f} s |")


async def storm(conversations: int) -> None:
    from warmline.app import create_app
    from warmline.demo.backoffice import create_app as create_backoffice
    from warmline.nlu.embeddings import EncoderConfig, load_encoder
    from warmline.services.runtime import Runtime
    from warmline.settings import get_settings

    backoffice = create_backoffice()
    wire = LoseFirstAnswers(httpx.ASGITransport(app=backoffice))
    settings = get_settings(
        database_url=f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/storm.db",
        packs=[str(ROOT / "tests/fixtures/mini_airline.yaml")],
        default_pack="mini_airline",
        backoffice_url="http://backoffice.bench",
        environment="test",
        customer_picker=True,
        start_limit="10000/minute",  # one address starts every conversation here
        message_limit="10000/minute",
    )
    config = EncoderConfig(
        model_dir=settings.encoder_dir,
        model_file=settings.encoder_file,
        threads=settings.encoder_threads,
        precision=settings.encoder_precision,
    )
    encoder = await asyncio.to_thread(load_encoder, config)
    runtime = await Runtime.build(settings, transport=wire, encoder=encoder)
    office = httpx.AsyncClient(transport=httpx.ASGITransport(app=backoffice), base_url="http://b")
    targets = await _cancellable(office, backoffice.state.store, conversations)
    api = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime=runtime)), base_url="http://w"
    )
    started = time.perf_counter()
    results = await asyncio.gather(*(_one(api, user, rid) for user, rid in targets))
    elapsed = time.perf_counter() - started
    writes = (await office.get("/_admin/writes")).json()
    cancels = {p: c for p, c in writes["by_path"].items() if p.endswith("/cancel")}
    duplicates = sum(max(0, c["applied"] - 1) + max(0, c["reached"] - 1) for c in cancels.values())
    print(
        "| conversations | message posts | proposals | writes applied | reached twice "
        "| answers lost after commit | replayed | duplicate side effects | time |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {len(targets)} | {sum(r[0] for r in results)} | {sum(r[1] for r in results)} "
        f"| {sum(c['applied'] for c in cancels.values())} "
        f"| {sum(1 for c in cancels.values() if c['reached'] > 1)} | {wire.lost} "
        f"| {sum(c['replayed'] for c in cancels.values())} | {duplicates} | {elapsed:.1f} s |"
    )
    for operation, state in (await runtime.backoffice.breaker_states()).items():
        print(f"breaker {operation}: {state.state}, opened at {state.opened_at}")
    await api.aclose()
    await office.aclose()
    await runtime.aclose()


class LoseFirstAnswers(httpx.AsyncBaseTransport):
    """The back office over ASGI; the first answer to every other idempotency key's write is
    lost after the back office committed it (the connector sees a read timeout)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: set[str] = set()
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        key = request.headers.get("idempotency-key")
        if key and key not in self.seen and request.method == "POST":
            self.seen.add(key)
            if len(self.seen) % 2:
                await response.aread()  # the back office ran the write and answered
                self.lost += 1
                raise httpx.ReadTimeout("the answer was lost after the commit", request=request)
        return response


async def _cancellable(office: httpx.AsyncClient, store: Any, wanted: int) -> list[tuple[str, str]]:
    """Reservations whose cancellation the back office would accept (a dry run), one per user."""
    found: dict[str, str] = {}
    for rid, record in store.reservations.items():
        if len(found) >= wanted:
            break
        user = record["user_id"]
        if user in found:
            continue
        url = f"/airline/reservations/{rid}/cancel?dry_run=true"
        if (await office.post(url, json={"reason": "change_of_plan"})).status_code == 200:
            found[user] = rid
    return list(found.items())


async def _one(api: httpx.AsyncClient, user: str, rid: str) -> tuple[int, int]:
    """One conversation's storm: (message posts, proposals made)."""
    started = await api.post("/api/conversations", json={"customer_id": user})
    body = started.json()
    assert started.status_code == 201, started.text
    cid, auth = body["conversation_id"], {"Authorization": f"Bearer {body['conversation_token']}"}
    url = f"/api/conversations/{cid}/messages"

    def post(text: str, key: str) -> Awaitable[httpx.Response]:
        return api.post(url, json={"text": text}, headers=auth | {"Idempotency-Key": key})

    asks = await asyncio.gather(
        *(post(f"please cancel my reservation {rid}", "ask") for _ in "1234")
    )
    posts = len(asks) + 4
    if not any(_confirm(a) for a in asks):  # asked which reservation: the customer answers
        asks = [await post(rid, "which")]
        posts += 1
    if not _confirm(asks[0]):
        print(f"not proposed ({user}, {rid}): {asks[0].json()['replies']}", file=sys.stderr)
    await asyncio.gather(post("yes", "tab-1"), post("yes", "tab-2"))
    await asyncio.gather(post("yes", "tab-1"), post("yes", "tab-2"))  # each tab resends
    return posts, int(_confirm(asks[0]))


def _confirm(answer: httpx.Response) -> bool:
    return bool((answer.json().get("decision") or {}).get("kind") == "confirm")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["overhead", "opening", "storm", "all"], default="all")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--redis", default=None, help="also time a breaker kept in Redis")
    parser.add_argument("--callers", type=int, default=10)
    parser.add_argument("--open-s", type=float, default=5.0)
    parser.add_argument("--slow-s", type=float, default=2.0)
    parser.add_argument("--conversations", type=int, default=20)
    args = parser.parse_args()
    if args.part in ("overhead", "opening", "all"):
        process, url = await start_backoffice()
        try:
            if args.part in ("overhead", "all"):
                await overhead(url, args.calls, args.rounds, args.redis)
            if args.part in ("opening", "all"):
                await opening(url, args.callers, args.open_s, args.slow_s)
        finally:
            process.terminate()
            await process.wait()
    if args.part in ("storm", "all"):
        await storm(args.conversations)


if __name__ == "__main__":
    asyncio.run(main())
