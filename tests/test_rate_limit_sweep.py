"""The in-process rate limits' storage (``api/memory_store.py``): a hit starts no worker thread,
a sweep runs at most once a period and drops what expired, the limits refuse as ever, and a
``limits`` without the methods replaced is refused when the storage is made."""

from __future__ import annotations

import asyncio
from typing import Any

import limits
import pytest
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from warmline.api import memory_store
from warmline.api.memory_store import SweptMemoryStorage
from warmline.api.throttle import open_storage
from warmline.errors import ConfigurationError


class FakeTime:
    """``time`` as the library's storage and the sweep read it, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr("limits.aio.storage.memory.time", fake)
    monkeypatch.setattr(memory_store, "time", fake)
    return fake


def test_without_redis_the_limits_live_in_the_swept_storage() -> None:
    assert isinstance(open_storage(None), SweptMemoryStorage)


async def test_a_hit_hands_nothing_to_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    hops: list[Any] = []

    async def counted(function: Any, *args: Any) -> Any:
        hops.append(function)
        return function(*args)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    limiter = MovingWindowRateLimiter(SweptMemoryStorage(sweep_every_s=0.0))
    item = limits.parse("30/minute")
    for n in range(200):
        await limiter.hit(item, "messages", str(n % 50))
        await asyncio.sleep(0)  # the sweeps it schedules run
    assert hops == []


async def test_the_limits_refuse_past_the_window_as_ever(clock: FakeTime) -> None:
    limiter = MovingWindowRateLimiter(SweptMemoryStorage())
    item = limits.parse("2/minute")
    assert [await limiter.hit(item, "a") for _ in range(3)] == [True, True, False]
    assert await limiter.hit(item, "b")  # another address counts on its own
    clock.now += 61
    assert await limiter.hit(item, "a")


async def test_a_sweep_runs_at_most_once_a_period_and_drops_what_expired(clock: FakeTime) -> None:
    storage = SweptMemoryStorage(sweep_every_s=1.0)
    limiter = MovingWindowRateLimiter(storage)
    item = limits.parse("5/second")
    await limiter.hit(item, "old")
    await asyncio.sleep(0)  # the first sweep: nothing has expired yet
    await storage.incr("counter", 1)
    clock.now += 0.5
    await limiter.hit(item, "new")
    await asyncio.sleep(0)
    assert _addresses(storage) == {"old", "new"}  # within the period: no second sweep
    clock.now += 0.7  # "old" (and the counter) expired 0.2 s ago; "new" has 0.3 s to go
    await limiter.hit(item, "new")
    await asyncio.sleep(0)
    assert _addresses(storage) == {"new"}
    assert [len(entries) for entries in storage.events.values()] == [2]
    assert "counter" not in storage.storage and "counter" not in storage.expirations


def _addresses(storage: SweptMemoryStorage) -> set[str]:
    """The addresses with entries kept (the library's keys are ``LIMITER/<key>/<rate>``)."""
    return {key.split("/")[1] for key in storage.events}


def test_a_limits_without_the_replaced_methods_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(MemoryStorage, "_MemoryStorage__expire_events")
    with pytest.raises(ConfigurationError, match="memory_store"):
        SweptMemoryStorage()


async def test_a_long_sweep_gives_way_to_other_tasks(
    clock: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory_store, "YIELD_EVERY", 2)
    storage = SweptMemoryStorage(sweep_every_s=3600.0)
    limiter = MovingWindowRateLimiter(storage)
    item = limits.parse("5/second")
    for n in range(6):
        await limiter.hit(item, str(n))
    await asyncio.sleep(0)  # the first sweep, with nothing expired
    clock.now += 2
    seen: list[int] = []

    async def meanwhile() -> None:
        seen.append(len(storage.events))

    sweep = asyncio.create_task(storage._sweep())
    other = asyncio.create_task(meanwhile())
    await asyncio.gather(sweep, other)
    assert 0 < seen[0] < 6  # ran between two stretches of the sweep
    assert storage.events == {}
