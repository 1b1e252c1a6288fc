"""The handover queue's read (``ConversationRepository.waiting``): the database finds each
escalated conversation's last handover event and last escalation in one statement, whatever
the number waiting or their handovers, with the same results as reading every handover event
and folding them in Python (kept here as the reference), on SQLite and on PostgreSQL (set
WARMLINE_TEST_POSTGRES_URL to run the PostgreSQL half)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.domain.events import (
    AgentJoined,
    AgentLeft,
    BotReplied,
    ConversationStarted,
    Escalated,
    Event,
    HandedBack,
    MessageReceived,
    Resolved,
)
from warmline.domain.pack import Handoff
from warmline.services.handoff import HandoffService
from warmline.services.presence import Presence
from warmline.storage.conversations import ConversationRepository, ConversationSummary
from warmline.storage.database import create_engine, is_sqlite, session_factory
from warmline.storage.migrate import upgrade
from warmline.storage.tables import ConversationRow, EventRow

from .conftest import POSTGRES_URL, empty_postgres

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
        ],
    ),
]


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path}/queue.db"
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database")
    built = create_engine(url)
    if not is_sqlite(url):
        await empty_postgres(built)
    await upgrade(built)
    yield built
    if not is_sqlite(url):
        await empty_postgres(built)
    await built.dispose()


@pytest.fixture
def repo(engine: AsyncEngine) -> ConversationRepository:
    return ConversationRepository(session_factory(engine), single_writer=True)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def _conversation(
    repo: ConversationRepository, cid: str, tail: list[Event], status: str = "escalated"
) -> None:
    opening: list[Event] = [
        ConversationStarted(at=T0, pack="airline", customer_id="u1"),
        MessageReceived(at=T0, text="my booking"),
        BotReplied(at=T0, text="which one?"),
    ]
    await repo.create(cid, "airline", "u1", "web", opening, T0)
    if tail:
        await repo.append(cid, len(opening), tail, tail[-1].at, status=status)


def _waiting_while(at: datetime, turns: int) -> list[Event]:
    return [
        e
        for k in range(turns)
        for e in (MessageReceived(at=at, text="still there?"), BotReplied(at=at, text="soon"))
    ]


async def _every_case(repo: ConversationRepository) -> None:
    """Conversations covering each way a handover log can end (the ids sort as named)."""
    cases: dict[str, list[Event]] = {
        "a-escalated-once": [Escalated(at=_at(5), trigger="customer_request")],
        "b-held": [Escalated(at=_at(1), trigger="vip"), AgentJoined(at=_at(2), agent="ana")],
        "c-taken-then-left": [
            Escalated(at=_at(3), trigger="frustration"),
            AgentJoined(at=_at(4), agent="ana"),
            AgentLeft(at=_at(6), agent="ana"),
            *_waiting_while(_at(7), 3),
        ],
        "d-handed-back-then-escalated-again": [
            Escalated(at=_at(1), trigger="frustration"),
            AgentJoined(at=_at(2), agent="ana"),
            HandedBack(at=_at(3), agent="ana"),
            MessageReceived(at=_at(4), text="a person please"),
            Escalated(at=_at(8), trigger="customer_request"),
            *_waiting_while(_at(9), 2),
        ],
        "e-several-escalations": [
            Escalated(at=_at(0), trigger="vip"),
            AgentJoined(at=_at(1), agent="ana"),
            HandedBack(at=_at(2), agent="ana"),
            Escalated(at=_at(5), trigger="staff_complaint"),  # ties with a-escalated-once
            AgentJoined(at=_at(6), agent="ben"),
            AgentLeft(at=_at(7), agent="ben"),
            AgentJoined(at=_at(8), agent="ana"),
            AgentLeft(at=_at(9), agent="ana"),
        ],
        "f-taken-again-after-leaving": [
            Escalated(at=_at(2), trigger="leave_threat"),
            AgentJoined(at=_at(3), agent="ana"),
            AgentLeft(at=_at(4), agent="ana"),
            AgentJoined(at=_at(5), agent="ben"),
        ],
        "g-handed-back-last": [
            Escalated(at=_at(4), trigger="clarify_loop"),
            AgentJoined(at=_at(5), agent="ana"),
            HandedBack(at=_at(6), agent="ana"),
        ],
        "h-never-handed-over": _waiting_while(_at(1), 2),
    }
    for cid, tail in cases.items():
        await _conversation(repo, cid, tail)
    ended = [Escalated(at=_at(0), trigger="vip"), Resolved(at=_at(1), by="bot")]
    await _conversation(repo, "i-ended", ended, status="resolved")
    await _conversation(repo, "j-open", [], status="open")


async def _reference(engine: AsyncEngine, limit: int = 200) -> list[Any]:
    """The queue as it was read before: every handover event of every escalated
    conversation, folded in Python."""
    kinds = ["escalated", "agent_joined", "agent_left", "handed_back"]
    async with session_factory(engine)() as session:
        escalated = select(ConversationRow).where(ConversationRow.status == "escalated")
        rows = {row.id: row for row in (await session.execute(escalated)).scalars()}
        handovers = await session.execute(
            select(EventRow.conversation_id, EventRow.payload)
            .where(EventRow.conversation_id.in_(list(rows)), EventRow.kind.in_(kinds))
            .order_by(EventRow.conversation_id, EventRow.seq)
        )
        last: dict[str, tuple[str | None, datetime, bool]] = {}
        for cid, payload in handovers:
            trigger, since, owned = last.get(cid, (None, rows[cid].updated_at, False))
            if payload["kind"] == "escalated":
                trigger, owned = payload.get("trigger"), False
                since = datetime.fromisoformat(payload["at"])
            else:
                owned = payload["kind"] == "agent_joined"
            last[cid] = (trigger, since, owned)
    found = [
        (_summary(ConversationSummary(rows[cid])), trigger, since)
        for cid, (trigger, since, owned) in last.items()
        if not owned
    ]
    return sorted(found, key=lambda item: item[2])[:limit]


def _summary(summary: ConversationSummary) -> dict[str, Any]:
    return {name: getattr(summary, name) for name in ConversationSummary.__slots__}


async def _read(repo: ConversationRepository, limit: int = 200) -> list[Any]:
    return [(_summary(s), trigger, since) for s, trigger, since in await repo.waiting(limit)]


async def test_the_queue_read_finds_what_folding_every_handover_found(
    repo: ConversationRepository, engine: AsyncEngine
) -> None:
    await _every_case(repo)
    found = await _read(repo)
    assert found == await _reference(engine)
    assert [(summary["id"], trigger) for summary, trigger, _ in found] == [
        ("c-taken-then-left", "frustration"),
        ("g-handed-back-last", "clarify_loop"),
        ("a-escalated-once", "customer_request"),
        ("e-several-escalations", "staff_complaint"),  # the same wait: by id
        ("d-handed-back-then-escalated-again", "customer_request"),
    ]
    assert found[0][2] == _at(3) and found[-1][2] == _at(8)  # since the last escalation
    assert await _read(repo, limit=2) == await _reference(engine, limit=2)


async def test_a_conversation_left_without_an_escalation_waits_since_its_last_change(
    repo: ConversationRepository, engine: AsyncEngine
) -> None:
    """Escalated with no ``escalated`` event (as older logs may be): no trigger, and the
    conversation's last change stands for when it was handed over."""
    await _conversation(repo, "k-left-only", [AgentLeft(at=_at(3), agent="ana")])
    ((summary, trigger, _),) = found = await _read(repo)
    assert found == await _reference(engine)
    assert summary["id"] == "k-left-only" and trigger is None


class _Conversations:
    """What ``HandoffService`` asks of the conversation service."""

    def __init__(self, repo: ConversationRepository, now: datetime) -> None:
        self.repo = repo
        self.clock = SimpleNamespace(now=lambda: now)
        self.replier = SimpleNamespace(wait_estimate=None)
        self.runtime = SimpleNamespace(pack=SimpleNamespace(handoff=Handoff(skill="airline")))

    def pack(self, name: str | None) -> Any:
        return self.runtime


async def test_the_queue_and_its_breach_warnings_are_as_before(
    repo: ConversationRepository, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    await _every_case(repo)
    now = _at(10)  # the default target is 120 s: waits from minute 3 to 7 are past it

    async def queue_reading(read: Any) -> tuple[list[Any], list[str]]:
        handoff = HandoffService(_Conversations(repo, now), Presence(SimpleNamespace()))  # type: ignore[arg-type]
        caplog.clear()
        with (
            pytest.MonkeyPatch.context() as patch,
            caplog.at_level(logging.WARNING, logger="warmline"),
        ):
            patch.setattr(repo, "waiting", read)
            queue = await handoff.queue()
        return queue, [r.getMessage() for r in caplog.records]

    async def reference(limit: int = 200) -> list[Any]:
        return [
            (await repo.get(s["id"]), trigger, since)
            for s, trigger, since in await _reference(engine)
        ]

    queue, warnings = await queue_reading(repo.waiting)
    assert (queue, warnings) == await queue_reading(reference)
    assert len(queue) == 5 and len(warnings) == 4  # waiting since minute 8: not breached


async def _statements(engine: AsyncEngine, repo: ConversationRepository) -> int:
    sent = 0

    def count(*_args: Any) -> None:
        nonlocal sent
        sent += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        await repo.waiting()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    return sent


async def test_the_queue_read_is_one_statement_whatever_waits(
    repo: ConversationRepository, engine: AsyncEngine
) -> None:
    await _every_case(repo)
    assert await _statements(engine, repo) == 1
    for i in range(30):  # more waiting, with more handovers each, and more history
        tail: list[Event] = []
        for k in range(1 + i % 3):
            tail += [
                Escalated(at=_at(20 + k), trigger="customer_request"),
                AgentJoined(at=_at(21 + k), agent="ana"),
                AgentLeft(at=_at(22 + k), agent="ana"),
            ]
        await _conversation(repo, f"more-{i:02}", tail)
        await _conversation(repo, f"ended-{i:02}", tail, status="resolved")
    assert len(await repo.waiting()) == 35
    assert await _statements(engine, repo) == 1


async def test_on_sqlite_the_read_seeks_the_handover_index(
    repo: ConversationRepository, engine: AsyncEngine
) -> None:
    """Each conversation's last handover and last escalation are found by a seek down the
    partial index of handover events (its condition written into the statement, where the
    planner sees it), not by reading the conversation's whole log or every escalation."""
    if not is_sqlite(str(engine.url)):
        pytest.skip("PostgreSQL plans by its statistics: benchmarks/queue_read.py")
    await _every_case(repo)
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        await repo.waiting()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)
    ((statement, parameters),) = sent
    async with engine.connect() as connection:
        plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        details = [row[3] for row in plan]
    seeks = [d for d in details if d.startswith("SEARCH last_")]
    assert len(seeks) == 2 and all("USING INDEX ix_events_handovers" in d for d in seeks)
