"""Two real `warmline serve` processes on one PostgreSQL database, NATS and Redis: an agent who
signs in and claims a conversation on one worker is on shift, with their capacity and the
conversation they hold, on the other. Skips without WARMLINE_TEST_POSTGRES_URL,
WARMLINE_TEST_NATS_URL and WARMLINE_TEST_REDIS_URL (`make unit` sets them)."""

from __future__ import annotations

import os
import time
import uuid
from contextlib import ExitStack

import httpx
import pytest

from .conftest import POSTGRES_URL
from .live import free_port
from .test_scale_live import LIMIT_S, backoffice_and_env, process, serve, signed_in

REDIS_URL = os.environ.get("WARMLINE_TEST_REDIS_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
    pytest.mark.skipif(not os.environ.get("WARMLINE_TEST_NATS_URL"), reason="no NATS"),
    pytest.mark.skipif(not REDIS_URL, reason="WARMLINE_TEST_REDIS_URL not set"),
]
__all__ = ["backoffice_and_env"]  # the fixture, shared with test_scale_live


def test_an_agent_on_shift_on_one_worker_is_on_shift_on_the_other(
    backoffice_and_env: dict[str, str],
) -> None:
    env = {
        **backoffice_and_env,
        "WARMLINE_REDIS_URL": str(REDIS_URL),
        "WARMLINE_REDIS_PREFIX": f"test-{uuid.uuid4().hex}:",
        "WARMLINE_SHARED_REFRESH_S": "0.2",
    }
    ports = (free_port(), free_port())
    a, b = (f"http://127.0.0.1:{port}" for port in ports)
    with ExitStack() as stack:
        for port, url in zip(ports, (a, b), strict=True):
            stack.enter_context(process(serve(port), env, f"{url}/healthz"))
        customer = stack.enter_context(httpx.Client(base_url=a, timeout=LIMIT_S))
        started = customer.post("/api/conversations", json={}).json()
        cid = started["conversation_id"]
        customer.headers["authorization"] = f"Bearer {started['conversation_token']}"
        assert customer.post(f"/api/conversations/{cid}/handoff").status_code == 200
        agent = stack.enter_context(signed_in(b))  # capacity 2, on B
        assert agent.post(f"/api/agent/conversations/{cid}/claim").status_code == 200
        wanted = {"name": "ana", "capacity": 2, "skills": [], "holding": [cid]}
        deadline = time.monotonic() + 10
        seen: object = None
        while time.monotonic() < deadline and seen != [wanted]:
            seen = agent.get(f"{a}/api/agent/agents").json()  # the same cookie, on A
            time.sleep(0.1)
        assert seen == [wanted]
