"""Anomaly holds: a write whose volume jumps to factor x its baseline is held for every
customer within the window it happens in; customers are told and handed to a person; a
supervisor releases it and it runs again. The baseline math by hand; the same holds shared by
two services on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import POSTGRES_URL, test_settings
from warmline.domain.decision import Decision
from warmline.domain.events import ActionExecuted, ActionProposed, Event
from warmline.domain.pack import AnomalySettings, DomainPack
from warmline.errors import NotFound
from warmline.nlu.embeddings import Encoder
from warmline.policy.anomaly import Hold, WindowCounts, baseline, jumped, on_hold, window_of
from warmline.services.anomaly import AnomalyGuard, amount_of
from warmline.services.audit import AuditLog
from warmline.services.packs import PackRuntime
from warmline.services.runtime import Runtime
from warmline.storage.anomaly import AnomalyRepository
from warmline.storage.audit import AuditRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade

USER = "chen_jackson_3290"
T0 = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)  # the start of a 60 s window
SMALL = AnomalySettings(window_s=60, baseline_windows=3, factor=3.0, min_count=2)


class StepClock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


# --- the policy: baseline math computed by hand ------------------------------------------


def test_baseline_is_the_mean_of_the_previous_windows_never_under_its_floor() -> None:
    assert baseline([4, 6, 8], floor=2) == 6.0  # (4 + 6 + 8) / 3
    assert baseline([0, 0, 3], floor=2) == 2.0  # mean 1 is under the floor 2
    assert baseline([], floor=5) == 5.0


def test_a_window_at_factor_times_the_baseline_holds_with_its_figures() -> None:
    previous = [WindowCounts(proposed=p) for p in (4, 6, 8)]  # baseline 6, threshold 18
    assert jumped("p", "cancel", WindowCounts(proposed=17), previous, SMALL, T0) is None
    hold = jumped("p", "cancel", WindowCounts(proposed=18), previous, SMALL, T0)
    assert hold is not None
    assert (hold.measure, hold.value, hold.baseline, hold.factor) == ("proposed", 18, 6, 3)
    assert hold.figures()["threshold"] == 18


def test_a_quiet_action_is_not_held_on_its_second_use() -> None:
    quiet = [WindowCounts()] * 3  # nothing before: the floor (2) is the baseline
    assert jumped("p", "cancel", WindowCounts(proposed=2), quiet, SMALL, T0) is None
    assert jumped("p", "cancel", WindowCounts(proposed=5), quiet, SMALL, T0) is None
    assert jumped("p", "cancel", WindowCounts(proposed=6), quiet, SMALL, T0) is not None


def test_the_amount_is_held_only_for_an_action_that_names_its_field() -> None:
    settings = SMALL.model_copy(update={"min_amount": 100.0, "amount_fields": {"refund": "x.y"}})
    previous = [WindowCounts(executed=10, amount=a) for a in (100, 200, 300)]  # baseline 200
    burst = WindowCounts(executed=10, amount=600)
    hold = jumped("p", "refund", burst, previous, settings, T0)
    assert hold is not None and (hold.measure, hold.baseline) == ("amount", 200)
    assert jumped("p", "other", burst, previous, settings, T0) is None


def test_windows_are_fixed_from_the_epoch() -> None:
    assert window_of(T0, 60) == window_of(T0 + timedelta(seconds=59), 60)
    assert window_of(T0 + timedelta(seconds=60), 60) == window_of(T0, 60) + 1


def test_a_held_write_is_neither_proposed_nor_run(mini_pack: DomainPack) -> None:
    hold = Hold("mini_airline", "cancel_reservation", "proposed", 6, 2, 3, 60, T0)
    holds = {"cancel_reservation": hold}
    for kind in ("confirm", "act"):
        decision = Decision(kind=kind, intent="cancel", action="cancel_reservation")
        held = on_hold(decision, holds, mini_pack)
        assert held.kind == "escalate" and held.escalation == "action_on_hold"
        assert held.template == "action_on_hold"
        reason = held.reasons[-1]
        assert reason.code == "action_on_hold"
        assert reason.values["window_value"] == 6 and reason.values["baseline"] == 2
        assert reason.values["factor"] == 3
    other = Decision(kind="confirm", action="something_else")
    assert on_hold(other, holds, mini_pack) == other


def test_the_pack_section_is_checked_with_clear_errors() -> None:
    with pytest.raises(ValidationError, match="factor"):
        AnomalySettings(factor=1.0)
    with pytest.raises(ValidationError, match=r"params.<parameter> or result.<field>"):
        AnomalySettings(amount_fields={"refund": "amount"})


def test_the_amount_is_read_where_the_pack_says() -> None:
    settings = AnomalySettings(amount_fields={"refund": "result.refund.total"})
    event = ActionExecuted(
        at=T0, action="refund", params={}, risk="write", result={"refund": {"total": "-42.5"}}
    )
    assert amount_of(settings, event) == 42.5
    assert amount_of(settings, event.model_copy(update={"result": {}})) == 0.0


# --- the service: a burst held within one window, told, released ---------------------------


@pytest.fixture
async def held_runtime(encoder: Encoder, model_cache: Path, backoffice_app):  # type: ignore[no-untyped-def]
    clock = StepClock(T0)
    built = await Runtime.build(
        test_settings(model_cache),
        transport=httpx.ASGITransport(app=backoffice_app),
        encoder=encoder,
        clock=clock,
    )
    runtime = built.packs["mini_airline"]
    small = runtime.pack.model_copy(update={"anomaly": SMALL})
    built.packs.add(PackRuntime(small, runtime.nlu, runtime.responder))
    yield built, clock
    await built.aclose()


def _proposals(n: int) -> list[Event]:
    return [
        ActionProposed(at=T0, action="cancel_reservation", params={}, confirmation="")
        for _ in range(n)
    ]


async def test_a_burst_is_held_told_and_released(held_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime, clock = held_runtime
    guard, pack = runtime.anomaly, runtime.packs["mini_airline"].pack
    assert isinstance(guard, AnomalyGuard)
    for back in (3, 2, 1):  # the baseline: 2 proposals in each of the 3 windows before
        clock.at = T0 - timedelta(seconds=60 * back)
        assert await guard.count(pack, _proposals(2)) == []
    clock.at = T0
    say = runtime.conversations.post_message

    async def propose() -> tuple[str, Decision]:
        clock.at += timedelta(seconds=1)
        cid = (await runtime.conversations.start(None, USER)).conversation_id
        turn = await say(cid, "please cancel my reservation 4WQ150")
        assert turn.decision is not None
        return cid, turn.decision

    first, decision = await propose()
    assert decision.kind == "confirm"
    for _ in range(5):  # 6 proposals in the window: 3 x the baseline of 2
        assert (await propose())[1].kind == "confirm"
    assert clock.at < T0 + timedelta(seconds=60)  # all within the one window
    [hold] = await guard.in_force()
    assert (hold.action, hold.value, hold.baseline, hold.factor) == ("cancel_reservation", 6, 2, 3)

    cid, held = await propose()  # the next customer: told, handed to a person, nothing staged
    assert held.kind == "escalate" and held.escalation == "action_on_hold"
    reason = next(r for r in held.reasons if r.code == "action_on_hold")
    assert reason.values["window_value"] == 6 and reason.values["baseline"] == 2
    state, log = await runtime.conversations.state(cid)
    assert state.status == "escalated" and not any(e.kind == "action_proposed" for e in log)
    told = [e.text for e in log if e.kind == "bot_replied"][-1]
    assert "paused for a check" in told and "person" in told

    clock.at += timedelta(seconds=1)
    yes = await say(first, "yes")  # proposed before the hold: the yes does not run it
    assert yes.decision is not None and yes.decision.escalation == "action_on_hold"
    assert not any(e.kind == "action_executed" for e in yes.events)
    booking = await runtime.backoffice.request("GET", "/airline/reservations/4WQ150")
    assert booking.get("status") != "cancelled"

    await guard.release(pack, "cancel_reservation", "sam")
    assert await guard.in_force() == []
    audited = await runtime.audit.entries(subject="mini_airline/cancel_reservation")
    assert [e.action for e in audited] == ["action.release", "action.hold"]
    assert audited[0].actor == "sam" and audited[0].detail["window_value"] == 6

    again, decision = await propose()  # released: proposed and run again, in the same window
    assert decision.kind == "confirm"
    clock.at += timedelta(seconds=1)
    done = await say(again, "yes")
    assert any(e.kind == "action_executed" for e in done.events)
    assert await guard.in_force() == []  # the burst the supervisor saw does not hold it again


async def test_keep_leaves_the_hold_and_an_unknown_hold_is_not_found(held_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime, _ = held_runtime
    guard, pack = runtime.anomaly, runtime.packs["mini_airline"].pack
    assert await guard.count(pack, _proposals(6)) != []  # quiet before: floor 2, held at 6
    kept = await guard.keep(pack, "cancel_reservation", "sam")
    assert kept.state == "held"
    [hold] = await guard.in_force()
    assert hold.state == "kept" and hold.decided_by == "sam"
    assert (await guard.holds(pack))["cancel_reservation"].state == "kept"
    with pytest.raises(NotFound):
        await guard.release(pack, "change_flight", "sam")


# --- several workers: two services share one PostgreSQL database ---------------------------


async def _guard(url: str, clock: StepClock) -> tuple[AnomalyGuard, AsyncEngine]:
    engine = create_engine(url)
    await upgrade(engine)
    repo = AnomalyRepository(session_factory(engine), postgres=True)
    audit = AuditLog(AuditRepository(session_factory(engine)), clock)
    return AnomalyGuard(repo, clock, audit), engine


@pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set")
async def test_two_workers_share_the_hold_and_its_release(
    postgres_database: str, mini_pack: DomainPack
) -> None:
    pack = mini_pack.model_copy(update={"anomaly": SMALL})
    clock = StepClock(T0)
    one, engine_one = await _guard(postgres_database, clock)
    two, engine_two = await _guard(postgres_database, clock)
    try:
        assert await one.count(pack, _proposals(3)) == []
        assert await two.holds(pack) == {}
        held = await two.count(pack, _proposals(3))  # 3 + 3 across the workers: held
        assert [h.value for h in held] == [6]
        assert "cancel_reservation" in await one.holds(pack)
        await one.release(pack, "cancel_reservation", "sam")
        assert await two.holds(pack) == {}
        assert await two.count(pack, _proposals(1)) == []  # released in this window
    finally:
        await engine_one.dispose()
        await engine_two.dispose()


# --- the holds a turn reads: kept for a second, dropped when this process changes them -----


class _CountingRepo:
    """The repository's reads of the holds in force, counted."""

    def __init__(self, inner: AnomalyRepository) -> None:
        self.inner, self.reads = inner, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def active(self, pack: str | None = None) -> object:
        self.reads += 1
        return await self.inner.active(pack)


async def test_holds_are_read_once_a_second_and_again_when_this_process_sets_or_lifts_one(
    tmp_path: Path, mini_pack: DomainPack
) -> None:
    pack = mini_pack.model_copy(update={"anomaly": SMALL})
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/holds.db")
    await upgrade(engine)
    clock = StepClock(T0)
    repo = _CountingRepo(AnomalyRepository(session_factory(engine), postgres=False))
    audit = AuditLog(AuditRepository(session_factory(engine)), clock)
    guard = AnomalyGuard(repo, clock, audit, fresh_s=3600)  # type: ignore[arg-type]
    try:
        assert await guard.holds(pack) == {} and await guard.holds(pack) == {}
        assert repo.reads == 1  # the second turn used the first one's read
        assert await guard.count(pack, _proposals(6)) != []  # floor 2: held at 6
        assert "cancel_reservation" in await guard.holds(pack)  # seen at once, read again
        await guard.release(pack, "cancel_reservation", "sam")
        assert await guard.holds(pack) == {}
        assert repo.reads == 3
    finally:
        await engine.dispose()


async def test_the_guide_runs_with_the_holds_already_read(held_runtime) -> None:  # type: ignore[no-untyped-def]
    """The guide previews writes and holds their stock before the confirmation: it must see
    the anomaly holds, so a held write is neither previewed nor given a unit of stock."""
    runtime, clock = held_runtime
    guard, pack = runtime.anomaly, runtime.packs["mini_airline"].pack
    for back in (3, 2, 1):
        clock.at = T0 - timedelta(seconds=60 * back)
        await guard.count(pack, _proposals(2))
    clock.at = T0
    assert await guard.count(pack, _proposals(6)) != []
    perceiver = runtime.conversations.perceiver
    seen_by_guide: list[object] = []
    gather = perceiver.guide.gather

    async def spy(turn):  # type: ignore[no-untyped-def]
        seen_by_guide.append(dict(turn.seen.holds))
        return await gather(turn)

    perceiver.guide.gather = spy  # type: ignore[method-assign]
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    turn = await runtime.conversations.post_message(cid, "please cancel my reservation 4WQ150")
    assert turn.decision is not None and turn.decision.escalation == "action_on_hold"
    assert seen_by_guide and "cancel_reservation" in seen_by_guide[0]  # type: ignore[operator]
