"""Two real `warmline serve` processes on one PostgreSQL database (a database of this run's
own) and NATS JetStream: a customer's stream opened on worker A receives what an agent posts
through worker B, and the console's stream on B receives what the customer posts on A. Skips
without WARMLINE_TEST_POSTGRES_URL and WARMLINE_TEST_NATS_URL (`make unit` sets both)."""

from __future__ import annotations

import json
import os
import queue
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from warmline.nlu.engine import NluEngine

from .conftest import MINI_PACK, POSTGRES_URL, csrf_from
from .live import free_port, wait_for

NATS_URL = os.environ.get("WARMLINE_TEST_NATS_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
    pytest.mark.skipif(not NATS_URL, reason="WARMLINE_TEST_NATS_URL not set"),
]
LIMIT_S = 120  # guards against a hang; nothing here measures speed


@contextmanager
def process(command: list[str], env: dict[str, str], health: str) -> Iterator[None]:
    proc = subprocess.Popen(command, env=env)
    try:
        wait_for(health, proc)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def shared_env(database: str, model_cache: Path, bo_port: int) -> dict[str, str]:
    """What every worker shares: the database, NATS, the secret key and the trained models."""
    return {
        **os.environ,
        "WARMLINE_DATABASE_URL": database,
        "WARMLINE_NATS_URL": str(NATS_URL),
        "WARMLINE_SECRET_KEY": secrets.token_urlsafe(48),
        "WARMLINE_BACKOFFICE_URL": f"http://127.0.0.1:{bo_port}",
        "WARMLINE_MODEL_DIR": str(model_cache),
        "WARMLINE_PACKS": json.dumps([str(MINI_PACK)]),
        "WARMLINE_DEFAULT_PACK": "mini_airline",
        "WARMLINE_LOG_LEVEL": "warning",
        "WARMLINE_ENVIRONMENT": "test",
        "WARMLINE_CUSTOMER_PICKER": "1",
    }


def serve(port: int, *options: str) -> list[str]:
    return [sys.executable, "-m", "warmline.cli", "serve", "--port", str(port), *options]


@pytest.fixture(scope="module")
def backoffice_and_env(
    postgres_database: str, model_cache: Path, mini_nlu: NluEngine
) -> Iterator[dict[str, str]]:
    """The reference back office, and the environment of workers that use it
    (``mini_nlu`` trained the models into ``model_cache`` first)."""
    bo_port = free_port()
    env = shared_env(postgres_database, model_cache, bo_port)
    command = [sys.executable, "-m", "warmline.demo.backoffice", "--port", str(bo_port)]
    with process(command, env, f"http://127.0.0.1:{bo_port}/_health"):
        yield env


@pytest.fixture(scope="module")
def workers(backoffice_and_env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Two warmline workers, each a `warmline serve` of its own on a port of its own."""
    ports = (free_port(), free_port())
    with ExitStack() as stack:
        for port in ports:  # one after the other: the first migrates the new database
            health = f"http://127.0.0.1:{port}/healthz"
            stack.enter_context(process(serve(port), backoffice_and_env, health))
        yield f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"


def read_stream(client: httpx.Client, path: str, out: queue.Queue[tuple[str, dict]]) -> None:
    """Put each server-sent event of ``path`` on ``out`` as (event, data)."""
    try:
        with client.stream("GET", path) as stream:
            event = ""
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    out.put((event, json.loads(line[5:])))
    except (httpx.HTTPError, RuntimeError):  # the test closed the client: the reading ends
        return


def follow(client: httpx.Client, path: str) -> queue.Queue[tuple[str, dict]]:
    """Open the stream in a thread; return once it is ``ready`` (nothing later is missed)."""
    events: queue.Queue[tuple[str, dict]] = queue.Queue()
    threading.Thread(target=read_stream, args=(client, path, events), daemon=True).start()
    assert events.get(timeout=LIMIT_S)[0] == "ready"
    return events


def next_message(events: queue.Queue[tuple[str, dict]], author: str) -> dict:
    while True:
        kind, data = events.get(timeout=LIMIT_S)
        if kind == "message" and data["author"] == author:
            return data


@contextmanager
def signed_in(base_url: str) -> Iterator[httpx.Client]:
    """An agent's client signed in to the console, as a browser with htmx does."""
    with httpx.Client(base_url=base_url, timeout=LIMIT_S) as client:
        token = csrf_from(client.get("/console/signin").text)
        form = {"name": "ana", "password": "agent", "csrf_token": token, "capacity": "2"}
        assert client.post("/console/signin", data=form).status_code == 303
        client.headers["X-CSRF-Token"] = client.get("/api/agent/session").json()["csrf_token"]
        yield client


def test_a_customer_on_one_worker_and_an_agent_on_another_see_each_other_live(
    workers: tuple[str, str],
) -> None:
    a, b = workers
    with httpx.Client(base_url=a, timeout=LIMIT_S) as customer, signed_in(b) as agent:
        started = customer.post("/api/conversations", json={}).json()
        cid = started["conversation_id"]
        customer.headers["authorization"] = f"Bearer {started['conversation_token']}"
        on_a = follow(customer, f"/api/conversations/{cid}/stream")
        on_b = follow(agent, f"/api/agent/conversations/{cid}/stream")

        asked = customer.post(f"/api/conversations/{cid}/handoff")
        assert asked.status_code == 200, asked.text
        said = customer.post(f"/api/conversations/{cid}/messages", json={"text": "still there?"})
        assert said.status_code == 200, said.text
        assert next_message(on_b, "customer")["text"] == "still there?"  # recorded on A

        assert agent.post(f"/api/agent/conversations/{cid}/claim").status_code == 200
        reply = agent.post(f"/api/agent/conversations/{cid}/messages", json={"text": "Hi, Ana"})
        assert reply.status_code == 204, reply.text
        assert next_message(on_a, "agent")["text"] == "Hi, Ana"  # recorded on B


def test_serve_with_two_workers_serves_turns(backoffice_and_env: dict[str, str]) -> None:
    port = free_port()
    command = serve(port, "--workers", "2")  # migrates, then starts both
    base_url = f"http://127.0.0.1:{port}"
    with (
        process(command, backoffice_and_env, f"{base_url}/healthz"),
        httpx.Client(base_url=base_url, timeout=LIMIT_S) as client,
    ):
        for _ in range(3):  # whichever worker takes each request
            started = client.post("/api/conversations", json={}).json()
            cid, token = started["conversation_id"], started["conversation_token"]
            reply = client.post(
                f"/api/conversations/{cid}/messages",
                json={"text": "hello"},
                headers={"authorization": f"Bearer {token}"},
            )
            assert reply.status_code == 200 and reply.json()["replies"]
