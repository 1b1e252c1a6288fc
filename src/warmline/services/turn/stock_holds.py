"""Holds: stock set aside before a write that takes it is proposed, so nothing is promised that
is not there (the pack's ``hold:``, ``domain/pack.py``).

The guide (``services/turn/guide.py``) calls ``Holds`` as it reads a turn: the choices of the
held parameter are offered only with units free by a figure at most ``WARMLINE_STOCK_MAX_AGE_S``
old (``services/stock.py``); before a confirmation is asked for, one unit per value is held in
the back office (a refusal is told as the item just sold out, and the choice asked again);
when the turn's decision neither runs nor asks again for the proposal a hold was made for (a
no, another request, a correction, a person asked for, the end of the chat, the write refused
after the yes), that hold is released once (``Holds.settle``). What else nothing will take is
released at the end of the turn (``Holds.through``, the rule in ``services/turn/hold_ends.py``):
the hold placed for a confirmation the turn did not end up asking for, the hold of a write after
the yes that failed taking nothing (a record not found, its circuit open; not a timeout, which
may have converted it), and the hold placed by a turn that failed. A write a person rejects
from the approval queue lets its hold go too (``release_write``, ``services/rollout.py``). The
back office's timeout is the net for a customer who never answers, for a write that may have
taken its hold, and for a release the back office could not take. The policy decides on the
values without the hold's id (``without_holds``); ``with_hold`` then puts it in the decision
whose write it backs: the confirmation (found in the ``stock_held`` reason) and the yes (found
in the proposal), so the write converts it. Every step is a reason of the turn's decision.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from warmline.connectors.backoffice import replayed
from warmline.domain.conversation import ConversationState, Offer, PendingAction, Refusal
from warmline.domain.decision import Decision, Reason
from warmline.domain.pack import DomainPack, StockHold
from warmline.errors import (
    BackOfficeNotFound,
    BackOfficeRejected,
    BackOfficeUnavailable,
    ConnectorError,
)
from warmline.policy.guided import as_list
from warmline.services.actions import ActionRunner
from warmline.services.metrics import count_hold
from warmline.services.stock import StockView
from warmline.services.turn.context import Turn
from warmline.services.turn.hold_ends import hold_of, left_unclaimed, placed, released, with_reason

log = logging.getLogger("warmline.stock")


KEYS_KEPT = 4096
PLACED_ANEW = 3  # at most so many keys tried after the first's hold is found no longer live


class Holds:
    def __init__(self, runner: ActionRunner, stock: StockView, ttl_s: float) -> None:
        self.runner = runner
        self.stock = stock
        self.ttl_s = ttl_s
        # a hold's key by its id, and how often a failed turn released a hold of that key
        self._keys: OrderedDict[str, str] = OrderedDict()
        self._again: OrderedDict[str, int] = OrderedDict()

    def _key(self, turn: Turn, action: str, items: list[str]) -> str:
        """The hold's idempotency key (``_hold_key``), once more anew for each time a turn
        that failed released the hold placed under it: the turn run again holds what it
        needs, where the back office would answer the key with the released hold."""
        key = _hold_key(turn, action, items)
        again = self._again.get(key, 0)
        return f"{key}:again:{again}" if again else key

    def _placed(self, hold_id: str, key: str) -> None:
        _bounded(self._keys, hold_id, key)

    def _let_go(self, hold_id: str) -> None:
        key = self._keys.pop(hold_id, None)
        if key is not None:
            base = key.split(":again:")[0]
            _bounded(self._again, base, self._again.get(base, 0) + 1)

    async def in_stock(self, turn: Turn, hold: StockHold, offer: Offer) -> Offer:
        """``offer`` less the variants with no unit free, by figures at most the bound old
        (a value that changes nothing, "keep as it is", stays)."""
        try:
            figures = await self.stock.figures(hold.stock, [v for v in offer.values if v])
        except ConnectorError as exc:
            note(turn, Reason(code="stock_unavailable", detail=exc.title))
            return offer  # offered as the record says: the hold checks before any promise
        keep = [
            i
            for i, value in enumerate(offer.values)
            if not value or (f := figures.by_item.get(value)) is None or f.free > 0
        ]
        gone = len(offer.values) - len(keep)
        note(
            turn,
            Reason(
                code="stock_checked",
                detail=f"{len(figures.by_item)} stock figures, the oldest {figures.oldest_s} s"
                f" old (bound {self.stock.max_age_s} s), {figures.read_again} read again;"
                f" {gone} sold out not offered",
                values={
                    "age_s": figures.oldest_s,
                    "max_age_s": self.stock.max_age_s,
                    "read_again": figures.read_again,
                    "sold_out": gone,
                },
            ),
        )
        if not gone:
            return offer
        labels = tuple(offer.labels[i] for i in keep)
        return replace(offer, labels=labels, values=tuple(offer.values[i] for i in keep))

    async def hold(
        self, turn: Turn, decision: Decision, offers: dict[str, Offer]
    ) -> Refusal | None:
        """Hold the units the proposed write takes (None: held, or nothing to hold); a
        refusal, worded as the item just sold out, when the back office has none left."""
        action = turn.pack.actions.get(decision.action or "")
        spec = action.hold if action is not None else None
        if spec is None:
            return None
        items = [v for v in as_list(decision.params.get(spec.items)) if v]
        if not items:
            return None
        earlier = _pending_hold(turn.pack, turn.state.pending)
        body: dict[str, object] = {"item_ids": items, "ttl_s": self.ttl_s}
        if earlier is not None:
            body["replaces"] = earlier  # the same customer's last proposal: let go first
        key = self._key(turn, decision.action or "", items)
        gone: list[str] = []  # holds the key's replayed answer named, no longer live
        try:
            held = await self._place(spec, body, key)
            while (lapsed := await self._not_live(spec, held)) is not None:
                gone.append(lapsed)
                self._let_go(lapsed)  # this worker's next key for the turn, as after a release
                if len(gone) > PLACED_ANEW:
                    told = f"holds {', '.join(gone)}, answered again under their keys, not live"
                    log.warning("%s: %s", turn.conversation_id, told)
                    note(turn, Reason(code="stock_unavailable", detail=told))
                    return Refusal("stock_unavailable", BackOfficeUnavailable.title)
                key = self._key(turn, decision.action or "", items)
                held = await self._place(spec, body, key)
        except BackOfficeRejected as exc:
            return self.sold_out(turn, decision, offers, exc.public_detail(), exc.rule)
        except ConnectorError as exc:
            note(turn, Reason(code="stock_unavailable", detail=exc.title))
            return Refusal("stock_unavailable", exc.public_detail())
        figures = await self._figures_noted(spec, items)
        anew = f"; placed anew, hold {', '.join(gone)} under its key no longer live" if gone else ""
        note(
            turn,
            Reason(
                code="stock_held",
                detail=f"hold {held.get('hold_id')} of {len(items)} unit(s) for {self.ttl_s:g} s"
                f" before the confirmation; stock figure {figures} s old"
                f" (bound {self.stock.max_age_s} s){anew}",
                values={
                    "hold_id": str(held.get("hold_id", "")),
                    "action": decision.action or "",
                    "basis": _basis(decision.params, spec),
                    "ttl_s": self.ttl_s,
                    "age_s": figures,
                    "max_age_s": self.stock.max_age_s,
                    "replaced": earlier,
                },
            ),
        )
        return None

    async def _place(self, spec: StockHold, body: dict[str, object], key: str) -> dict[str, Any]:
        held = await self.runner.client.request("POST", spec.holds, json=body, idempotency_key=key)
        self._placed(str(held.get("hold_id", "")), key)
        return held

    async def _not_live(self, spec: StockHold, held: dict[str, Any]) -> str | None:
        """The id of the hold a replayed answer names when the back office no longer has it
        live (released, expired or converted since the first call under the key); else None.
        The turn run again on another worker after a failed turn released its hold meets
        this: the key is the same, the worker that released it knew to make it anew."""
        hold_id = str(held.get("hold_id", ""))
        if not replayed(held) or not hold_id:
            return None
        try:
            await self.runner.client.request("GET", f"{spec.holds}/{hold_id}")
        except BackOfficeNotFound:
            return hold_id
        except ConnectorError as exc:  # the read failed (an outage, its circuit open): the
            # hold is kept, as any the back office answered with; a lapsed one the write re-checks
            log.info("hold %s replayed, not read (%s): kept", hold_id, exc.title)
        return None

    async def settle(self, turn: Turn, decision: Decision) -> Decision:
        """Release the hold of the proposal the turn began with, unless the decision runs it
        (the yes: the write converts it) or a new hold replaced it; ``decision`` returned with
        the release's reason (also noted on the turn). Whatever way the turn leaves the
        proposal calls this once its decision is known: the guide's (a no, another request, a
        correction, a person asked for in words, the end), the write refused after the yes
        (``services/turn/perceive.py``). A hold released already in the turn is not again."""
        pending = turn.state.pending
        hold_id = _pending_hold(turn.pack, pending)
        if pending is None or hold_id is None:
            return decision
        if decision.kind == "act" and decision.proposal == pending.proposal:
            return decision
        if any(
            (r.code == "stock_held" and r.values.get("replaced") == hold_id)
            or (r.code == "stock_hold_released" and r.values.get("hold_id") == hold_id)
            for r in turn.seen.observations
        ):
            return decision
        told = f"hold {hold_id} of the proposal not taken up released ({decision.kind})"
        reason = await self.release(turn.pack, pending.action, hold_id, told)
        note(turn, reason)
        kept = [r for r in decision.reasons if r.code != reason.code]
        return decision.model_copy(update={"reasons": [*kept, reason]})

    async def release(self, pack: DomainPack, action: str, hold_id: str, told: str) -> Reason:
        """Let hold ``hold_id`` of a write of ``action`` go in the back office; the reason
        ``stock_hold_released`` says so in ``told``, or (``done: false``) that the back office
        could not take it and it lapses at its timeout. Never raises a connector's error."""
        spec = pack.actions[action].hold
        assert spec is not None
        values: dict[str, float | str | bool | None] = {"hold_id": hold_id, "done": True}
        try:
            await self.runner.client.request("DELETE", f"{spec.holds}/{hold_id}")
        except ConnectorError as exc:  # the back office lets it lapse at its timeout
            told = f"hold {hold_id} not released ({exc.title}); it lapses in the back office"
            values["done"] = False
        return Reason(code="stock_hold_released", detail=told, values=values)

    @asynccontextmanager
    async def through(self, turn: Turn) -> AsyncIterator[None]:
        """Run a customer turn's stages inside: once they are over, the holds the turn leaves
        that nothing will take (``services/turn/hold_ends.py``) are released, each a reason of
        the turn's decision. When a stage raises, the turn records nothing: the hold placed
        in it, which no recorded proposal can carry, is released (logged and counted, there
        being no decision to tell it) and the error goes on. The append itself is left out: one
        that fails may have been stored, proposal and hold with it."""
        try:
            yield
        except BaseException:  # cancelled too (a worker stopping): shielded from a second one
            await asyncio.shield(self._after_failure(turn))
            raise
        for left in left_unclaimed(turn):
            told = f"hold {left.hold_id}, {left.why}, released"
            with_reason(turn, await self.release(turn.pack, left.action, left.hold_id, told))

    async def _after_failure(self, turn: Turn) -> None:
        """Release the hold placed by a turn that failed (logged and counted: the turn has no
        decision to tell it), and make its key anew for the turn run again."""
        new = placed(turn)
        if new is None or new.hold_id in released(turn):
            return
        told = f"hold {new.hold_id}, placed by a turn that failed, released"
        reason = await self.release(turn.pack, new.action, new.hold_id, told)
        self._let_go(new.hold_id)
        count_hold("released")  # as a decision's release is counted, taken or not
        log.warning("%s: %s", turn.conversation_id, reason.detail)

    async def release_write(
        self, pack: DomainPack, action: str, params: dict[str, str], told: str
    ) -> Reason | None:
        """Release the hold a write's values carry (None: they carry none): for a write that
        will not run, as one a person rejected (``services/rollout.py``)."""
        hold_id = hold_of(pack, action, params)
        if hold_id is None:
            return None
        return await self.release(pack, action, hold_id, f"hold {hold_id}, {told}, released")

    def sold_out(
        self,
        turn: Turn,
        decision: Decision,
        offers: dict[str, Offer],
        said: str,
        rule: str | None = "out_of_stock",
    ) -> Refusal:
        """The refusal of a write whose units are gone (the back office ``said`` so, to the
        hold or the dry run), worded by the pack's ``sold_out``: the options named."""
        action = turn.pack.actions.get(decision.action or "")
        spec = action.hold if action is not None else None
        items = as_list(decision.params.get(spec.items)) if spec is not None else []
        labels = {
            v: label for o in offers.values() for v, label in zip(o.values, o.labels, strict=False)
        }
        gone = [i for i in dict.fromkeys(items) if i and i in said] or [i for i in items if i]
        named = [{"item_id": i, "label": labels.get(i, "")} for i in gone]
        self.stock.forget(gone)  # the choices asked again are read with the back office's word
        responder, arms = turn.runtime.responder, turn.state.arms
        text, _ = responder.render_safe("sold_out", "sold_out", arms, items=named, reason=said)
        detail = f"no unit left of {len(gone)} option(s) to hold: {said}"
        note(turn, Reason(code="stock_sold_out", detail=detail, values={"items": len(gone)}))
        return Refusal(rule or "out_of_stock", text)

    async def _figures_noted(self, spec: StockHold, items: list[str]) -> float | None:
        try:
            return (await self.stock.figures(spec.stock, items)).oldest_s
        except ConnectorError:
            return None


def note(turn: Turn, reason: Reason) -> None:
    """Add ``reason`` to what the turn observed (every decision carries it), replacing an
    earlier one of the same code."""
    kept = [r for r in turn.seen.observations if r.code != reason.code]
    turn.seen = replace(turn.seen, observations=[*kept, reason])


def without_holds(pack: DomainPack, state: ConversationState) -> ConversationState:
    """The state the policy decides on: the values of the proposal and of the request under
    way without a hold's id (the hold is the guide's, not the customer's)."""
    pending, filling = state.pending, state.filling
    bare_pending = _stripped(pack, pending.action, pending.params) if pending else None
    bare_filling = _stripped(pack, filling.action, filling.params) if filling else None
    if bare_pending is None and bare_filling is None:
        return state
    if pending is not None and bare_pending is not None:
        state = replace(state, pending=replace(pending, params=bare_pending))
    if filling is not None and bare_filling is not None:
        state = replace(state, filling=replace(filling, params=bare_filling))
    return state


def with_hold(turn: Turn, decision: Decision) -> Decision:
    """The decision with the hold's id among its values when it asks for a yes to the write the
    turn held units for, or runs the proposal a hold was made for."""
    action = turn.pack.actions.get(decision.action or "")
    spec = action.hold if action is not None else None
    if spec is None:
        return decision
    hold_id: str | None = None
    if decision.kind == "confirm":
        basis = _basis(decision.params, spec)
        hold_id = next(
            (
                str(r.values.get("hold_id"))
                for r in decision.reasons
                if r.code == "stock_held"
                and r.values.get("action") == decision.action
                and r.values.get("basis") == basis
            ),
            None,
        )
    elif decision.kind == "act":
        pending = turn.state.pending
        if pending is not None and decision.proposal == pending.proposal:
            hold_id = _pending_hold(turn.pack, pending)
    if not hold_id:
        return decision
    update: dict[str, object] = {"params": {**decision.params, spec.param: hold_id}}
    if decision.kind == "act":  # the yes: the write converts the hold (or, lapsed, re-checks)
        detail = f"the write sends hold {hold_id}, made for this proposal, to be converted"
        values: dict[str, float | str | bool | None] = {"hold_id": hold_id, "converts": True}
        update["reasons"] = [
            *decision.reasons,
            Reason(code="stock_held", detail=detail, values=values),
        ]
    return decision.model_copy(update=update)


def _stripped(pack: DomainPack, action_name: str, params: dict[str, str]) -> dict[str, str] | None:
    action = pack.actions.get(action_name)
    spec = action.hold if action is not None else None
    if spec is None or spec.param not in params:
        return None
    return {k: v for k, v in params.items() if k != spec.param}


def _pending_hold(pack: DomainPack, pending: PendingAction | None) -> str | None:
    return hold_of(pack, pending.action, pending.params) if pending is not None else None


def _basis(params: dict[str, str], spec: StockHold) -> str:
    """The values a hold was made for, as one string (the hold's id left out)."""
    return json.dumps({k: v for k, v in params.items() if k != spec.param}, sort_keys=True)


def _hold_key(turn: Turn, action: str, items: list[str]) -> str:
    """The hold's idempotency key: the connector's retries, and a turn run again at the same
    version (its append failed, and may not have been stored), hold once. A turn that failed
    before its append released its hold: ``Holds._key`` then makes the key anew. That is known
    to the worker that released it; a turn run again on another worker sends the same key,
    gets the released hold's answer replayed, finds it no longer live (``Holds._not_live``)
    and holds under the next key."""
    digest = hashlib.sha256(json.dumps(sorted(items)).encode()).hexdigest()[:16]
    return f"{turn.conversation_id}:{turn.state.version}:{action}:hold:{digest}"


def _bounded(kept: OrderedDict[str, Any], key: str, value: Any) -> None:
    kept[key] = value
    kept.move_to_end(key)
    while len(kept) > KEYS_KEPT:
        kept.popitem(last=False)
