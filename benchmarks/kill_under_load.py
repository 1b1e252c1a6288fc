"""A worker killed with SIGKILL under load loses no acknowledged message and doubles none::

    .venv/bin/python benchmarks/kill_under_load.py --conversations 100 [--kill-after 8]

Two `warmline serve` processes on one fresh PostgreSQL database (made and dropped here) and
NATS JetStream, the reference back office, and this process as the customers: each
conversation starts on a worker, then sends eight messages, each with its own idempotency key.
A message whose answer does not come (the connection broke, a 5xx) is sent again with the
same key, to the other worker, until it is answered; the conversation stays with the worker
that answered. ``--kill-after`` seconds in, one worker is
killed with SIGKILL. At the end every conversation's event log is read back: each
acknowledged key must be recorded exactly once, and every conversation must have all eight.
Needs PostgreSQL (``--admin-url``, local trust auth) and NATS (``--nats``) as `make unit` has.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import jwt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.http_turns import CUSTOMERS  # noqa: E402
from tests.live import free_port, wait_for  # noqa: E402

SECRET = "kill-under-load-benchmark-identity-secret-0123456789"
TEXTS = [
    "where is my reservation {r}?",
    "how many bags can I bring?",
    "am I talking to a bot?",
    "what's the baggage allowance for basic economy?",
    "can you check reservation {r} again please",
    "is my flight on time?",
    "thanks",
    "ok",
]
RESERVATIONS = {who: reservation for who, reservation, _ in CUSTOMERS}


async def _post(urls: list[str], first: int, path: str, **kw: object) -> tuple[int, dict]:
    """Post until answered 2xx, the first try at ``urls[first]``, then the others in turn;
    return the index of the worker that answered and the answer."""
    tries = 0
    async with httpx.AsyncClient(timeout=60) as client:
        while True:
            url = urls[(first + tries) % len(urls)]
            try:
                answer = await client.post(url + path, **kw)  # type: ignore[arg-type]
                if answer.status_code < 300:
                    return (first + tries) % len(urls), answer.json()
            except httpx.HTTPError:
                pass
            tries += 1
            await asyncio.sleep(min(2.0, 0.1 * 2**tries))


async def conversation(urls: list[str], n: int, record: dict[str, object]) -> None:
    who = CUSTOMERS[n % len(CUSTOMERS)][0]
    token = jwt.encode({"sub": who, "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")
    first = n % len(urls)
    first, started = await _post(
        urls, first, "/api/conversations", json={"pack": "airline", "identity_token": token}
    )
    cid, headers = (
        started["conversation_id"],
        {"authorization": f"Bearer {started['conversation_token']}"},
    )
    keys: list[str] = []
    retries = 0
    for text in TEXTS:
        key = uuid.uuid4().hex
        path = f"/api/conversations/{cid}/messages"
        body = {"text": text.format(r=RESERVATIONS[who]), "idempotency_key": key}
        answered, _ = await _post(urls, first, path, json=body, headers=headers)
        retries += answered != first  # sent again, to the other worker, which is kept
        first = answered
        keys.append(key)
        await asyncio.sleep(random.uniform(0.05, 0.3))
    record[cid] = {"keys": keys, "headers": headers, "retries": retries}


async def recorded_keys(url: str, cid: str, headers: dict[str, str]) -> list[str]:
    async with httpx.AsyncClient(timeout=60) as client:
        events = (await client.get(f"{url}/api/conversations/{cid}/events", headers=headers)).json()
    rows = [row["event"] for row in events]
    return [e.get("idempotency_key") for e in rows if e.get("kind") == "message_received"]


def _backoffice(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "warmline.demo.backoffice", "--port", str(port)]
    return subprocess.Popen(command, env=env)


def _server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "warmline.cli", "serve", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


async def run(args: argparse.Namespace, work: Path) -> dict[str, object]:
    database = f"warmline_kill_{os.getpid()}"
    admin = await asyncpg.connect(args.admin_url)
    await admin.execute(f"CREATE DATABASE {database}")
    bo_port, ports = free_port(), [free_port(), free_port()]
    env = {
        **os.environ,
        "WARMLINE_DATABASE_URL": "postgresql+asyncpg://"
        + args.admin_url.split("://", 1)[1].rsplit("/", 1)[0]
        + f"/{database}",
        "WARMLINE_NATS_URL": args.nats,
        "WARMLINE_BACKOFFICE_URL": f"http://127.0.0.1:{bo_port}",
        "WARMLINE_MODEL_DIR": str(args.model_dir),
        "WARMLINE_PACKS": '["airline"]',
        "WARMLINE_IDENTITY_SECRET": SECRET,
        "WARMLINE_LOG_LEVEL": "warning",
        "WARMLINE_START_LIMIT": "100000/minute",
        "WARMLINE_MESSAGE_LIMIT": "1000000/minute",
    }
    backoffice = _backoffice(env, bo_port)
    wait_for(f"http://127.0.0.1:{bo_port}/_health", backoffice)
    first = _server(env, ports[0], work / "worker-a.log")  # migrates the fresh database
    wait_for(f"http://127.0.0.1:{ports[0]}/healthz", first)
    second = _server(env, ports[1], work / "worker-b.log")
    wait_for(f"http://127.0.0.1:{ports[1]}/healthz", second)
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    record: dict[str, object] = {}
    try:
        started = time.monotonic()
        tasks = [
            asyncio.create_task(conversation(urls, n, record)) for n in range(args.conversations)
        ]
        await asyncio.sleep(args.kill_after)
        first.send_signal(signal.SIGKILL)
        killed_at = time.monotonic() - started
        await asyncio.gather(*tasks)
        lost = doubled = incomplete = 0
        for cid, entry in record.items():
            seen = await recorded_keys(urls[1], cid, entry["headers"])  # type: ignore[index]
            keys = entry["keys"]  # type: ignore[index]
            lost += sum(1 for k in keys if k not in seen)
            doubled += sum(seen.count(k) - 1 for k in keys if seen.count(k) > 1)
            incomplete += len(seen) != len(keys)
        return {
            "conversations": len(record),
            "messages acknowledged": sum(len(e["keys"]) for e in record.values()),  # type: ignore[index]
            "messages sent again": sum(e["retries"] for e in record.values()),  # type: ignore[index]
            "killed at s": round(killed_at, 1),
            "took s": round(time.monotonic() - started, 1),
            "lost": lost,
            "duplicated": doubled,
            "conversations not complete": incomplete,
        }
    finally:
        for proc in (first, second, backoffice):
            proc.kill()
            proc.wait()
        await admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--kill-after", type=float, default=8.0)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--model-dir", type=Path, default=ROOT / "var" / "models")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(run(args, Path(tmp))), indent=1))


if __name__ == "__main__":
    main()
