"""The conversation repository: create conversations, append events, read them back."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import BindParameter, Table, bindparam, insert, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from warmline.domain.events import (
    CustomerVerified,
    Event,
    EventForms,
    event_from_json,
    event_to_json,
)
from warmline.errors import ConflictError, ConversationNotFound
from warmline.storage.analytics import FOLDED_PREFIX, folded_upsert, upsert, upsert_statement
from warmline.storage.errors import map_storage_errors
from warmline.storage.sqlite_append import append_in_one_call
from warmline.storage.tables import HANDOVER_KINDS, ConversationRow, EventRow
from warmline.storage.turn_transaction import DriverStatement, bound, driver_errors

CHANGED_MEANWHILE = "the conversation changed meanwhile; try again"

# A turn's statements, built once: SQLAlchemy compiles each once and reuses it from its cache.
_CONVERSATIONS: Table = ConversationRow.__table__  # type: ignore[assignment]
_EVENTS: Table = EventRow.__table__  # type: ignore[assignment]
_INSERT_CONVERSATION = insert(_CONVERSATIONS)
_INSERT_EVENTS = insert(_EVENTS)
_EXISTS = select(_CONVERSATIONS.c.id).where(_CONVERSATIONS.c.id == bindparam("cid"))
_EVENTS_AFTER = (
    select(_EVENTS.c.payload)
    .where(_EVENTS.c.conversation_id == bindparam("cid"), _EVENTS.c.seq > bindparam("after"))
    .order_by(_EVENTS.c.seq)
)
_EVENTS_AFTER_DRIVEN = DriverStatement(_EVENTS_AFTER)
_DRIVEN: dict[int, DriverStatement] = {}  # by the id of a statement of _BUMPED_AND_ADDED
_BUMPED: dict[tuple[str, ...], Any] = {}
_BUMPED_AND_ADDED: dict[tuple[tuple[str, ...], bool], Any] = {}


def _last_event(column: str, kind: str | None = None) -> Any:
    """``column`` of the conversation's last handover event (of ``kind`` only, if given; NULL:
    none), a subquery correlated to the conversation's row. The kinds are written into the
    statement, not bound, so that both planners see the condition of the partial index
    ``ix_events_handovers`` and seek down it: a few entries whatever the log holds."""
    event = _EVENTS.alias(f"last_{column}")
    handovers: BindParameter[str] = bindparam(
        f"{column}_kinds", list(HANDOVER_KINDS), expanding=True, literal_execute=True
    )
    where = [event.c.conversation_id == _CONVERSATIONS.c.id, event.c.kind.in_(handovers)]
    if kind is not None:
        where.append(event.c.kind == literal(kind, literal_execute=True))
    return (
        select(event.c[column])
        .where(*where)
        .order_by(event.c.seq.desc())
        .limit(1)
        .correlate(_CONVERSATIONS)
        .scalar_subquery()
    )


# The queue: escalated conversations whose last handover event leaves them waiting (none:
# never handed over; ``agent_joined``: held), with their last escalation's payload.
_WAITING = (
    select(ConversationRow, _last_event("payload", "escalated").label("escalation"))
    .where(
        ConversationRow.status == "escalated",
        _last_event("kind").in_(["escalated", "agent_left", "handed_back"]),
    )
    .order_by(ConversationRow.id)
)


@dataclass(frozen=True)
class Projected:
    """A conversation's analytics row once the appended events are folded in, for the append
    to write (``storage/analytics.py``), and what to call once the append has committed."""

    row: dict[str, Any]
    done: Callable[[], None]


class AppendHook(Protocol):
    """The analytics projection (``services/analytics.py``): ``fold`` is called in the append's
    transaction before its statements, with the connection, the conversation, the version the
    events follow and the events, and hands the conversation's row; the append writes it with
    the events (on PostgreSQL in the same statement). A failure fails the append."""

    async def fold(
        self, connection: AsyncConnection, cid: str, after: int, events: Sequence[Event]
    ) -> Projected: ...


def _bump(columns: tuple[str, ...]) -> Any:
    """``UPDATE conversations SET <columns> WHERE id = :cid AND version = :expected``, one
    statement per set of columns (there are four)."""
    statement = _BUMPED.get(columns)
    if statement is None:
        statement = (
            update(_CONVERSATIONS)
            .where(
                _CONVERSATIONS.c.id == bindparam("cid"),
                _CONVERSATIONS.c.version == bindparam("expected"),
            )
            .values({name: bindparam(f"new_{name}") for name in columns})
        )
        _BUMPED[columns] = statement
    return statement


def _bump_and_add(columns: tuple[str, ...], projected: bool) -> Any:
    """PostgreSQL: ``WITH bumped AS (UPDATE ... RETURNING id) INSERT INTO events SELECT ...
    FROM bumped, unnest(...)``, and with ``projected`` the analytics row's upsert as a CTE
    selecting from ``bumped`` too (``storage/analytics.py``): no row of ``bumped`` (another
    writer moved the version, or no such conversation), no event added and no row written,
    and the statement's row count is 0."""
    statement = _BUMPED_AND_ADDED.get((columns, projected))
    if statement is None:
        sets = ", ".join(f"{name} = :new_{name}" for name in columns)
        folded, binds = folded_upsert("bumped") if projected else ("", [])
        statement = text(
            f"WITH bumped AS (UPDATE conversations SET {sets} "
            "WHERE id = :cid AND version = :expected RETURNING id)"
            + (f", {folded} " if folded else " ")
            + "INSERT INTO events (conversation_id, seq, kind, at, payload) "
            "SELECT bumped.id, e.seq, e.kind, e.at, CAST(e.payload AS JSON) FROM bumped, "
            "unnest(CAST(:seqs AS INTEGER[]), CAST(:kinds AS VARCHAR[]), "
            "CAST(:ats AS TIMESTAMPTZ[]), CAST(:payloads AS TEXT[])) "
            "AS e(seq, kind, at, payload) ORDER BY e.seq"
        ).bindparams(*binds)
        _BUMPED_AND_ADDED[columns, projected] = statement
    return statement


Forms = Sequence[dict[str, Any]] | None
"""The events' storage forms (``event_to_json`` of each) when the caller dumped them already."""


def _forms(events: Sequence[Event], forms: Forms) -> Sequence[dict[str, Any]]:
    return [event_to_json(event) for event in events] if forms is None else forms


def _texts(events: Sequence[Event], forms: Forms) -> list[str]:
    """The events' JSON text as the payload column receives it: ``EventForms`` keep theirs for
    the live copy to send again (the record stage's)."""
    if isinstance(forms, EventForms):
        return forms.texts()
    return [json.dumps(form) for form in _forms(events, forms)]


def _event_rows(
    cid: str, after: int, events: Sequence[Event], forms: Forms = None
) -> list[dict[str, Any]]:
    return [
        {
            "conversation_id": cid,
            "seq": after + i + 1,
            "kind": event.kind,
            "at": event.at,
            "payload": form,
        }
        for i, (event, form) in enumerate(zip(events, _forms(events, forms), strict=True))
    ]


async def _bump_and_add_in(
    connection: AsyncConnection,
    columns: tuple[str, ...],
    params: dict[str, Any],
    events: Sequence[Event],
    projected: Projected | None,
    forms: Forms = None,
) -> bool:
    """On PostgreSQL, the version bump, the events and the analytics row in one statement (one
    round trip): the events and the row are written only when the bump found the version
    expected. Whether it did."""
    first = params["expected"] + 1
    params = {
        **params,
        "seqs": list(range(first, first + len(events))),
        "kinds": [event.kind for event in events],
        "ats": [event.at for event in events],
        "payloads": _texts(events, forms),
    }
    if projected is not None:
        params.update((f"{FOLDED_PREFIX}{k}", v) for k, v in projected.row.items())
    statement = _bump_and_add(columns, projected is not None)
    if bound(params["cid"]) is connection:  # the turn's transaction: through asyncpg itself
        driven = _DRIVEN.setdefault(id(statement), DriverStatement(statement))
        with driver_errors():
            return bool(await driven.rowcount(connection, params))
    return bool((await connection.execute(statement, params)).rowcount)


async def _add_in_one_call(
    connection: AsyncConnection,
    columns: tuple[str, ...],
    params: dict[str, Any],
    events: Sequence[Event],
    projected: Projected | None,
    forms: Forms = None,
) -> bool:
    """On SQLite (aiosqlite), the version bump, the events and the analytics row in one call on
    the driver's thread (``storage/sqlite_append.py``). Whether the bump found the version."""
    rows = _event_rows(params["cid"], params["expected"], events, forms)
    row = None if projected is None else (upsert_statement("sqlite"), projected.row)
    return await append_in_one_call(
        connection, (_bump(columns), params), (_INSERT_EVENTS, rows), row
    )


class ConversationSummary:
    __slots__ = (
        "channel",
        "created_at",
        "customer_id",
        "id",
        "pack",
        "status",
        "updated_at",
        "version",
    )

    def __init__(self, row: ConversationRow) -> None:
        self.id = row.id
        self.pack = row.pack
        self.customer_id = row.customer_id
        self.channel = row.channel
        self.status = row.status
        self.version = row.version
        self.created_at = row.created_at
        self.updated_at = row.updated_at


class _VersionWatch:
    """A plain ``sqlite3`` connection to an SQLite file that reads one conversation's version
    (WAL: a reader never waits for a writer). Any failure reads as "changed"."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def of(cls, engine: AsyncEngine) -> _VersionWatch | None:
        url = engine.url
        database = url.database or ""
        if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
            return None
        if database.startswith("file:") or url.query.get("mode") == "memory":
            return None
        return cls(database)

    def version(self, conversation_id: str) -> int | None:
        try:
            if self._connection is None:
                self._connection = sqlite3.connect(
                    self._path, timeout=0.05, check_same_thread=False, isolation_level=None
                )
            row = self._connection.execute(
                "SELECT version FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        except sqlite3.Error:
            self.close()
            return None
        return None if row is None else int(row[0])

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class ConversationRepository:
    """Speaks domain terms: ``create``, ``append``, ``events``. One transaction per call.

    ``append`` is optimistic: it names the version it read, and fails with ``ConflictError``
    when another writer appended first.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, single_writer: bool) -> None:
        self._sessions = sessions
        engine = sessions.kw.get("bind")
        assert isinstance(engine, AsyncEngine), "the session factory is bound to an engine"
        self._engine: AsyncEngine = engine
        self._write_lock = asyncio.Lock() if single_writer else None
        self._watch = _VersionWatch.of(engine)
        self.after_append: AppendHook | None = None
        """The analytics projection's hook, if any (its row written by every append)."""

    def changed_since(self, conversation_id: str, version: int) -> bool:
        """Whether the conversation may have moved past ``version`` (someone else appended):
        on an SQLite file, one primary-key read of its version on a connection of its own (tens
        of microseconds, no round trip through the async driver); elsewhere always ``True``,
        and the caller reads the events after ``version``."""
        return self._watch is None or self._watch.version(conversation_id) != version

    async def aclose(self) -> None:
        """Close the connection that reads versions (the engine is the caller's)."""
        if self._watch is not None:
            self._watch.close()

    @asynccontextmanager
    async def _write(self, conversation_id: str) -> AsyncIterator[AsyncConnection]:
        """One transaction on a plain connection (a turn's statements need no ORM session):
        on PostgreSQL, within a turn, the turn's own transaction, which took the conversation's
        lock and which the commit here ends (``storage/turn_transaction.py``)."""
        turn = bound(conversation_id)
        if turn is not None:
            yield turn
            await turn.commit()
            return
        if self._write_lock is None:
            async with self._engine.begin() as connection:
                yield connection
            return
        async with self._write_lock, self._engine.begin() as connection:
            yield connection

    async def create(
        self,
        conversation_id: str,
        pack: str,
        customer_id: str | None,
        channel: str,
        events: Sequence[Event],
        at: datetime,
    ) -> None:
        with map_storage_errors("create the conversation"):
            async with self._write(conversation_id) as connection:
                await connection.execute(
                    _INSERT_CONVERSATION,
                    {
                        "id": conversation_id,
                        "pack": pack,
                        "customer_id": customer_id,
                        "channel": channel,
                        "status": "open",
                        "version": 0,
                        "created_at": at,
                        "updated_at": at,
                    },
                )
                _, projected = await self._insert(
                    connection, conversation_id, 0, events, at, status=None
                )
        if projected is not None:
            projected.done()

    async def append(
        self,
        conversation_id: str,
        expected_version: int,
        events: Sequence[Event],
        at: datetime,
        *,
        status: str | None = None,
        forms: Forms = None,
    ) -> int:
        """Append ``events`` after ``expected_version``; returns the new version. ``forms``:
        the events' storage forms, when the caller has them (the record stage dumps a turn's
        events once, for the append and the live copy; as ``EventForms``, whose JSON text the
        append on PostgreSQL makes and the live copy's NATS message sends again)."""
        if not events:
            return expected_version
        with map_storage_errors("record the turn", conflict=CHANGED_MEANWHILE):
            async with self._write(conversation_id) as connection:
                version, projected = await self._insert(
                    connection,
                    conversation_id,
                    expected_version,
                    events,
                    at,
                    status=status,
                    forms=forms,
                )
        if projected is not None:
            projected.done()
        return version

    async def _insert(
        self,
        connection: AsyncConnection,
        conversation_id: str,
        expected_version: int,
        events: Sequence[Event],
        at: datetime,
        *,
        status: str | None,
        forms: Forms = None,
    ) -> tuple[int, Projected | None]:
        """Bump the version (refused when another writer moved it), then add the events and
        write the analytics row the hook folded: on PostgreSQL one statement, elsewhere three
        (the events in one ``executemany``). The new version, and the row written."""
        new_version = expected_version + len(events)
        values: dict[str, Any] = {"version": new_version, "updated_at": at}
        if status is not None:
            values["status"] = status
        for event in events:
            if isinstance(event, CustomerVerified):  # bound in the conversation: found by customer
                values["customer_id"] = event.customer_id
        params = {f"new_{name}": value for name, value in values.items()}
        params.update(cid=conversation_id, expected=expected_version)
        projected = None
        if events and self.after_append is not None:
            projected = await self.after_append.fold(
                connection, conversation_id, expected_version, events
            )
        postgres, columns = connection.dialect.name == "postgresql", tuple(values)
        one_call = events and connection.dialect.driver == "aiosqlite"
        if events and postgres:
            bumped = await _bump_and_add_in(connection, columns, params, events, projected, forms)
        elif one_call:
            bumped = await _add_in_one_call(connection, columns, params, events, projected, forms)
        else:
            bumped = (await connection.execute(_bump(columns), params)).rowcount == 1
        if not bumped:
            exists = (await connection.execute(_EXISTS, {"cid": conversation_id})).first()
            if exists is None:
                raise ConversationNotFound(f"no conversation {conversation_id}")
            raise ConflictError(CHANGED_MEANWHILE)
        if events and not postgres and not one_call:
            rows = _event_rows(conversation_id, expected_version, events, forms)
            await connection.execute(_INSERT_EVENTS, rows)
            if projected is not None:
                await upsert(connection, projected.row)
        return new_version, projected

    @asynccontextmanager
    async def _read(self, conversation_id: str) -> AsyncIterator[AsyncConnection]:
        """A pooled connection, or within a turn on PostgreSQL the turn's own transaction
        (which holds the conversation's lock: what it reads nobody changes before it appends)."""
        turn = bound(conversation_id)
        if turn is not None:
            yield turn
            return
        async with self._engine.connect() as connection:
            yield connection

    async def events(self, conversation_id: str, after: int = 0) -> list[Event]:
        with map_storage_errors("read the conversation"):
            async with self._read(conversation_id) as connection:
                found = await connection.execute(_EXISTS, {"cid": conversation_id})
                if found.first() is None:
                    raise ConversationNotFound(f"no conversation {conversation_id}")
                result = await connection.execute(
                    _EVENTS_AFTER, {"cid": conversation_id, "after": after}
                )
                return [event_from_json(payload) for payload in result.scalars()]

    async def events_after(self, conversation_id: str, after: int) -> list[Event]:
        """Events of a conversation known to exist, after version ``after`` (often none): in a
        turn's transaction on PostgreSQL, read through asyncpg itself."""
        turn = bound(conversation_id)
        params = {"cid": conversation_id, "after": after}
        if turn is not None and turn.dialect.name == "postgresql":
            with map_storage_errors("read the conversation"), driver_errors():
                payloads = await _EVENTS_AFTER_DRIVEN.column(turn, params)
            return [event_from_json(payload) for payload in payloads]
        with map_storage_errors("read the conversation"):
            async with self._read(conversation_id) as connection:
                result = await connection.execute(_EVENTS_AFTER, params)
                return [event_from_json(payload) for payload in result.scalars()]

    async def logs(self, pack: str, kinds: Sequence[str]) -> dict[str, list[Event]]:
        """The events of the given ``kinds`` of every conversation of ``pack``, by
        conversation, each in order: what a report over many conversations folds."""
        with map_storage_errors("read the conversations"):
            async with self._sessions() as session:
                result = await session.execute(
                    select(EventRow.conversation_id, EventRow.payload)
                    .join(ConversationRow, ConversationRow.id == EventRow.conversation_id)
                    .where(ConversationRow.pack == pack, EventRow.kind.in_(list(kinds)))
                    .order_by(EventRow.conversation_id, EventRow.seq)
                )
                logs: dict[str, list[Event]] = {}
                for conversation_id, payload in result:
                    logs.setdefault(conversation_id, []).append(event_from_json(payload))
                return logs

    async def waiting(
        self, limit: int = 200
    ) -> list[tuple[ConversationSummary, str | None, datetime]]:
        """Escalated conversations nobody holds, the longest waiting first (at most ``limit``),
        each with its trigger and when it was handed over. One query, whatever the count: the
        database finds each conversation's last handover event and last escalation
        (``_WAITING``); one payload is decoded per waiting conversation."""
        with map_storage_errors("read the queue"):
            async with self._sessions() as session:
                found: list[tuple[ConversationSummary, str | None, datetime]] = []
                for row, escalation in await session.execute(_WAITING):
                    if escalation is None:  # taken or left without an escalation: no trigger
                        found.append((ConversationSummary(row), None, row.updated_at))
                    else:
                        since = datetime.fromisoformat(escalation["at"])
                        found.append((ConversationSummary(row), escalation.get("trigger"), since))
        return sorted(found, key=lambda item: item[2])[:limit]  # stable: ties by id

    async def of_customer(self, customer_id: str, limit: int = 10) -> list[ConversationSummary]:
        """The customer's most recent conversations, newest first."""
        with map_storage_errors("read the conversations"):
            async with self._sessions() as session:
                result = await session.execute(
                    select(ConversationRow)
                    .where(ConversationRow.customer_id == customer_id)
                    .order_by(ConversationRow.created_at.desc())
                    .limit(limit)
                )
                return [ConversationSummary(row) for row in result.scalars()]

    async def get(self, conversation_id: str) -> ConversationSummary:
        with map_storage_errors("read the conversation"):
            async with self._sessions() as session:
                row = await session.get(ConversationRow, conversation_id)
        if row is None:
            raise ConversationNotFound(f"no conversation {conversation_id}")
        return ConversationSummary(row)
