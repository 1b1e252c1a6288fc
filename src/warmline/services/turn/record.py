"""Record: the events a decision leads to, in their order, and the one transaction that appends
the turn to the conversation's log (with the version the turn read: of two writers that race,
one wins and the other gets ``ConflictError``). Personal data is masked before anything is
stored (``privacy/events.py``): the log, the cached state, live subscribers and the caller all
see the masked events; the turn's stages before this one read the raw text. Then the cached
state is brought forward, a written account is read afresh next time, and live subscribers
hear of the turn."""

from __future__ import annotations

from typing import Any

from warmline.domain.conversation import apply, status_after
from warmline.domain.customers import dig
from warmline.domain.decision import Decision
from warmline.domain.events import (
    ActionDeclined,
    ActionExecuted,
    ActionFailed,
    ActionProposed,
    BotReplied,
    CallbackRequested,
    Decided,
    Disclosed,
    Escalated,
    Event,
    EventForms,
    Resolved,
    SegmentsNoted,
    event_to_json,
)
from warmline.domain.pack import DomainPack
from warmline.errors import WarmlineError
from warmline.policy.outcomes import refused_on_execute
from warmline.privacy.events import stored_forms
from warmline.services.customer_accounts import AccountCache
from warmline.services.metrics import count_recorded
from warmline.services.realtime import Broker
from warmline.services.state_cache import StateCache
from warmline.services.telemetry import stage, trace_id
from warmline.services.turn.context import Turn, TurnResult
from warmline.services.turn.respond import Reply
from warmline.storage.conversations import ConversationRepository
from warmline.types import Clock


def consequences(
    turn: Turn,
    follow: Decision,
    acted: ActionExecuted | ActionFailed | None,
    reply: Reply,
    opening: str | None,
) -> list[Event]:
    """The events after ``Decided``: the action's (and, for a write refused after the yes, the
    decision that follows it), a new escalation, the proposal waiting for a yes, the call-back
    ticket, the reply (opening with the greeting or thanks it returns, else with ``opening``,
    the acknowledgement), and what the reply itself settles (a
    disclosure, the end)."""
    at = turn.at
    events: list[Event] = noted_segments(turn)
    if acted is not None:
        events.append(acted)
    if isinstance(acted, ActionFailed) and refused_on_execute(follow):
        # the write was refused after the yes: what follows is decided anew and folded (the
        # question asked again, the values kept for a correction, the choices offered)
        events.append(Decided(at=at, decision=follow, trace_id=trace_id()))
    if follow.kind == "decline":
        events.append(ActionDeclined(at=at, action=follow.action or ""))
    if follow.kind == "escalate" and turn.state.status != "escalated" and follow.escalation:
        events.append(Escalated(at=at, trigger=follow.escalation, reasons=follow.reasons))
    if follow.kind == "confirm" and reply.text is not None:
        action = follow.action or ""
        events.append(
            ActionProposed(at=at, action=action, params=follow.params, confirmation=reply.text)
        )
    if follow.callback and turn.seen.contact is not None:
        medium, contact = turn.seen.contact
        events.append(CallbackRequested(at=at, contact=contact, medium=medium))
    if reply.text is not None:
        text = " ".join(t for t in (turn.opener, opening, reply.text) if t)
        events.append(
            BotReplied(
                at=at,
                text=text,
                choices=reply.choices,
                acknowledgement=opening or None,
                citations=reply.citations,
            )
        )
    if follow.template == "bot_challenge":
        events.append(Disclosed(at=at, how="bot_challenge"))
    if follow.kind == "close":
        events.append(Resolved(at=at, by="customer"))
    return events


SEGMENT_CHARS = 64


def noted_segments(turn: Turn) -> list[Event]:
    """The pack's analytics segments not noted yet whose values the customer's account read in
    this turn has (a short scalar each: a tier, not a text): ``segments_noted``, once."""
    declared, customer = turn.pack.analytics.segments, turn.seen.customer
    if customer is None or not declared:
        return []
    found: dict[str, str] = {}
    for name, path in declared.items():
        value = dig(customer.profile, path)
        if name not in turn.state.segments and isinstance(value, str | int | float | bool):
            text = str(value).strip()
            if text and len(text) <= SEGMENT_CHARS:
                found[name] = text
    return [SegmentsNoted(at=turn.at, segments=found)] if found else []


def needed_entities(pack: DomainPack) -> frozenset[str]:
    """The entities whose values fill an action's parameters: kept raw in the log."""
    return frozenset(
        p.entity for a in pack.actions.values() for p in a.parameters.values() if p.entity
    )


def masked(turn: Turn) -> list[tuple[Event, dict[str, Any]]]:
    """The turn's events as they are stored: personal data masked, except the values an
    action needs (its parameters, the entities that fill them, the contact for a call back);
    each with its storage form (``event_to_json``), dumped once for the append and the live
    copy (``privacy/events.py``'s ``stored_forms``)."""
    keep = needed_entities(turn.pack)
    contacts = [turn.seen.contact] if turn.seen.contact else []
    stored = stored_forms(turn.events, keep, contacts)
    return [_traced(pair, event) for pair, event in zip(stored, turn.events, strict=True)]


def _traced(stored: tuple[Event, dict[str, Any]], event: Event) -> tuple[Event, dict[str, Any]]:
    """A trace id is no personal data: kept as it is (a masker may read 32 hex digits as an
    account number)."""
    masked = stored[0]
    if not isinstance(masked, Decided) or not isinstance(event, Decided):
        return stored
    if masked.trace_id == event.trace_id:
        return stored
    masked = masked.model_copy(update={"trace_id": event.trace_id})
    return masked, event_to_json(masked)


class Recorder:
    def __init__(
        self,
        repo: ConversationRepository,
        states: StateCache,
        accounts: AccountCache,
        broker: Broker,
        clock: Clock,
    ) -> None:
        self.repo = repo
        self.states = states
        self.accounts = accounts
        self.broker = broker
        self.clock = clock

    async def record(self, turn: Turn, decision: Decision | None) -> TurnResult:
        """Append the turn's events in one transaction; a failed append drops the cached
        state (the next turn folds the log afresh) and raises. The events appended are counted
        in the metrics (``services/metrics.py``). The turn's ``record`` stage."""
        with stage("record"):
            return await self._record(turn, decision)

    async def _record(self, turn: Turn, decision: Decision | None) -> TurnResult:
        state, stored = turn.state, masked(turn)
        events, forms = [event for event, _ in stored], EventForms(form for _, form in stored)
        status = status_after(state.status, events)
        try:
            await self.repo.append(
                turn.conversation_id,
                state.version,
                events,
                self.clock.now(),
                status=status,
                forms=forms,
            )
        except WarmlineError:
            self.states.drop(turn.conversation_id)
            raise
        count_recorded(state.pack, events)
        for event in events:
            apply(state, event)
        if any(isinstance(e, ActionExecuted) and e.risk != "read" for e in events):
            self.accounts.forget(state.pack, state.customer_id)
        self.broker.publish(turn.conversation_id, events, forms)
        replies = [e for e in events if isinstance(e, BotReplied)]
        shown = next((e.decision for e in events if isinstance(e, Decided)), decision)
        return TurnResult(turn.conversation_id, replies, shown, events, status)
