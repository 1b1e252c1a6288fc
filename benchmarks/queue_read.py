"""The handover queue's read: ``HandoffService.queue()`` and ``estimate()`` timed with 10, 50
and 200 conversations waiting, on an SQLite file and on PostgreSQL::

    .venv/bin/python benchmarks/queue_read.py [--waiting 10,50,200] [--repeat 200] \
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--json OUT]

Builds its own database for each queue size: a fresh SQLite file in a temporary folder and,
with ``--postgres``, a scratch database created on that server and dropped at the end. For
``N`` waiting conversations it writes, through the conversation repository as turns do: the
``N`` waiting ones, each with 1 to 3 handovers (escalated; escalated, taken and handed back,
escalated again; escalated, taken, left, taken, handed back, escalated, taken and left) and
customer messages with the bot's replies while waiting; ``N / 5`` escalated conversations an
agent holds; and ``4 N`` ended ones (escalated, taken, wrapped up): the history the read must
not grow with. Two packs with a skill each; one agent signed in with one of the skills.

Then it times, median of ``--repeat`` calls after one warm-up: ``queue()``, ``queue(agent)``
(the console's view), ``estimate(cid)`` of a waiting conversation and ``estimate(None,
pack)`` (a conversation about to join the queue), and counts the statements one ``queue()``
sends (SQLAlchemy's ``before_cursor_execute``). Every breach of the service level is logged
once (the log is silenced here). To compare two versions of the code, run this same script
against each, alternately (``PYTHONPATH=<other checkout>/src``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url

from warmline.domain.events import (
    AgentJoined,
    AgentLeft,
    AgentMessage,
    BotReplied,
    ConversationStarted,
    Disclosed,
    Escalated,
    Event,
    HandedBack,
    MessageReceived,
    Resolved,
    WrappedUp,
)
from warmline.domain.pack import Handoff
from warmline.services.handoff import HandoffService
from warmline.services.presence import Presence
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, is_sqlite, session_factory
from warmline.storage.migrate import upgrade

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PACKS = {"airline": "airline", "retail": "retail"}  # pack -> the skill its agents need


class _Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class _Conversations:
    """What ``HandoffService`` asks of the conversation service: its repository, clock, packs
    (only their handoff settings) and the replier it gives its estimate to."""

    def __init__(self, repo: ConversationRepository, clock: _Clock) -> None:
        self.repo = repo
        self.clock = clock
        self.replier = SimpleNamespace(wait_estimate=None)
        self._packs = {
            name: SimpleNamespace(pack=SimpleNamespace(handoff=Handoff(skill=skill)))
            for name, skill in PACKS.items()
        }

    def pack(self, name: str | None) -> Any:
        return self._packs[name or "airline"]


def _waiting_while(at: datetime, turns: int) -> list[Event]:
    events: list[Event] = []
    for k in range(turns):
        t = at + timedelta(seconds=20 * (k + 1))
        events += [MessageReceived(at=t, text="still there?"), BotReplied(at=t, text="soon")]
    return events


def _handovers(at: datetime, count: int) -> list[Event]:
    """A waiting conversation's log after its opening: ``count`` handovers, the last one
    leaving it in the queue."""
    t = [at + timedelta(seconds=30 * k) for k in range(20)]
    if count == 1:
        return [Escalated(at=t[0], trigger="customer_request"), *_waiting_while(t[0], 2)]
    if count == 2:
        return [
            Escalated(at=t[0], trigger="frustration"),
            AgentJoined(at=t[1], agent="ana"),
            AgentMessage(at=t[1], agent="ana", text="hello"),
            HandedBack(at=t[2], agent="ana"),
            BotReplied(at=t[2], text="I'm the AI assistant again"),
            Disclosed(at=t[2], how="handed_back"),
            MessageReceived(at=t[3], text="a person please"),
            Escalated(at=t[3], trigger="customer_request"),
            *_waiting_while(t[3], 1),
        ]
    return [
        Escalated(at=t[0], trigger="vip"),
        AgentJoined(at=t[1], agent="ana"),
        AgentLeft(at=t[2], agent="ana"),
        AgentJoined(at=t[3], agent="ben"),
        HandedBack(at=t[4], agent="ben"),
        BotReplied(at=t[4], text="I'm the AI assistant again"),
        MessageReceived(at=t[5], text="a person please"),
        Escalated(at=t[5], trigger="customer_request"),
        AgentJoined(at=t[6], agent="ana"),
        AgentLeft(at=t[7], agent="ana"),
        *_waiting_while(t[7], 1),
    ]


async def _conversation(
    repo: ConversationRepository, pack: str, at: datetime, tail: list[Event], status: str
) -> str:
    cid = str(uuid.uuid4())
    opening: list[Event] = [
        ConversationStarted(at=at, pack=pack, customer_id="u1"),
        BotReplied(at=at, text="hi, I'm an AI assistant"),
        Disclosed(at=at, how="greeting"),
        MessageReceived(at=at, text="my booking"),
        BotReplied(at=at, text="which one?"),
    ]
    await repo.create(cid, pack, "u1", "web", opening, at)
    await repo.append(cid, len(opening), tail, tail[-1].at, status=status)
    return cid


async def populate(repo: ConversationRepository, waiting: int) -> list[str]:
    """The queue and its history (see the module's docstring); the waiting ones' ids."""
    packs = list(PACKS)
    ids = []
    for i in range(waiting):
        at = START + timedelta(seconds=37 * i)
        tail = _handovers(at, 1 + i % 3)
        ids.append(await _conversation(repo, packs[i % 2], at, tail, "escalated"))
    for i in range(waiting // 5):
        at = START + timedelta(seconds=41 * i)
        held = [Escalated(at=at, trigger="vip"), AgentJoined(at=at, agent="ana")]
        await _conversation(repo, packs[i % 2], at, held, "escalated")
    for i in range(4 * waiting):
        at = START - timedelta(minutes=10 + i)
        ended = [
            Escalated(at=at, trigger="frustration"),
            AgentJoined(at=at, agent="ben"),
            WrappedUp(at=at, agent="ben", disposition="resolved"),
            Resolved(at=at, by="agent"),
        ]
        await _conversation(repo, packs[i % 2], at, ended, "resolved")
    return ids


async def _median_ms(call: Callable[[], Awaitable[Any]], repeat: int) -> float:
    await call()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await call()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


async def measure(url: str, waiting: int, repeat: int) -> dict[str, Any]:
    engine = create_engine(url)
    await upgrade(engine)
    repo = ConversationRepository(session_factory(engine), single_writer=is_sqlite(url))
    try:
        ids = await populate(repo, waiting)
        clock = _Clock(START + timedelta(hours=2))
        presence = Presence(clock)
        presence.sign_in("ana", ("airline",), 3)
        handoff = HandoffService(_Conversations(repo, clock), presence)  # type: ignore[arg-type]
        statements = 0

        def counted(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        queue = await handoff.queue()
        assert len(queue) == waiting, (len(queue), waiting)
        event.listen(engine.sync_engine, "before_cursor_execute", counted)
        await handoff.queue()
        event.remove(engine.sync_engine, "before_cursor_execute", counted)
        middle = ids[len(ids) // 2]
        return {
            "waiting": waiting,
            "statements_per_queue": statements,
            "queue_ms": await _median_ms(handoff.queue, repeat),
            "queue_agent_ms": await _median_ms(lambda: handoff.queue("ana"), repeat),
            "estimate_ms": await _median_ms(lambda: handoff.estimate(middle), repeat),
            "estimate_new_ms": await _median_ms(lambda: handoff.estimate(None, "airline"), repeat),
        }
    finally:
        await repo.aclose()
        await engine.dispose()


async def _scratch_postgres(server_url: str, statement: str) -> None:
    import asyncpg

    admin = make_url(server_url).set(drivername="postgresql")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    sizes = [int(n) for n in args.waiting.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            url = f"sqlite+aiosqlite:///{Path(folder) / f'queue-{n}.db'}"
            results.append({"backend": "sqlite", **await measure(url, n, args.repeat)})
    if args.postgres:
        for n in sizes:
            name = f"warmline_queue_bench_{os.getpid()}_{n}"
            await _scratch_postgres(args.postgres, f'CREATE DATABASE "{name}"')
            try:
                url = make_url(args.postgres).set(database=name)
                found = await measure(url.render_as_string(hide_password=False), n, args.repeat)
                results.append({"backend": "postgresql", **found})
            finally:
                await _scratch_postgres(args.postgres, f'DROP DATABASE "{name}" WITH (FORCE)')
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", default="10,50,200")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    logging.getLogger("warmline").setLevel(logging.ERROR)  # the breach warnings
    results = asyncio.run(run(args))
    print(f"{'backend':<11}{'waiting':>8}{'stmts':>6}", end="")
    print(f"{'queue ms':>10}{'agent ms':>10}{'estimate ms':>13}{'new ms':>9}")
    for r in results:
        print(
            f"{r['backend']:<11}{r['waiting']:>8}{r['statements_per_queue']:>6}"
            f"{r['queue_ms']:>10.2f}{r['queue_agent_ms']:>10.2f}"
            f"{r['estimate_ms']:>13.2f}{r['estimate_new_ms']:>9.2f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"python {sys.version.split()[0]}", file=sys.stderr)


if __name__ == "__main__":
    main()
