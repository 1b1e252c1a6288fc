"""A proposal whose units are held, left without being run: ``Holds.settle`` releases its hold
once, whatever decision leaves it (a person asked for, the end, a no), says so in the reason
``stock_hold_released`` of the decision it returns, never releases the hold the yes converts,
and notes a release the back office could not take (``done: false``) without raising. The
ways a customer leaves a held proposal in a conversation: ``tests/scenarios/
retail_stock_holds_left.yaml``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from warmline.domain.conversation import fold
from warmline.domain.decision import Decision, DecisionKind, Reason
from warmline.domain.events import ActionProposed, ConversationStarted
from warmline.domain.pack_loader import load_pack
from warmline.errors import BackOfficeUnavailable
from warmline.policy.handover import person_requested
from warmline.services.actions import ActionRunner
from warmline.services.packs import PackRuntime
from warmline.services.responder import Responder
from warmline.services.stock import StockView
from warmline.services.turn.context import Turn
from warmline.services.turn.stock_holds import Holds

RETAIL = Path(__file__).resolve().parent.parent / "src/warmline/demo/packs/retail.yaml"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOLD = "H000042"
PARAMS = {
    "order_id": "#W5605613",
    "item_ids": "6384525445",
    "new_item_ids": "6384525446",
    "payment_method_id": "paypal_1",
    "hold_id": HOLD,
}


class BackOffice:
    """The back office's client as the holds use it: each call kept; ``down`` refuses them."""

    def __init__(self, *, down: bool = False) -> None:
        self.calls: list[tuple[str, str]] = []
        self.down = down

    async def request(self, method: str, path: str, **_: Any) -> dict[str, Any]:
        self.calls.append((method, path))
        if self.down:
            raise BackOfficeUnavailable("the back office did not answer")
        return {"hold_id": HOLD, "released": True}


@pytest.fixture(scope="module")
def runtime() -> PackRuntime:
    pack = load_pack(RETAIL)
    return PackRuntime(pack, cast(Any, None), Responder(pack))  # no message is read here


def pending_turn(runtime: PackRuntime) -> Turn:
    """A turn that begins with the exchange proposed and its unit held."""
    state = fold(
        [
            ConversationStarted(at=NOW, pack="retail"),
            ActionProposed(
                at=NOW, action="exchange_items", params=PARAMS, confirmation="Shall I go ahead?"
            ),
        ]
    )
    return Turn("0123456789abcdef", state, runtime, NOW)


def holds(backoffice: BackOffice) -> Holds:
    runner = ActionRunner(cast(Any, backoffice))
    return Holds(runner, StockView(runner.client, 30.0), 600.0)


def released(decision: Decision) -> list[Reason]:
    return [r for r in decision.reasons if r.code == "stock_hold_released"]


async def test_a_person_asked_for_releases_the_hold_once_and_says_so(
    runtime: PackRuntime,
) -> None:
    backoffice, turn = BackOffice(), pending_turn(runtime)
    escalate = person_requested(turn.state)
    assert escalate is not None
    decision = await holds(backoffice).settle(turn, escalate)
    assert backoffice.calls == [("DELETE", f"/retail/holds/{HOLD}")]
    [reason] = released(decision)
    assert reason.values == {"hold_id": HOLD, "done": True}
    assert decision.kind == "escalate" and decision.escalation == "customer_request"
    # the same turn settled again (another stage leaving it too) releases nothing twice
    again = await holds(backoffice).settle(turn, decision)
    assert len(backoffice.calls) == 1 and released(again) == [reason]


@pytest.mark.parametrize("kind", ["close", "decline", "answer"])
async def test_every_decision_that_leaves_the_proposal_releases_its_hold(
    runtime: PackRuntime, kind: DecisionKind
) -> None:
    backoffice, turn = BackOffice(), pending_turn(runtime)
    decision = await holds(backoffice).settle(turn, Decision(kind=kind))
    assert backoffice.calls == [("DELETE", f"/retail/holds/{HOLD}")]
    assert [r.values["done"] for r in released(decision)] == [True]


async def test_the_yes_keeps_the_hold_its_write_converts(runtime: PackRuntime) -> None:
    backoffice, turn = BackOffice(), pending_turn(runtime)
    pending = turn.state.pending
    assert pending is not None
    yes = Decision(kind="act", action="exchange_items", params=PARAMS, proposal=pending.proposal)
    assert await holds(backoffice).settle(turn, yes) == yes
    assert backoffice.calls == []


async def test_a_release_the_back_office_cannot_take_is_noted_not_raised(
    runtime: PackRuntime,
) -> None:
    backoffice, turn = BackOffice(down=True), pending_turn(runtime)
    escalate = person_requested(turn.state)
    assert escalate is not None
    decision = await holds(backoffice).settle(turn, escalate)
    [reason] = released(decision)
    assert reason.values["done"] is False and "lapses in the back office" in reason.detail
    assert [r.code for r in turn.seen.observations] == ["stock_hold_released"]
