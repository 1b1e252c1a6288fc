"""Decide: the policy's decision for the turn (``policy/``), whether the acknowledgement it
asks for can still be worded without repeating one this conversation has heard, and the
greeting or thanks the reply returns first (``opener_returned``), unless already heard."""

from __future__ import annotations

from warmline.domain.decision import Decision
from warmline.policy.empathy import acknowledgement_used_up
from warmline.policy.handover import while_escalated
from warmline.services.telemetry import stage
from warmline.services.turn.context import Turn
from warmline.services.turn.guide import decided
from warmline.services.turn.respond import Replier
from warmline.services.turn.stock_holds import with_hold


def decide_turn(turn: Turn, replier: Replier) -> tuple[Decision, str | None]:
    """The decision for what the turn perceived (``turn.seen``), and the wording of its
    acknowledgement (None: the reply opens with none); the turn's ``decide`` stage."""
    with stage("decide"):
        return _decide(turn, replier)


def _decide(turn: Turn, replier: Replier) -> tuple[Decision, str | None]:
    seen = turn.seen
    if seen.understanding is None:
        medium = seen.contact[0] if seen.contact else None
        return while_escalated(turn.state, medium, seen.leaving), None
    decision = decided(turn, seen.offers, seen.refusals, seen.grounding)
    decision = with_hold(turn, decision)  # the id of the stock held for the write it backs
    decision, opening = settle_acknowledgement(turn, decision, replier)
    turn.opener = None if opening else replier.returned_opener(turn, decision)
    return decision, opening


def settle_acknowledgement(
    turn: Turn, decision: Decision, replier: Replier
) -> tuple[Decision, str | None]:
    if decision.acknowledgement is None:
        return decision, None
    opening = replier.opening(turn, decision.acknowledgement)
    if opening is None:
        return acknowledgement_used_up(decision), None
    return decision, opening
