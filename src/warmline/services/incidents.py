"""The bias incident register, the use cases: a gap the parity monitor flags opens an
incident (one per metric, dimension and group until it is remediated: a later run that flags
it again brings its figures up to date instead); a manager acknowledges it (an owner, a
deadline), remediates it (what was done), or adds a note. Every step is kept in the
incident's history, never rewritten, and written to the audit log (``services/audit.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from warmline.analytics.parity import ParityRow
from warmline.errors import ConflictError, InputError, NotFound
from warmline.services.audit import AuditLog
from warmline.storage.audit import AuditRepository
from warmline.storage.database import create_engine, is_sqlite, session_factory
from warmline.storage.incidents import STATES, Gap, Incident, IncidentRepository
from warmline.storage.migrate import upgrade
from warmline.types import Clock, SystemClock

if TYPE_CHECKING:
    from warmline.services.runtime import Runtime

__all__ = ["STATES", "Incident", "Incidents", "Opened", "open_incidents"]

NOTE_MAX = 2000
OWNER_MAX = 128
DEADLINE_DAYS = 14


@dataclass(frozen=True)
class Opened:
    """A flagged row and its incident: opened by this run, or already open."""

    incident_id: int
    new: bool
    row: ParityRow


class Incidents:
    def __init__(
        self,
        repo: IncidentRepository,
        audit: AuditLog,
        clock: Clock | None = None,
        deadline_days: int = DEADLINE_DAYS,
    ) -> None:
        self.repo, self.audit = repo, audit
        self.clock = clock or SystemClock()
        self.deadline_days = deadline_days

    async def flagged(self, rows: Sequence[ParityRow], by: str = "warmline") -> list[Opened]:
        """An incident for each flagged row: opened (with a deadline ``deadline_days`` away)
        when none is open or acknowledged for its metric, dimension and group, else the one
        there brought up to date."""
        now, done = self.clock.now(), []
        for row in (r for r in rows if r.flagged):
            gap = gap_of(row)
            note = _opening_note(row)
            deadline = now + timedelta(days=self.deadline_days)
            incident_id, new = await self.repo.flag(gap, by, now, note, deadline)
            if new:
                await self.audit.record(
                    by, "incident.open", f"incident:{incident_id}", **_subject(gap)
                )
            done.append(Opened(incident_id, new, row))
        return done

    async def listing(self, states: Sequence[str] = STATES) -> list[Incident]:
        unknown = set(states) - set(STATES)
        if unknown:
            raise InputError(f"unknown state {sorted(unknown)[0]!r}: one of {', '.join(STATES)}")
        return await self.repo.incidents(tuple(states))

    async def get(self, incident_id: int) -> Incident:
        found = await self.repo.get(incident_id)
        if found is None:
            raise NotFound(f"there is no bias incident {incident_id}")
        return found

    async def acknowledge(
        self,
        incident_id: int,
        by: str,
        *,
        owner: str,
        deadline: datetime | None = None,
        note: str = "",
    ) -> Incident:
        """Someone owns it now, by ``deadline`` (kept as it was when not given); an
        acknowledged incident may be acknowledged again to hand it to someone else."""
        owner = owner.strip()
        if not owner or len(owner) > OWNER_MAX:
            raise InputError(f"an owner is needed, at most {OWNER_MAX} characters")
        values: dict[str, Any] = {"state": "acknowledged", "owner": owner}
        if deadline is not None:
            values["deadline"] = deadline
        text = f"owner {owner}" + (f", deadline {deadline.date()}" if deadline else "")
        text += f": {note}" if note else ""
        return await self._change(
            incident_id, by, "acknowledged", text, ("open", "acknowledged"), values
        )

    async def remediate(self, incident_id: int, by: str, note: str) -> Incident:
        """What was done about it (a note is required); a later flag opens a new incident."""
        if not note.strip():
            raise InputError("say what was done: a note is needed to remediate")
        values = {"state": "remediated"}
        return await self._change(
            incident_id, by, "remediated", note, ("open", "acknowledged"), values
        )

    async def note(self, incident_id: int, by: str, note: str) -> Incident:
        """Add a note to the incident's history, in whatever state it is."""
        if not note.strip():
            raise InputError("the note is empty")
        return await self._change(incident_id, by, "note", note, STATES, {})

    async def _change(
        self,
        incident_id: int,
        by: str,
        kind: str,
        note: str,
        from_states: tuple[str, ...],
        values: dict[str, Any],
    ) -> Incident:
        if len(note) > NOTE_MAX:
            raise InputError(f"the note is longer than {NOTE_MAX} characters")
        before = await self.get(incident_id)
        changed = await self.repo.change(
            incident_id, by=by, at=self.clock.now(), kind=kind, note=note.strip(),
            from_states=from_states, values=values,
        )  # fmt: skip
        if not changed:
            raise ConflictError(
                f"bias incident {incident_id} is {before.state}: it cannot be {kind}"
            )
        verb = {"acknowledged": "acknowledge", "remediated": "remediate"}.get(kind, "note")
        detail = {**_subject(before.gap), "from": before.state, "owner": values.get("owner")}
        await self.audit.record(by, f"incident.{verb}", f"incident:{incident_id}", **detail)
        return await self.get(incident_id)


def gap_of(row: ParityRow) -> Gap:
    return Gap(
        row.metric[:64], row.dimension[:64], row.group[:128], row.value, row.n,
        row.reference_group[:128], row.reference_value, row.difference, row.p_adjusted,
    )  # fmt: skip


def _opening_note(row: ParityRow) -> str:
    def fmt(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.4g}"

    return (
        f"{row.metric} of {row.dimension}={row.group} is {fmt(row.value)} (n={row.n}) against "
        f"{fmt(row.reference_value)} for {row.reference_group} (n={row.reference_n}): "
        f"difference {fmt(row.difference)}, p adjusted {fmt(row.p_adjusted)} ({row.test})"
    )


def _subject(gap: Gap) -> dict[str, Any]:
    return {"metric": gap.metric, "dimension": gap.dimension, "group": gap.group}


def incidents_of(runtime: Runtime) -> Incidents:
    """The register on the runtime's database and audit log."""
    engine: Any = runtime._engine
    postgres = not is_sqlite(runtime.settings.database_url)
    repo = IncidentRepository(session_factory(engine), postgres=postgres)
    days = runtime.settings.incident_deadline_days
    return Incidents(repo, runtime.audit, runtime.conversations.clock, days)


@asynccontextmanager
async def open_incidents(
    database_url: str, deadline_days: int = DEADLINE_DAYS
) -> AsyncIterator[Incidents]:
    """The register on the database at ``database_url`` (migrated first)."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        repo = IncidentRepository(sessions, postgres=not is_sqlite(database_url))
        yield Incidents(repo, AuditLog(AuditRepository(sessions)), deadline_days=deadline_days)
    finally:
        await engine.dispose()
