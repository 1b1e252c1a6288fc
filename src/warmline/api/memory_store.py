"""The in-process ``limits`` storage (``async+memory://``), its clean-up made cheap.

``limits``' own ``MemoryStorage`` starts a sweep of expired entries after every hit, and the
sweep hands each key to a worker thread in turn (``asyncio.to_thread``, a key per client
address here). With a few hundred addresses in the last minute a sweep never finishes before
the next hit asks for another: the sweeps ran back to back and took about 0.7 of a core at 150
requests/s with 500 addresses, and even with one address a thread hop or two per request
(BENCHMARKS.md, "The rate limiter's clean-up"). ``SweptMemoryStorage`` sweeps at most once every
``SWEEP_EVERY_S``, on the event loop, without threads: a list of one key's entries is cut in
one bisection. Nothing a limit decides depends on the sweep (a hit reads only the entries
inside its window, a counter's expiry is checked when it is read), so a sweep once a second
only bounds what expired entries cost in memory to about a second's worth.

The sweep replaces two of the library's private methods (by their mangled names); the names
are checked when the storage is made, and an upgrade that renames them is refused there
(``tests/test_rate_limit_sweep.py`` fails first)."""

from __future__ import annotations

import asyncio
import bisect
import time
from typing import Any

from limits.aio.storage import MemoryStorage

from warmline.errors import ConfigurationError

SWEEP_EVERY_S = 1.0
YIELD_EVERY = 2000
_REPLACED = ("_MemoryStorage__schedule_expiry", "_MemoryStorage__expire_events")


class SweptMemoryStorage(MemoryStorage):
    """``limits``' in-process storage, swept at most once every ``sweep_every_s``."""

    # no STORAGE_SCHEME of its own: limits' registry keeps "async+memory" for its own class

    def __init__(self, sweep_every_s: float = SWEEP_EVERY_S, **options: Any) -> None:
        super().__init__(**options)
        missing = [name for name in _REPLACED if not hasattr(MemoryStorage, name)]
        if missing:
            raise ConfigurationError(
                f"this version of limits has no {', '.join(missing)}: the in-process rate "
                "limits' sweep (api/memory_store.py) needs updating"
            )
        self.sweep_every_s = sweep_every_s
        self._next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:  # the library's name
        now = time.monotonic()
        if now < self._next_sweep or (self.timer is not None and not self.timer.done()):
            return
        self._next_sweep = now + self.sweep_every_s
        self.timer = asyncio.create_task(self._sweep())

    async def _MemoryStorage__expire_events(self) -> None:  # the library's name
        await self._sweep()

    async def _sweep(self) -> None:
        """Drop the entries and counters that have expired, as the library's sweep does,
        giving way to other tasks every ``YIELD_EVERY`` keys (100,000 addresses take tens of
        milliseconds); each key is dealt with in one go."""
        now = time.time()
        for n, key in enumerate(list(self.events)):
            if n and n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            entries = self.events.get(key)
            if entries:  # newest first: the expired ones are a tail, found by one bisection
                cut = bisect.bisect_left(entries, -now, key=lambda entry: -entry.expiry)
                if cut < len(entries):
                    del entries[cut:]
            if not self.events.get(key):
                self.events.pop(key, None)
                if key not in self.storage:
                    self.locks.pop(key, None)
        for n, (key, expires) in enumerate(list(self.expirations.items())):
            if n and n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            if expires <= now and self.expirations.get(key) == expires:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                if key not in self.events:
                    self.locks.pop(key, None)
