"""Holds nothing will take are let go, in conversations over the reference back office: the
hold a write after the yes sent when the write failed taking nothing (its order not found, its
circuit open), but not when it timed out (it may have converted the hold); the hold placed for a
confirmation the turn did not end up asking for; the hold placed by a turn that failed (and the
same message sent again holds anew); the hold of a write a supervisor rejects. Each release is
``stock_hold_released`` among the reasons of the turn's decision (the rejection's: its audit
entry) and happens once (``services/turn/hold_ends.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import test_settings
from warmline.domain.decision import Reason
from warmline.domain.events import (
    ActionAwaitingApproval,
    ActionFailed,
    ActionProposed,
    ActionRejected,
    Decided,
    Event,
)
from warmline.errors import BackOfficeUnavailable, StorageError
from warmline.nlu.embeddings import Encoder
from warmline.services.runtime import Runtime

CUSTOMER, ORDER, NEW = "emma_smith_8564", "#W5605613", "6384525445"  # the CF-card camera
WRITE = "write:retail.exchange_items"  # the exchange's breaker
OPENING = f"I want to exchange the digital camera I got in order {ORDER}"
OPTION = "Digital Camera: resolution 30MP, zoom 5x, storage CF card - $2929.62"


@pytest.fixture
async def retail(
    encoder: Encoder, model_cache: Path, backoffice_app: Any
) -> AsyncIterator[Runtime]:
    # one failed call (its retries included) opens a breaker
    settings = test_settings(
        model_cache,
        packs=["retail"],
        default_pack="retail",
        backoffice_circuit_threshold=1,
    )
    runtime = await Runtime.build(
        settings, transport=httpx.ASGITransport(app=backoffice_app), encoder=encoder
    )
    yield runtime
    await runtime.aclose()


def held(backoffice: Any) -> int:
    """Units of the camera held now, read in the back office itself (a call could meet a
    circuit these tests open)."""
    return int(backoffice.state.store.stock.figure(NEW)["held"])


def live(backoffice: Any, hold_id: str) -> bool:
    return backoffice.state.store.stock.hold(hold_id) is not None


def reasons(events: list[Event], code: str) -> list[Reason]:
    return [
        r for e in events if isinstance(e, Decided) for r in e.decision.reasons if r.code == code
    ]


async def at_the_option(service: Any) -> str:
    """A conversation whose exchange has its option chosen, the payment asked next: its id."""
    cid = (await service.start("retail", CUSTOMER)).conversation_id
    await service.post_message(cid, OPENING)
    await service.post_message(cid, OPTION)
    return str(cid)


async def proposed(runtime: Runtime, backoffice: Any) -> tuple[str, str]:
    """A conversation whose exchange waits for a yes with its unit held: its id and the hold's."""
    service = runtime.conversations
    cid = await at_the_option(service)
    asked = await service.post_message(cid, "PayPal")
    assert asked.decision is not None and asked.decision.kind == "confirm"
    [hold] = reasons(asked.events, "stock_held")
    assert held(backoffice) == 1
    return cid, str(hold.values["hold_id"])


async def trip(runtime: Runtime, switches: Any) -> None:
    """Open the exchange's circuit: one of its calls failing while the back office is down."""
    switches.outage = True
    with pytest.raises(BackOfficeUnavailable):
        await runtime.backoffice.request(
            "POST",
            f"/retail/orders/{ORDER}/exchange",
            json={},
            idempotency_key="trip",
            operation=WRITE,
        )
    switches.outage = False
    assert await runtime.backoffice.circuit_open(WRITE)


async def test_a_write_whose_order_is_gone_lets_its_hold_go(
    retail: Runtime, backoffice_app: Any
) -> None:
    cid, hold_id = await proposed(retail, backoffice_app)
    del backoffice_app.state.store.orders[ORDER]  # the order is gone when the yes comes
    done = await retail.conversations.post_message(cid, "yes")
    [failed] = [e for e in done.events if isinstance(e, ActionFailed)]
    assert failed.error == "backoffice_not_found" and failed.params["hold_id"] == hold_id
    [released] = reasons(done.events, "stock_hold_released")
    assert released.values == {"hold_id": hold_id, "done": True}
    assert "failed (backoffice_not_found)" in released.detail
    assert held(backoffice_app) == 0 and not live(backoffice_app, hold_id)


async def test_a_write_behind_an_open_circuit_lets_its_hold_go(
    retail: Runtime, backoffice_app: Any
) -> None:
    cid, hold_id = await proposed(retail, backoffice_app)
    await trip(retail, backoffice_app.state.switches.switches)
    done = await retail.conversations.post_message(cid, "yes")
    assert done.decision is not None and done.decision.kind == "act"
    assert [e.error for e in done.events if isinstance(e, ActionFailed)] == ["circuit_open"]
    [released] = reasons(done.events, "stock_hold_released")
    assert released.values == {"hold_id": hold_id, "done": True}
    assert held(backoffice_app) == 0


async def test_a_write_that_timed_out_keeps_its_hold(
    retail: Runtime, backoffice_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid, hold_id = await proposed(retail, backoffice_app)
    runner, switches = retail.conversations.actor.runner, backoffice_app.state.switches.switches
    execute = runner.execute

    async def unanswered(*args: Any, **kwargs: Any) -> dict[str, Any]:
        switches.outage = True  # the write alone goes unanswered: a release would be taken
        try:
            return await execute(*args, **kwargs)
        finally:
            switches.outage = False

    monkeypatch.setattr(runner, "execute", unanswered)
    done = await retail.conversations.post_message(cid, "yes")
    assert [e.error for e in done.events if isinstance(e, ActionFailed)] == [
        "backoffice_unavailable"
    ]
    assert reasons(done.events, "stock_hold_released") == []  # it may have converted the hold
    assert held(backoffice_app) == 1 and live(backoffice_app, hold_id)


async def test_a_hold_for_a_confirmation_never_asked_is_let_go(
    retail: Runtime, backoffice_app: Any
) -> None:
    service = retail.conversations
    cid = await at_the_option(service)
    # the exchange's circuit opens before the payment is chosen: its dry run is not sent, the
    # unit is held, then the confirmation's record cannot be read and a person takes over
    await trip(retail, backoffice_app.state.switches.switches)
    turn = await service.post_message(cid, "PayPal")
    assert turn.decision is not None and turn.decision.kind == "confirm"
    assert not [e for e in turn.events if isinstance(e, ActionProposed)]
    [hold] = reasons(turn.events, "stock_held")
    [released] = reasons(turn.events, "stock_hold_released")
    assert released.values == {"hold_id": hold.values["hold_id"], "done": True}
    assert "did not ask for" in released.detail
    assert held(backoffice_app) == 0


async def failed_at_payment(service: Any, where: object, name: str, error: BaseException) -> str:
    """A conversation at its option whose "PayPal" turn failed: ``where.name`` raised ``error``
    under it. Its id."""
    cid = await at_the_option(service)
    with pytest.MonkeyPatch().context() as patched:

        async def broken(*_: object, **__: object) -> None:
            raise error

        patched.setattr(where, name, broken)
        with pytest.raises(type(error)):
            await service.post_message(cid, "PayPal")
    return cid


async def test_a_turn_that_fails_after_the_hold_lets_it_go_and_the_message_again_holds_anew(
    retail: Runtime, backoffice_app: Any
) -> None:
    service = retail.conversations
    error = RuntimeError("the reply could not be made")
    cid = await failed_at_payment(service, service.replier, "reply", error)
    assert held(backoffice_app) == 0  # the failed turn recorded nothing, and holds nothing
    asked = await service.post_message(cid, "PayPal")
    [hold] = reasons(asked.events, "stock_held")
    assert held(backoffice_app) == 1 and live(backoffice_app, str(hold.values["hold_id"]))


async def test_the_message_again_on_another_worker_after_a_failed_turn_holds_anew(
    retail: Runtime, backoffice_app: Any
) -> None:
    service = retail.conversations
    error = RuntimeError("the worker died under the reply")
    cid = await failed_at_payment(service, service.replier, "reply", error)
    assert held(backoffice_app) == 0
    # another worker takes the message again: it never saw the release, so it sends the same
    # key, and the back office replays the released hold
    holds = service.perceiver.guide.holds
    holds._again.clear()
    holds._keys.clear()
    asked = await service.post_message(cid, "PayPal")
    [hold] = reasons(asked.events, "stock_held")
    assert "placed anew" in hold.detail and "no longer live" in hold.detail
    assert held(backoffice_app) == 1 and live(backoffice_app, str(hold.values["hold_id"]))
    done = await service.post_message(cid, "yes")  # the write converts the live hold
    assert not [e for e in done.events if isinstance(e, ActionFailed)]
    assert held(backoffice_app) == 0


async def test_a_turn_whose_append_failed_keeps_its_hold_and_the_message_again_holds_it_once(
    retail: Runtime, backoffice_app: Any
) -> None:
    service = retail.conversations
    error = StorageError("the database went away under the append")
    cid = await failed_at_payment(service, service.repo, "append", error)
    assert held(backoffice_app) == 1  # the append may have been stored: the hold is kept
    asked = await service.post_message(cid, "PayPal")
    [hold] = reasons(asked.events, "stock_held")
    assert held(backoffice_app) == 1 and live(backoffice_app, str(hold.values["hold_id"]))


async def test_a_turn_cancelled_after_the_hold_lets_it_go(
    retail: Runtime, backoffice_app: Any
) -> None:
    service = retail.conversations
    stopping = asyncio.CancelledError()  # the worker stopping under the turn
    await failed_at_payment(service, service.replier, "reply", stopping)
    assert held(backoffice_app) == 0


async def test_a_write_a_supervisor_rejects_lets_its_hold_go(
    retail: Runtime, backoffice_app: Any
) -> None:
    rollouts = retail.rollouts
    await rollouts.change_mode("retail", "exchange_items", "supervised", "sue", "check them")
    cid, hold_id = await proposed(retail, backoffice_app)
    done = await retail.conversations.post_message(cid, "yes")
    [waiting] = [e for e in done.events if isinstance(e, ActionAwaitingApproval)]
    assert waiting.params["hold_id"] == hold_id
    assert held(backoffice_app) == 1  # kept for the person who decides
    [approval] = await rollouts.waiting()
    await rollouts.reject(approval.id, "ana", "not this one")
    assert held(backoffice_app) == 0 and not live(backoffice_app, hold_id)
    _, log = await retail.conversations.state(cid)
    [rejected] = [e for e in log if isinstance(e, ActionRejected)]
    assert [(r.code, r.values) for r in rejected.reasons] == [
        ("stock_hold_released", {"hold_id": hold_id, "done": True})
    ]
    [entry] = [e for e in await retail.audit.entries(limit=5) if e.action == "approval.reject"]
    assert entry.detail["hold_released"] == hold_id and entry.detail["hold_done"] is True


async def test_a_rejection_the_conversation_could_not_record_logs_the_hold_it_released(
    retail: Runtime, backoffice_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    rollouts = retail.rollouts
    await rollouts.change_mode("retail", "exchange_items", "supervised", "sue", "check them")
    cid, hold_id = await proposed(retail, backoffice_app)
    await retail.conversations.post_message(cid, "yes")
    [approval] = await rollouts.waiting()
    with pytest.MonkeyPatch().context() as patched:

        async def lost(*_: object, **__: object) -> None:
            raise StorageError("the database went away")

        patched.setattr(retail.conversations, "transact", lost)
        with pytest.raises(StorageError), caplog.at_level("WARNING", "warmline.rollout"):
            await rollouts.reject(approval.id, "ana", "not this one")
    assert not live(backoffice_app, hold_id)
    assert any(
        hold_id in r.getMessage() and "could not record" in r.getMessage() for r in caplog.records
    )
