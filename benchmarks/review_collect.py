"""The review queue's collection over a large event log, timed on SQLite and PostgreSQL::

    .venv/bin/python benchmarks/review_collect.py [--conversations 20000] [--new 20] \
        [--sqlite /tmp/review-bench.db] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]

Bulk-inserts ``--conversations`` conversations of two customer turns each (11 or 12 events:
the start, each turn's message, reading, decision and reply, a thumb on a tenth of them, an
agent's wrap-up with a corrected intent on 3 %; confidences drawn so that about a third of the
turns are worth a label) into a fresh SQLite file and, with ``--postgres``, a scratch database
created on that server and dropped at the end. Then it times what the console page and
``warmline review collect`` run (``services/learning.py``):

* the first collection of the whole log (a database the queue meets for the first time);
* a page load with nothing new (the watermark read, one empty range scan);
* a page load after ``--new`` new turns in as many conversations (their logs refolded);
* the queue's first page and the misclassification log (50 items each, median of 5).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.domain.decision import Decision, Reason
from warmline.domain.events import (
    AnswerRated,
    BotReplied,
    ConversationStarted,
    Decided,
    Event,
    MessageReceived,
    Understood,
    WrappedUp,
    event_to_json,
)
from warmline.domain.understanding import IntentScore, Understanding
from warmline.services.audit import AuditLog
from warmline.services.learning import PAGE_BATCHES, Learning
from warmline.storage.audit import AuditRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.learning import LearningRepository
from warmline.storage.migrate import upgrade
from warmline.storage.tables import ConversationRow, EventRow

INTENTS = ("baggage", "cancel_reservation", "change_flight", "refund", "seat", "compensation")
BATCH = 1000


def turn(rng: random.Random, at: datetime, intent: str) -> list[Event]:
    top = rng.choice((0.97, 0.95, 0.92, 0.9, 0.85, 0.66, 0.5, 0.42))
    second = rng.choice([i for i in INTENTS if i != intent])
    ranking = [
        IntentScore(intent=intent, probability=top),
        IntentScore(intent=second, probability=round((1 - top) * 0.8, 3)),
    ]
    zone = "confident" if top >= 0.55 else "clarify"
    reading = Understanding(text="…", ranking=ranking, zone=zone)
    decision = Decision(kind="answer", intent=intent, reasons=[Reason(code="nlu", detail="")])
    return [
        MessageReceived(at=at, text=f"a customer's words about {intent.replace('_', ' ')}"),
        Understood(at=at, understanding=reading),
        Decided(at=at, decision=decision),
        BotReplied(at=at + timedelta(seconds=1), text="…"),
    ]


def conversation(rng: random.Random, start: datetime) -> list[Event]:
    intent = rng.choice(INTENTS)
    events: list[Event] = [
        ConversationStarted(at=start, pack="airline", customer_id=None, channel="web"),
        *turn(rng, start, intent),
        *turn(rng, start + timedelta(seconds=30), rng.choice(INTENTS)),
    ]
    if rng.random() < 0.1:
        events.append(AnswerRated(at=start + timedelta(seconds=40), reply=1, helpful=False))
    if rng.random() < 0.03:
        other = rng.choice([i for i in INTENTS if i != intent])
        done = start + timedelta(minutes=5)
        events.append(WrappedUp(at=done, agent="ann", disposition="done", corrected_intent=other))
    return events


async def load(engine: AsyncEngine, count: int, rng: random.Random) -> tuple[list[str], int]:
    """Insert ``count`` conversations over the last 30 days; their ids and the events' count."""
    first = datetime.now(UTC) - timedelta(days=30)
    ids, events = [], 0
    for start in range(0, count, BATCH):
        conversations, rows = [], []
        for i in range(start, min(count, start + BATCH)):
            at = first + timedelta(seconds=i * 30 * 86_400 / count)
            cid = str(uuid.UUID(int=rng.getrandbits(128)))
            log = conversation(rng, at)
            conversations.append(
                {"id": cid, "pack": "airline", "customer_id": None, "channel": "web",
                 "status": "open", "version": len(log), "created_at": at, "updated_at": at}
            )  # fmt: skip
            rows += [
                {"conversation_id": cid, "seq": n, "kind": e.kind, "at": e.at,
                 "payload": event_to_json(e)}
                for n, e in enumerate(log, start=1)
            ]  # fmt: skip
            ids.append(cid)
        async with engine.begin() as connection:
            await connection.execute(insert(ConversationRow.__table__), conversations)
            await connection.execute(insert(EventRow.__table__), rows)
        events += len(rows)
    return ids, events


async def add_turns(engine: AsyncEngine, ids: list[str], rng: random.Random) -> None:
    """A new low-confidence turn in each of ``ids`` (appended after their 11 or 12 events)."""
    at = datetime.now(UTC) - timedelta(minutes=5)
    rows = []
    for cid in ids:
        for n, e in enumerate(turn(rng, at, "refund"), start=100):
            rows.append(
                {"conversation_id": cid, "seq": n, "kind": e.kind, "at": e.at,
                 "payload": event_to_json(e)}
            )  # fmt: skip
    async with engine.begin() as connection:
        await connection.execute(insert(EventRow.__table__), rows)


async def once(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    began = time.perf_counter()
    found = await call()
    return (time.perf_counter() - began) * 1000, found


async def median(call: Callable[[], Awaitable[Any]], repeat: int = 5) -> float:
    await call()
    return statistics.median([(await once(call))[0] for _ in range(repeat)])


async def run_one(url: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        rng = random.Random(11)
        ids, events = await load(engine, args.conversations, rng)
        audit = AuditLog(AuditRepository(session_factory(engine)))
        learning = Learning(LearningRepository(engine), audit)
        first_ms, first = await once(learning.collect)
        idle_ms, idle = await once(lambda: learning.collect(PAGE_BATCHES))
        await add_turns(engine, rng.sample(ids, args.new), rng)
        new_ms, new = await once(lambda: learning.collect(PAGE_BATCHES))
        return {
            "backend": make_url(url).get_backend_name(),
            "conversations": len(ids),
            "events": events,
            "first_collect_ms": round(first_ms),
            "items": first.added,
            "idle_collect_ms": round(idle_ms, 1),
            "idle_added": idle.added,
            "new_turns": args.new,
            "incremental_collect_ms": round(new_ms, 1),
            "incremental_added": new.added,
            "queue_page_ms": round(await median(lambda: learning.queue(None, 50)), 1),
            "misread_page_ms": round(
                await median(lambda: learning.misclassifications(None, 50)), 1
            ),
        }
    finally:
        await engine.dispose()


async def scratch_postgres(server: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    import asyncpg

    base = make_url(server)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"warmline_bench_review_{os.getpid()}"

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    await execute(f'CREATE DATABASE "{name}"')

    async def drop() -> None:
        await execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return base.set(database=name).render_as_string(hide_password=False), drop


async def run_all(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = [await run_one(f"sqlite+aiosqlite:///{args.sqlite}", args)]
    if args.postgres:
        url, drop = await scratch_postgres(args.postgres)
        try:
            results.append(await run_one(url, args))
        finally:
            await drop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--new", type=int, default=20, help="new turns before the third timing")
    parser.add_argument("--sqlite", default="/tmp/review-bench.db")
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    for leftover in (args.sqlite, args.sqlite + "-wal", args.sqlite + "-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    for result in asyncio.run(run_all(args)):
        print(" ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
