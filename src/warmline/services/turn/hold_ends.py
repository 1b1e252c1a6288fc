"""Hold ends: which stock holds a turn leaves that nothing will take, read from what the turn
did (its observations and events), and where their release is told.

A hold nothing can take any more keeps a unit from other customers until the back office's
timeout; these are released at the end of the turn (``Holds.through``):

* the hold placed in the turn whose confirmation no ``action_proposed`` carries: the
  decision asked for none, or the act stage turned it into something else (the confirmation's
  dry run failed, its words could not be made, a person took over);
* the hold a write after the yes sent to be converted, when the write failed in a way that
  surely took nothing: the back office answered that a record it needs does not exist
  (``backoffice_not_found``: an answer to the write, under its idempotency key, retries
  included), or the write's circuit was open (``circuit_open``: the breaker refuses before any
  attempt is sent). A write that timed out, got a 5xx or an answer that could not be read may
  have converted its hold, or be converting it still: that hold is kept and lapses at its
  timeout, since releasing it under a write in flight would let the unit go to another
  customer while the write still counts on it. A refused write (``precondition_failed``) is
  the guide's (``Holds.settle``).

Each release is a ``stock_hold_released`` reason of the turn's decision (``with_reason``: the
last ``decided`` event of the turn, which the log records); a hold is released once a turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from warmline.domain.decision import Reason
from warmline.domain.events import ActionFailed, ActionProposed, Decided
from warmline.domain.pack import DomainPack
from warmline.errors import BackOfficeCircuitOpen, BackOfficeNotFound
from warmline.services.turn.context import Turn

UNTAKEN = frozenset({BackOfficeNotFound.code, BackOfficeCircuitOpen.code})
"""The errors of a failed write that surely converted no hold (see the module's docstring)."""


@dataclass(frozen=True)
class Left:
    """A hold nothing will take: the write it was for, its id, and why (the reason's words)."""

    action: str
    hold_id: str
    why: str


def placed(turn: Turn) -> Left | None:
    """The hold placed in this turn before a confirmation (``stock_held``, from the guide), or
    None; ``why`` says it was not proposed, for a turn that leaves it."""
    for reason in turn.seen.observations:
        if reason.code == "stock_held" and not reason.values.get("converts"):
            hold_id, action = reason.values.get("hold_id"), reason.values.get("action")
            if hold_id and action:
                why = "held for a confirmation the turn did not ask for"
                return Left(str(action), str(hold_id), why)
    return None


def released(turn: Turn) -> set[str]:
    """The holds released in this turn already: noted by the guide, or in a decision."""
    reasons = [*turn.seen.observations]
    reasons += [r for e in turn.events if isinstance(e, Decided) for r in e.decision.reasons]
    return {str(r.values.get("hold_id")) for r in reasons if r.code == "stock_hold_released"}


def left_unclaimed(turn: Turn) -> list[Left]:
    """The holds this turn leaves that nothing will take, not released yet (module docstring):
    the one placed and not proposed, those of writes that failed taking nothing."""
    found: list[Left] = []
    new = placed(turn)
    proposed = {
        hold_of(turn.pack, e.action, e.params) for e in turn.events if isinstance(e, ActionProposed)
    }
    if new is not None and new.hold_id not in proposed:
        found.append(new)
    for event in turn.events:
        if not isinstance(event, ActionFailed) or event.error not in UNTAKEN:
            continue
        hold_id = hold_of(turn.pack, event.action, event.params)
        if hold_id and (new is None or hold_id != new.hold_id):  # not a confirmation's dry run
            why = f"sent with a write that failed ({event.error}) and so took nothing"
            found.append(Left(event.action, hold_id, why))
    done = released(turn)
    return [f for f in found if f.hold_id not in done]


def hold_of(pack: DomainPack, action_name: str, params: dict[str, str]) -> str | None:
    """The hold id among the values of a write of ``action_name`` (None: none, or the action
    holds no stock)."""
    action = pack.actions.get(action_name)
    if action is None or action.hold is None:
        return None
    return params.get(action.hold.param) or None


def with_reason(turn: Turn, reason: Reason) -> None:
    """Add ``reason`` to the turn's last decision as it will be recorded (its ``decided``
    event, not appended yet): what the turn decided, and what became of the stock it held."""
    for i in range(len(turn.events) - 1, -1, -1):
        event = turn.events[i]
        if isinstance(event, Decided):
            decision = event.decision
            update = {"reasons": [*decision.reasons, reason]}
            turn.events[i] = event.model_copy(
                update={"decision": decision.model_copy(update=update)}
            )
            return
