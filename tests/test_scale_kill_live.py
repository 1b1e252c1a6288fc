"""A worker killed with SIGKILL in the middle of a customer's turn loses nothing: two real
`warmline serve` processes on one PostgreSQL database and NATS, a back office slow enough that
the turn is caught holding its conversation's advisory lock. PostgreSQL releases the dead
worker's lock with its connection; the client's retry with the same idempotency key on the
other worker records the message once and answers it, an acknowledged message retried there is
not recorded again, and the conversation goes on there, live stream included. Skips without
WARMLINE_TEST_POSTGRES_URL and WARMLINE_TEST_NATS_URL (`make unit` sets both)."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from warmline.nlu.engine import NluEngine

from .conftest import POSTGRES_URL
from .live import free_port, wait_for
from .test_scale_live import LIMIT_S, follow, process, serve, shared_env

NATS_URL = os.environ.get("WARMLINE_TEST_NATS_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
    pytest.mark.skipif(not NATS_URL, reason="WARMLINE_TEST_NATS_URL not set"),
]
CUSTOMER = "chen_jackson_3290"
LATENCY_MS = 2500  # every back-office read: long enough to catch a turn in the middle


@pytest.fixture(scope="module")
def slow_env(
    postgres_database: str, model_cache: Path, mini_nlu: NluEngine
) -> Iterator[dict[str, str]]:
    """A back office that answers every data request after ``LATENCY_MS``, and the workers'
    environment (no account reuse: every turn reads the account, so every turn waits)."""
    bo_port = free_port()
    env = {**shared_env(postgres_database, model_cache, bo_port), "WARMLINE_ACCOUNT_TTL_S": "0"}
    command = [sys.executable, "-m", "warmline.demo.backoffice", "--port", str(bo_port)]
    command += ["--latency-ms", str(LATENCY_MS)]
    with process(command, env, f"http://127.0.0.1:{bo_port}/_health"):
        yield env


def advisory_locks(database: str) -> int:
    """How many advisory locks are held in ``database`` now."""

    async def count() -> int:
        connection = await asyncpg.connect(database.replace("+asyncpg", ""))
        try:
            query = (
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            return int(await connection.fetchval(query))
        finally:
            await connection.close()

    return asyncio.run(count())


def until(check: object, what: str) -> None:
    deadline = time.monotonic() + LIMIT_S
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"never: {what}")


def post(client: httpx.Client, cid: str, text: str, key: str) -> httpx.Response:
    return client.post(
        f"/api/conversations/{cid}/messages", json={"text": text}, headers={"Idempotency-Key": key}
    )


def messages_by_key(client: httpx.Client, cid: str) -> list[str]:
    log = client.get(f"/api/conversations/{cid}/events").json()
    return [e["event"]["idempotency_key"] for e in log if e["event"]["kind"] == "message_received"]


def test_a_worker_killed_mid_turn_loses_nothing_and_duplicates_nothing(
    slow_env: dict[str, str],
) -> None:
    port_a, port_b = free_port(), free_port()
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    worker_a = subprocess.Popen(serve(port_a), env=slow_env)
    try:
        wait_for(f"{a}/healthz", worker_a)  # A first: it migrates the database
        with (
            process(serve(port_b), slow_env, f"{b}/healthz"),
            httpx.Client(base_url=a, timeout=LIMIT_S) as on_a,
            httpx.Client(base_url=b, timeout=LIMIT_S) as on_b,
        ):
            started = on_a.post("/api/conversations", json={"customer_id": CUSTOMER}).json()
            cid = started["conversation_id"]
            for client in (on_a, on_b):
                client.headers["authorization"] = f"Bearer {started['conversation_token']}"
            first = post(on_a, cid, "hello", "k1")
            assert first.status_code == 200, first.text  # acknowledged by A
            live_on_b = follow(on_b, f"/api/conversations/{cid}/stream")

            cut: queue.Queue[object] = queue.Queue()
            threading.Thread(
                target=lambda: cut.put(_try_post(on_a, cid, "where is my booking?", "k2")),
                daemon=True,
            ).start()
            until(lambda: advisory_locks(slow_env["WARMLINE_DATABASE_URL"]) == 1, "A mid-turn")
            worker_a.send_signal(signal.SIGKILL)
            worker_a.wait(timeout=LIMIT_S)
            assert isinstance(cut.get(timeout=LIMIT_S), httpx.HTTPError)  # never answered
            until(lambda: advisory_locks(slow_env["WARMLINE_DATABASE_URL"]) == 0, "lock freed")
            assert messages_by_key(on_b, cid) == ["k1"]  # the cut turn recorded nothing

            retried = post(on_b, cid, "where is my booking?", "k2")
            assert retried.status_code == 200 and retried.json()["replies"], retried.text
            again = post(on_b, cid, "hello", "k1")  # an acknowledged message, retried on B
            assert again.status_code == 200 and again.json() == first.json()
            assert post(on_b, cid, "thanks", "k3").status_code == 200  # the talk goes on
            assert messages_by_key(on_b, cid) == ["k1", "k2", "k3"]  # once each, in order
            seen = _customer_lines(live_on_b, 2)
            assert seen == ["where is my booking?", "thanks"]
    finally:
        if worker_a.poll() is None:
            worker_a.kill()
            worker_a.wait(timeout=10)


def _try_post(client: httpx.Client, cid: str, text: str, key: str) -> object:
    try:
        return post(client, cid, text, key)
    except httpx.HTTPError as exc:
        return exc


def _customer_lines(events: queue.Queue[tuple[str, dict]], count: int) -> list[str]:
    lines: list[str] = []
    while len(lines) < count:
        kind, data = events.get(timeout=LIMIT_S)
        if kind == "message" and data["author"] == "customer":
            lines.append(data["text"])
    return lines
