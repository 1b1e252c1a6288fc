"""Presence and the console's read marks shared through Redis (WARMLINE_TEST_REDIS_URL, set by
`make unit`): two runtimes on one Redis see the same agents on shift, what each holds, the
handle times observed and the read marks; an agent's presence expires; Redis away leaves each
worker its own view. Without Redis, presence stays in the process, as before."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from warmline.nlu.embeddings import Encoder
from warmline.services.console_unread import ReadMarks
from warmline.services.presence import Presence
from warmline.services.runtime import Runtime
from warmline.services.shared_state import SharedPresence, SharedStore
from warmline.types import SystemClock

from .live import free_port
from .test_scale import worker

REDIS_URL = os.environ.get("WARMLINE_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="WARMLINE_TEST_REDIS_URL not set")
WAIT_S = 10.0  # guards against a hang


async def until(check: Callable[[], bool], what: str) -> None:
    for _ in range(int(WAIT_S * 50)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never: {what}")


async def test_without_redis_presence_and_read_marks_stay_in_the_process(
    runtime: Runtime,
) -> None:
    assert type(runtime.handoff.presence) is Presence
    assert type(runtime.read_marks) is ReadMarks


@needs_redis
async def test_two_runtimes_on_one_redis_share_presence_handle_times_and_read_marks(
    encoder: Encoder, model_cache: Path, backoffice_app: object
) -> None:
    shared = {"redis_url": REDIS_URL, "redis_prefix": f"test-{uuid.uuid4().hex}:"}
    shared["shared_refresh_s"] = 0.05
    async with (
        worker(encoder, model_cache, backoffice_app, **shared) as one,
        worker(encoder, model_cache, backoffice_app, **shared) as two,
    ):
        here, there = one.handoff.presence, two.handoff.presence
        here.sign_in("ana", ("retail",), 2)
        here.assign("ana", "c1")
        await until(lambda: "c1" in getattr(there.agents.get("ana"), "active", {}), "a claim")
        assert there.agents["ana"].capacity == 2 and there.agents["ana"].skills == {"retail"}
        assert there.free("retail") == 1 and there.free("airline") == 0
        there.release("ana", "c1")
        await until(lambda: not here.agents["ana"].active and here.handle_times, "a release")
        assert len(here.handle_times) == 1 and here.handle_times[0] >= 0
        there.sign_out("ana")
        await until(lambda: "ana" not in here.agents, "a sign-out")

        assert two.read_marks.seen("ana", "c1") == 0
        one.read_marks.mark("ana", "c1", 5)
        one.read_marks.mark("ana", "c1", 3)  # never fewer than seen before
        await until(lambda: two.read_marks.seen("ana", "c1") == 5, "a read mark")


@needs_redis
async def test_a_bare_sign_in_on_another_worker_keeps_the_skills_and_capacity_chosen() -> None:
    assert REDIS_URL is not None
    prefix = f"test-{uuid.uuid4().hex}:"
    one, two = SharedStore(REDIS_URL, prefix), SharedStore(REDIS_URL, prefix)
    here, there = SharedPresence(SystemClock(), one), SharedPresence(SystemClock(), two)
    here.sign_in("ben", ("retail",), 1)
    await one.sync()
    there.sign_in("ben")  # put back by a console request before the sign-in is seen there
    assert there.agents["ben"].capacity == 3
    await two.sync()
    await one.sync()
    assert here.agents["ben"].capacity == there.agents["ben"].capacity == 1
    assert there.agents["ben"].skills == {"retail"}


@needs_redis
async def test_an_agent_on_shift_expires_after_the_ttl() -> None:
    assert REDIS_URL is not None
    store = SharedStore(REDIS_URL, f"test-{uuid.uuid4().hex}:")
    presence = SharedPresence(SystemClock(), store, ttl_s=1)
    presence.sign_in("ana")
    await store.sync()
    assert "ana" in presence.agents
    await asyncio.sleep(1.5)
    await store.sync()
    assert presence.agents == {}


async def test_redis_away_leaves_each_worker_its_own_view() -> None:
    store = SharedStore(f"redis://127.0.0.1:{free_port()}/0")
    presence = SharedPresence(SystemClock(), store)
    presence.sign_in("ana")
    presence.assign("ana", "c1")
    await store.sync()  # the writes and the read fail: counted, the mirror kept
    assert store.failures >= 2
    assert list(presence.agents["ana"].active) == ["c1"]
