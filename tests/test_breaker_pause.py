"""An open write breaker pauses that write's proposals: the customer is told and offered a
person, nothing is proposed, and the reads (and the other writes) go on."""

from __future__ import annotations

import pytest

from warmline.domain.events import Escalated
from warmline.errors import BackOfficeUnavailable
from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"
CANCEL = "write:mini_airline.cancel_reservation"


async def _open(runtime: Runtime, operation: str) -> None:
    async def down() -> dict[str, object]:
        raise BackOfficeUnavailable("back office answered 503")

    for _ in range(runtime.settings.backoffice_circuit_threshold):
        with pytest.raises(BackOfficeUnavailable):
            await runtime.backoffice.breakers.call(operation, down)
    assert await runtime.backoffice.circuit_open(operation)


async def test_an_open_write_breaker_proposes_nothing_and_offers_a_person(
    runtime: Runtime,
) -> None:
    service = runtime.conversations
    await _open(runtime, CANCEL)
    cid = (await service.start(None, USER)).conversation_id
    turn = await service.post_message(cid, "please cancel my reservation 4WQ150")
    assert turn.status == "escalated"
    escalated = next(e for e in turn.events if isinstance(e, Escalated))
    assert escalated.trigger == "circuit_open"
    assert "circuit_open" in [r.code for r in escalated.reasons]
    assert not any(e.kind == "action_proposed" for e in turn.events)
    state, _ = await service.state(cid)
    assert state.pending is None
    reservation = await runtime.backoffice.request("GET", "/airline/reservations/4WQ150")
    assert reservation["status"] != "cancelled"  # and the reads go on
    assert (await runtime.backoffice.breaker_states())["read"].state == "closed"


async def test_another_write_breaker_open_does_not_pause_this_one(runtime: Runtime) -> None:
    service = runtime.conversations
    await _open(runtime, "write:mini_airline.book_reservation")
    cid = (await service.start(None, USER)).conversation_id
    turn = await service.post_message(cid, "please cancel my reservation 4WQ150")
    assert turn.decision is not None and turn.decision.kind == "confirm"
