"""CPU per HTTP request of a turn, in-process: the app with its whole middleware stack behind
an ASGI client, on an SQLite file, posting the HTTP load benchmark's turns (``locustfile.py``)
as its airline customers do, one conversation after another::

    .venv/bin/python benchmarks/http_turns.py --conversations 60
    .venv/bin/python benchmarks/http_turns.py --database-url postgresql+asyncpg://postgres@127.0.0.1/x \
        --nats-url nats://127.0.0.1:4222 --model-dir var/models --profile reports/turns.prof

``--database-url`` names another database than a fresh SQLite file (a PostgreSQL one must exist
and be migrated: ``warmline migrate``); with PostgreSQL the turns take the conversation's
advisory lock as several workers do. ``--profile`` writes a cProfile of the measured requests.
Prints the median and 90th percentile CPU time of a conversation start and of a turn, twice:
the whole process's (``time.process_time``: the client, the NLU's and the database driver's
threads and the reference back office in-process included) and the server's event-loop thread
alone (``time.thread_time`` inside the app, less the back office app's own), which is where the
middleware, the routes and the service's own stages run. Each conversation is a customer of its
own, with its own cookies. No network, no concurrency: what one request costs, not how long it
waits.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt

from warmline.app import create_app
from warmline.demo.backoffice.app import create_app as reference_backoffice
from warmline.services.runtime import Runtime
from warmline.settings import get_settings

SECRET = "http-turns-benchmark-identity-secret-0123456789"
Figures = dict[str, list[float]]
CUSTOMERS = [
    ("chen_jackson_3290", "4WQ150", "HAT170"),
    ("harper_lopez_1489", "T1QOBS", "HAT060"),
    ("mohamed_taylor_9830", "WPK8DQ", "HAT292"),
]
TURNS = [
    "hello",
    "where is my reservation {reservation}?",
    "how many bags can I bring?",
    "I need to cancel my bag",
    "am I talking to a bot?",
    "what is the status of flight {flight}?",
    "can you check reservation {reservation} again please",
    "thanks",
]


class LoopCPU:
    """An ASGI wrapper adding the event-loop thread's CPU time spent inside ``app`` (requests run
    one at a time) to ``spent``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.spent = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start = time.thread_time()
        try:
            await self.app(scope, receive, send)
        finally:
            self.spent += time.thread_time() - start


class Meter:
    """Each request's CPU: the process's, and the server loop's less the back office's."""

    def __init__(self, server: LoopCPU, backoffice: LoopCPU) -> None:
        self.server, self.backoffice = server, backoffice
        self.figures: Figures = {f"{k} {w}": [] for w in ("process", "loop") for k in REQUESTS}

    @asynccontextmanager
    async def request(self, kind: str) -> AsyncIterator[None]:
        process = time.process_time()
        server, backoffice = self.server.spent, self.backoffice.spent
        yield
        self.figures[f"{kind} process"].append((time.process_time() - process) * 1e3)
        loop = (self.server.spent - server) - (self.backoffice.spent - backoffice)
        self.figures[f"{kind} loop"].append(loop * 1e3)


REQUESTS = ("start", "turn")


async def conversation(
    client: httpx.AsyncClient, customer: tuple[str, str, str], meter: Meter
) -> None:
    """One conversation: a start and the eight turns, each request's CPU into ``meter``."""
    client.cookies.clear()  # a customer of its own: only this conversation's cookies
    who, reservation, flight = customer
    token = jwt.encode({"sub": who, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
    async with meter.request("start"):
        answer = await client.post(
            "/api/conversations", json={"pack": "airline", "identity_token": token}
        )
    assert answer.status_code == 201, answer.text
    started = answer.json()
    headers = {"authorization": f"Bearer {started['conversation_token']}"}
    url = f"/api/conversations/{started['conversation_id']}/messages"
    for turn in TURNS:
        text = turn.format(reservation=reservation, flight=flight)
        async with meter.request("turn"):
            answer = await client.post(url, json={"text": text}, headers=headers)
        assert answer.status_code == 200, answer.text


async def main(args: argparse.Namespace, folder: Path) -> None:
    extra: dict[str, object] = {}
    if args.model_dir:
        extra["model_dir"] = args.model_dir
    if args.nats_url:
        extra["nats_url"] = args.nats_url
    settings = get_settings(
        database_url=args.database_url or f"sqlite+aiosqlite:///{folder}/http-turns.db",
        packs=["airline"],
        default_pack="airline",
        backoffice_url="http://reference-backoffice",
        environment="test",
        identity_secret=SECRET,
        start_limit="100000/minute",
        message_limit="1000000/minute",
        **extra,
    )
    backoffice = LoopCPU(reference_backoffice())
    runtime = await Runtime.build(settings, transport=httpx.ASGITransport(app=backoffice))
    server = LoopCPU(create_app(settings, runtime))
    meter = Meter(server, backoffice)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=server), base_url="http://warmline.test"
        ) as client:
            for i in range(3):  # warm-up, not counted
                await conversation(client, CUSTOMERS[i], Meter(server, backoffice))
            profile = cProfile.Profile(time.thread_time) if args.profile else None
            if profile is not None:
                profile.enable()
            for i in range(args.conversations):
                await conversation(client, CUSTOMERS[i % len(CUSTOMERS)], meter)
            if profile is not None:
                profile.disable()
                profile.dump_stats(args.profile)
    finally:
        await runtime.aclose()
    print("| request, CPU of | p50 ms | p90 ms | requests |\n|---|---|---|---|")
    for name, values in meter.figures.items():
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        print(f"| {name} | {statistics.median(values):.2f} | {p90:.2f} | {len(values)} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=60)
    parser.add_argument("--database-url", help="default: an SQLite file in a temporary folder")
    parser.add_argument("--nats-url", help="live events through NATS, as several workers share")
    parser.add_argument("--model-dir", help="trained models to reuse (default: settings')")
    parser.add_argument("--profile", help="write a cProfile of the measured requests here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(args, Path(tmp)))
