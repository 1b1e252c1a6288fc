"""The rollout of writes: the mode in force for each action (the pack's, or the one a
supervisor set, kept in the database for every worker), the approval queue, and what a
person decides from the console (docs/rollout.md).

A write held after the customer's yes (``services/turn/act.py``, as ``policy/rollout.py``
decides) waits here. Executing it sends the very write the bot would have sent, with the same
idempotency key, then tells the customer the outcome in the pack's success words; rejecting it
tells them nothing was changed and offers a person, and lets go the stock the write held
since before its confirmation (it will never run to convert it). Both are events of the
conversation (live on the customer's page) and entries of the audit log. Every change of mode
is audited with who, from, to and why; leaving shadow is refused until the agreement measured
on the shadow cases meets the action's bar (``promotion``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from warmline.domain.conversation import ConversationState
from warmline.domain.decision import Reason
from warmline.domain.events import (
    ActionApproved,
    ActionExecuted,
    ActionRejected,
    BotReplied,
    Event,
)
from warmline.domain.pack import ROLLOUT_MODES, Action, DomainPack, RolloutMode
from warmline.errors import ConflictError, ConnectorError, InputError, NotFound
from warmline.policy.rollout import Agreement, Promotion, promotion
from warmline.services.audit import AuditLog
from warmline.services.input_text import encodable
from warmline.services.metrics import count_hold
from warmline.services.packs import PackRegistry, PackRuntime
from warmline.storage.rollout import Approval, RolloutRepository
from warmline.types import Clock

if TYPE_CHECKING:
    from warmline.services.conversations import ConversationService

__all__ = ["ActionRollout", "Approval", "Rollouts"]

log = logging.getLogger("warmline.rollout")
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class ActionRollout:
    """One write of one pack as the console shows it: its declared and current mode, who set
    it, the agreement measured in shadow, and whether it may leave shadow now."""

    pack: str
    action: str
    risk: str
    declared: RolloutMode
    mode: RolloutMode
    changed_by: str | None
    agreement: Agreement
    min_cases: int
    min_agreement: float
    max_amount: float | None
    promotable: Promotion


class Rollouts:
    def __init__(
        self, repo: RolloutRepository, packs: PackRegistry, audit: AuditLog, clock: Clock
    ) -> None:
        self.repo, self.packs, self.audit, self.clock = repo, packs, audit, clock
        self.conversations: ConversationService | None = None  # set by the runtime

    async def mode(self, pack: DomainPack, name: str) -> RolloutMode:
        """The mode in force for ``pack``'s action ``name``: a supervisor's, else the pack's."""
        row = (await self.repo.modes(pack.pack)).get(name)
        if row is not None and row.mode in ROLLOUT_MODES:
            return ROLLOUT_MODES[ROLLOUT_MODES.index(row.mode)]
        return pack.declared_mode(name)

    async def hold(self, approval: Approval) -> None:
        """Queue a write for a person (a retried turn with the same key queues it once)."""
        await self.repo.add(approval)

    async def waiting(self) -> list[Approval]:
        return await self.repo.waiting()

    async def overview(self) -> list[ActionRollout]:
        """Every write of every pack served, with its mode and agreement."""
        rows = []
        for runtime in self.packs.values():
            pack = runtime.pack
            modes, measured = await self.repo.modes(pack.pack), await self.repo.agreement(pack.pack)
            for name, action in pack.actions.items():
                if action.risk == "read":
                    continue
                agreement = Agreement(*measured.get(name, (0, 0)))
                set_by = modes.get(name)
                mode = await self.mode(pack, name)
                target: RolloutMode = "supervised" if mode == "shadow" else mode
                rows.append(
                    ActionRollout(
                        pack.pack,
                        name,
                        action.risk,
                        pack.declared_mode(name),
                        mode,
                        set_by.changed_by if set_by else None,
                        agreement,
                        action.rollout.min_cases,
                        action.rollout.min_agreement,
                        action.rollout.max_amount,
                        promotion(action, mode, target, agreement),
                    )
                )
        return rows

    def _action(self, pack: str, name: str) -> tuple[PackRuntime, Action]:
        runtime = self.packs.get(pack)
        if runtime is None or name not in runtime.pack.actions:
            raise NotFound(f"no action '{name}' in pack '{pack}'")
        return runtime, runtime.pack.actions[name]

    async def change_mode(self, pack: str, name: str, to: str, who: str, why: str) -> Promotion:
        """A supervisor changes the mode of ``pack``'s action ``name`` (audited with who, from,
        to, why and the agreement measured); refused (``ConflictError``) when the policy says
        no: out of shadow without the measured agreement, or no change."""
        _, action = self._action(pack, name)
        why = encodable(why, "the reason").strip()
        if to not in ROLLOUT_MODES:
            raise InputError(f"'{to}' is not a rollout mode ({', '.join(ROLLOUT_MODES)})")
        if not why or len(why) > MAX_NOTE_CHARS:
            raise InputError(f"say why in 1 to {MAX_NOTE_CHARS} characters")
        runtime, _ = self._action(pack, name)
        before = await self.mode(runtime.pack, name)
        agreement = Agreement(*(await self.repo.agreement(pack)).get(name, (0, 0)))
        after: RolloutMode = ROLLOUT_MODES[ROLLOUT_MODES.index(to)]
        verdict = promotion(action, before, after, agreement)
        if not verdict.allowed:
            raise ConflictError(f"{name} stays {before}: {verdict.why}")
        await self.repo.set_mode(pack, name, after, who, self.clock.now())
        await self.audit.record(
            who,
            "rollout.mode_change",
            f"{pack}.{name}",
            **{"from": before, "to": after, "why": why},
            decided=agreement.decided,
            agreed=agreement.agreed,
        )
        return verdict

    async def _waiting(self, approval_id: int) -> Approval:
        approval = await self.repo.get(approval_id)
        if approval is None:
            raise NotFound(f"no approval {approval_id}")
        if approval.status != "waiting":
            raise ConflictError(f"this write was {approval.status} by {approval.decided_by}")
        return approval

    def _service(self) -> ConversationService:
        if self.conversations is None:
            raise RuntimeError("the rollout service is not wired to the conversations")
        return self.conversations

    async def execute(self, approval_id: int, who: str, note: str = "") -> None:
        """A person executes the held write: the same request with the same idempotency key,
        then the customer reads the pack's success words. A back office that fails leaves
        it waiting (``ConnectorError`` raised, nothing told)."""
        approval, note = await self._waiting(approval_id), _note(note)
        runtime, action = self._action(approval.pack, approval.action)
        service = self._service()
        state, _ = await service.state(approval.conversation_id)
        if approval.idempotency_key not in state.awaiting_approval:  # its turn was not recorded
            raise ConflictError("the conversation has no such write waiting")
        if not await self.repo.decide(approval_id, "executed", who, self.clock.now(), note):
            raise ConflictError("someone else decided this write meanwhile")
        try:
            result = await service.actor.runner.execute(
                runtime.pack, approval.action, approval.params, approval.idempotency_key
            )
        except ConnectorError:
            await self.repo.reopen(approval_id)
            raise
        params = approval.params

        def make(state: ConversationState, pack: PackRuntime) -> list[Event]:
            now, key = self.clock.now(), approval.idempotency_key
            text, _ = pack.responder.render_safe(
                action.success, "approval_done", state.arms, params=params, result=result
            )
            return [
                ActionApproved(
                    at=now, idempotency_key=key, action=approval.action, by=who, note=note
                ),
                ActionExecuted(
                    at=now,
                    action=approval.action,
                    params=params,
                    risk=action.risk,
                    idempotency_key=key,
                    result=result,
                    approved=True,
                ),
                BotReplied(at=now, text=text),
            ]

        await service.transact(approval.conversation_id, make)
        await self._audit(who, "approval.execute", approval, note)

    async def reject(self, approval_id: int, who: str, note: str = "") -> None:
        """A person rejects the held write: nothing is written; the customer is told so (with
        the note, when there is one) and offered a person; the stock it held is released
        (``stock_hold_released`` among the reasons of ``action_rejected``, and in the audit
        entry)."""
        approval, note = await self._waiting(approval_id), _note(note)
        if not await self.repo.decide(approval_id, "rejected", who, self.clock.now(), note):
            raise ConflictError("someone else decided this write meanwhile")
        released = await self._release_hold(approval)

        def make(state: ConversationState, pack: PackRuntime) -> list[Event]:
            now, key = self.clock.now(), approval.idempotency_key
            text = pack.responder.render("approval_rejected", state.arms, params=approval.params)
            person = (
                pack.pack.intent_label("human_agent")
                if "human_agent" in pack.pack.intents
                else None
            )
            return [
                ActionRejected(
                    at=now,
                    idempotency_key=key,
                    action=approval.action,
                    by=who,
                    note=note,
                    reasons=[released] if released is not None else [],
                ),
                BotReplied(at=now, text=text, choices=[person] if person else []),
            ]

        try:
            await self._service().transact(approval.conversation_id, make)
        except Exception:  # the release, already made, is not lost from sight
            if released is not None:
                log.warning(
                    "approval %s rejected by %s: %s, but the conversation could not record it",
                    approval_id,
                    who,
                    released.detail,
                )
            raise
        await self._audit(who, "approval.reject", approval, note, **_hold_detail(released))

    async def _release_hold(self, approval: Approval) -> Reason | None:
        """The stock the rejected write held (its values carry the hold's id) let go, since
        it will never run (``services/turn/stock_holds.py``); None when it held none."""
        runtime, _ = self._action(approval.pack, approval.action)
        holds = self._service().perceiver.guide.holds
        told = "held for the write a person rejected"
        reason = await holds.release_write(runtime.pack, approval.action, approval.params, told)
        if reason is not None:
            count_hold("released")  # as a decision's release is counted, taken or not
        return reason

    async def _audit(
        self, who: str, what: str, approval: Approval, note: str, **detail: object
    ) -> None:
        await self.audit.record(
            who,
            what,
            approval.conversation_id,
            write=approval.action,
            mode=approval.mode,
            approval=approval.id,
            noted=bool(note),
            **detail,
        )


def _hold_detail(released: Reason | None) -> dict[str, object]:
    """The audit entry's words on the stock a rejected write held: the hold and whether the
    back office let it go (nothing when the write held none)."""
    if released is None:
        return {}
    return {"hold_released": released.values["hold_id"], "hold_done": released.values["done"]}


def _note(note: str) -> str:
    note = encodable(note, "the note").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InputError(f"a note has at most {MAX_NOTE_CHARS} characters")
    return note
