"""Rate limits, sign-in throttling and session revocations shared by several workers through
Redis (WARMLINE_REDIS_URL): what one process counts or revokes, another sees. Uses the real
local Redis (WARMLINE_TEST_REDIS_URL, set by `make unit`)."""

from __future__ import annotations

import os
import uuid

import pytest

from warmline.api.sessions import Revocations
from warmline.api.throttle import Throttle, open_storage
from warmline.errors import RateLimited

REDIS_URL = os.environ.get("WARMLINE_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(REDIS_URL is None, reason="WARMLINE_TEST_REDIS_URL is not set")


async def test_two_workers_share_one_rate_limit() -> None:
    assert REDIS_URL is not None
    first, second = Throttle(open_storage(REDIS_URL)), Throttle(open_storage(REDIS_URL))
    client = f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex}"
    await first.hit("3/minute", "start", client)
    await second.hit("3/minute", "start", client)
    await first.hit("3/minute", "start", client)
    with pytest.raises(RateLimited) as refused:
        await second.hit("3/minute", "start", client)  # the fourth, counted across both
    assert refused.value.retry_after_s >= 1
    await second.hit("3/minute", "start", f"another-{client}")  # others are not affected


async def test_a_sign_out_on_one_worker_ends_the_session_on_every_worker() -> None:
    assert REDIS_URL is not None
    here, there = (Revocations(open_storage(REDIS_URL), 3600) for _ in range(2))
    session, agent = uuid.uuid4().hex, f"ana-{uuid.uuid4().hex}"
    assert not await there.revoked(session)
    await here.revoke(session)
    assert await there.revoked(session)
    before = await there.generation(agent)
    await here.revoke_agent(agent)
    assert await there.generation(agent) == before + 1
