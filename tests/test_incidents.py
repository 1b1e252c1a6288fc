"""The bias incident register (services/incidents.py, storage/incidents.py): a flagged gap
opens one incident, a second run does not open another while it is open, a manager
acknowledges and remediates it (history kept, audited), and a gap flagged after remediation
opens a new one. On SQLite here; on PostgreSQL when WARMLINE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from warmline.analytics.parity import parity
from warmline.errors import ConflictError, InputError, NotFound
from warmline.services.incidents import Incidents, open_incidents

from .parity_facts import planted

PG = os.environ.get("WARMLINE_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgres"])
async def register(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Incidents]:
    if request.param == "sqlite":
        async with open_incidents(f"sqlite+aiosqlite:///{tmp_path}/incidents.db") as found:
            yield found
        return
    if not PG:
        pytest.skip("WARMLINE_TEST_POSTGRES_URL is not set")
    import asyncpg  # type: ignore[import-untyped]

    name = f"incidents_{uuid.uuid4().hex[:10]}"
    admin = PG.replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(admin)
    await connection.execute(f'CREATE DATABASE "{name}"')
    try:
        async with open_incidents(PG.rsplit("/", 1)[0] + f"/{name}") as found:
            yield found
    finally:
        await connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await connection.close()


def _flagged_rows():  # type: ignore[no-untyped-def]
    rows = parity(planted(1, escalation=0.10, gaps={"sms": 0.05}))
    assert any(r.flagged for r in rows)
    return rows


async def test_a_flagged_gap_opens_one_incident_and_a_second_run_no_duplicate(
    register: Incidents,
) -> None:
    rows = _flagged_rows()
    first = await register.flagged(rows)
    assert first and all(o.new for o in first)
    assert {(o.row.metric, o.row.group) for o in first} >= {("escalation_rate", "sms")}
    second = await register.flagged(rows)
    assert [o.incident_id for o in second] == [o.incident_id for o in first]
    assert not any(o.new for o in second)
    listed = await register.listing()
    assert len(listed) == len(first)
    again = await register.get(first[0].incident_id)
    assert again.times_flagged == 2 and again.state == "open" and again.deadline is not None
    assert [n.kind for n in again.history] == ["opened"]
    audited = await register.audit.entries(subject=f"incident:{first[0].incident_id}")
    assert [e.action for e in audited] == ["incident.open"]


async def test_acknowledge_remediate_keep_the_history_and_a_new_flag_opens_a_new_one(
    register: Incidents,
) -> None:
    rows = _flagged_rows()
    opened = (await register.flagged(rows))[0]
    deadline = datetime(2027, 1, 15, tzinfo=UTC)
    acked = await register.acknowledge(
        opened.incident_id, "sue", owner="ana", deadline=deadline, note="looking"
    )
    assert acked.state == "acknowledged" and acked.owner == "ana"
    assert acked.deadline is not None and acked.deadline.date() == deadline.date()
    await register.note(opened.incident_id, "ana", "sms prompts reworded")
    done = await register.remediate(opened.incident_id, "ana", "templates fixed; rerun next week")
    assert done.state == "remediated"
    assert [n.kind for n in done.history] == ["opened", "acknowledged", "note", "remediated"]
    assert done.history[1].actor == "sue" and "owner ana" in done.history[1].text
    with pytest.raises(ConflictError):
        await register.remediate(opened.incident_id, "ana", "again")
    reopened = {o.row.metric: o for o in await register.flagged(rows)}[opened.row.metric]
    assert reopened.new and reopened.incident_id != opened.incident_id
    actions = [
        e.action for e in await register.audit.entries(subject=f"incident:{opened.incident_id}")
    ]
    assert actions == [
        "incident.remediate",
        "incident.note",
        "incident.acknowledge",
        "incident.open",
    ]


async def test_bad_input_is_refused_clearly(register: Incidents) -> None:
    opened = (await register.flagged(_flagged_rows()))[0]
    with pytest.raises(InputError):
        await register.acknowledge(opened.incident_id, "sue", owner="  ")
    with pytest.raises(InputError):
        await register.remediate(opened.incident_id, "sue", "")
    with pytest.raises(InputError):
        await register.note(opened.incident_id, "sue", "x" * 2001)
    with pytest.raises(InputError):
        await register.listing(["closed"])
    with pytest.raises(NotFound):
        await register.acknowledge(999_999, "sue", owner="ana")
