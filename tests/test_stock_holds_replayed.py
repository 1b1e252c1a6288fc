"""A hold the back office answers again under its key (``Idempotent-Replayed``) is read before
it is kept: live, or not readable (an outage, its circuit open), it is kept as it was; no longer
live (released, expired, converted), it is placed anew under the next key, a bounded number of
times, after which the turn is told stock is unavailable rather than promised a gone hold. The
conversation that needs it (a turn run again on another worker after a failed turn released
its hold): ``tests/test_stock_holds_ends.py``."""

from __future__ import annotations

from typing import Any, cast

import pytest

from tests.test_stock_holds_left import PARAMS, RETAIL, pending_turn
from warmline.connectors.backoffice import Replayed
from warmline.domain.decision import Decision
from warmline.domain.pack_loader import load_pack
from warmline.errors import BackOfficeNotFound, BackOfficeUnavailable
from warmline.services.actions import ActionRunner
from warmline.services.packs import PackRuntime
from warmline.services.responder import Responder
from warmline.services.stock import StockView
from warmline.services.turn.stock_holds import PLACED_ANEW, Holds

PROPOSED = Decision(
    kind="confirm",
    action="exchange_items",
    params={k: v for k, v in PARAMS.items() if k != "hold_id"},
)


@pytest.fixture(scope="module")
def runtime() -> PackRuntime:
    pack = load_pack(RETAIL)
    return PackRuntime(pack, cast(Any, None), Responder(pack))  # no message is read here


class BackOffice:
    """Holds as a back office keeps them under idempotency keys: a key seen before is answered
    again (replayed) with its first hold; ``gone`` holds read 404, ``read_down`` fails reads."""

    def __init__(self, *, gone: tuple[str, ...] = (), read_down: bool = False) -> None:
        self.by_key: dict[str, str] = {}
        self.gone, self.read_down = set(gone), read_down
        self.calls: list[tuple[str, str]] = []

    async def request(
        self, method: str, path: str, *, idempotency_key: str | None = None, **_: Any
    ) -> dict[str, Any]:
        self.calls.append((method, path))
        if method == "POST":
            assert idempotency_key is not None
            if idempotency_key in self.by_key:
                return Replayed({"hold_id": self.by_key[idempotency_key]})
            self.by_key[idempotency_key] = f"H{len(self.by_key) + 1}"
            return {"hold_id": self.by_key[idempotency_key]}
        if path.startswith("/retail/holds/"):
            hold_id = path.rsplit("/", 1)[1]
            if self.read_down:
                raise BackOfficeUnavailable("the back office did not answer")
            if hold_id in self.gone:
                raise BackOfficeNotFound(f"There is no live hold {hold_id}.")
            return {"hold_id": hold_id}
        raise BackOfficeUnavailable("no stock figures here")  # the figures' age: not needed


def holds(backoffice: BackOffice) -> Holds:
    runner = ActionRunner(cast(Any, backoffice))
    return Holds(runner, StockView(runner.client, 30.0), 600.0)


def held_reason(turn: Any) -> Any:
    [reason] = [r for r in turn.seen.observations if r.code == "stock_held"]
    return reason


async def test_a_replayed_hold_still_live_is_kept(runtime: PackRuntime) -> None:
    backoffice = BackOffice()
    first, again = pending_turn(runtime), pending_turn(runtime)
    assert await holds(backoffice).hold(first, PROPOSED, {}) is None
    assert await holds(backoffice).hold(again, PROPOSED, {}) is None  # another worker
    assert held_reason(again).values["hold_id"] == held_reason(first).values["hold_id"] == "H1"
    assert "placed anew" not in held_reason(again).detail
    assert [c for c in backoffice.calls if c[0] != "GET" or "holds" in c[1]] == [
        ("POST", "/retail/holds"),
        ("POST", "/retail/holds"),
        ("GET", "/retail/holds/H1"),
    ]


async def test_a_replayed_hold_that_cannot_be_read_is_kept(runtime: PackRuntime) -> None:
    backoffice = BackOffice()
    await holds(backoffice).hold(pending_turn(runtime), PROPOSED, {})
    backoffice.read_down = True
    again = pending_turn(runtime)
    assert await holds(backoffice).hold(again, PROPOSED, {}) is None
    assert held_reason(again).values["hold_id"] == "H1"
    assert not [r for r in again.seen.observations if r.code == "stock_unavailable"]


async def test_a_replayed_hold_no_longer_live_is_placed_anew_under_the_next_key(
    runtime: PackRuntime,
) -> None:
    backoffice = BackOffice(gone=("H1",))
    await holds(backoffice).hold(pending_turn(runtime), PROPOSED, {})
    again = pending_turn(runtime)
    assert await holds(backoffice).hold(again, PROPOSED, {}) is None
    reason = held_reason(again)
    assert reason.values["hold_id"] == "H2" and "placed anew, hold H1" in reason.detail
    first_key, next_key = list(backoffice.by_key)
    assert next_key == f"{first_key}:again:1"


async def test_keys_whose_holds_are_all_gone_end_in_stock_unavailable_not_a_gone_hold(
    runtime: PackRuntime,
) -> None:
    backoffice = BackOffice()
    worker = holds(backoffice)
    # every key the turn will try already answered with a hold since let go
    for _ in range(PLACED_ANEW + 1):
        await worker.hold(pending_turn(runtime), PROPOSED, {})
        worker._let_go(next(reversed(worker._keys)))
    backoffice.gone = set(backoffice.by_key.values())
    again = pending_turn(runtime)
    refusal = await holds(backoffice).hold(again, PROPOSED, {})  # a worker that saw none of it
    assert refusal is not None and refusal.rule == "stock_unavailable"
    [unavailable] = [r for r in again.seen.observations if r.code == "stock_unavailable"]
    assert "not live" in unavailable.detail
    assert not [r for r in again.seen.observations if r.code == "stock_held"]
