"""Handing a conversation to a person and back: the queue, claims, the person's messages,
hand-back to the bot and wrap-up. Every change of ownership is an event; while a person owns a
conversation the bot says nothing to the customer (``policy/handover.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from warmline.analytics.waits import observed_handle_time, wait_for_position
from warmline.domain.conversation import ConversationState, fold
from warmline.domain.events import (
    AgentJoined,
    AgentLeft,
    AgentMessage,
    BotReplied,
    Disclosed,
    Event,
    HandedBack,
    Resolved,
    WrappedUp,
)
from warmline.domain.packet import Packet
from warmline.errors import ConflictError, ConversationClosed, InputError, WarmlineError
from warmline.policy.escalation import Priority, handover_priority
from warmline.services.conversations import ConversationService, TurnResult
from warmline.services.input_text import encodable
from warmline.services.packs import PackRuntime
from warmline.services.presence import Presence

MAX_AGENT_CHARS = 4000
log = logging.getLogger("warmline.handoff")


@dataclass(frozen=True)
class QueueItem:
    conversation_id: str
    pack: str
    customer_id: str | None
    trigger: str | None
    waiting_since: datetime
    skill: str | None
    waiting_s: float
    sla_wait_s: float
    priority: Priority = "normal"

    @property
    def sla_breached(self) -> bool:
        return self.waiting_s > self.sla_wait_s


class HandoffService:
    def __init__(
        self,
        conversations: ConversationService,
        presence: Presence | None = None,
        *,
        default_handle_s: float = 300.0,
    ) -> None:
        self.conversations = conversations
        self.clock = conversations.clock
        self.presence = presence or Presence(conversations.clock)
        self.default_handle_s = default_handle_s
        self._breached: set[str] = set()
        self._priorities: dict[tuple[str, datetime], Priority] = {}
        conversations.replier.wait_estimate = self.estimate

    async def estimate(
        self, conversation_id: str | None, pack: str | None = None, *, urgent: bool = False
    ) -> float | None:
        """Seconds until a person takes ``conversation_id`` (None: a conversation of ``pack``
        about to join the queue, behind the urgent ones only when ``urgent``), from its place
        among those needing the same skill (urgent ones first), the free slots of agents with
        that skill and the handle time observed lately; None when no such agent is signed
        in."""
        queue = await self.queue()
        ids = [item.conversation_id for item in queue]
        skill = None
        if conversation_id in ids:
            skill = queue[ids.index(conversation_id)].skill
        elif pack is not None:
            skill = self.conversations.pack(pack).pack.handoff.skill
        same = [i.conversation_id for i in queue if i.skill == skill]
        ahead = [i for i in queue if i.skill == skill and i.priority == "urgent"]
        if conversation_id in same:
            position = same.index(conversation_id)
        else:
            position = len(ahead) if urgent else len(same)
        handle = observed_handle_time(self.presence.handle_times, self.default_handle_s)
        slots, free = self.presence.slots(skill), self.presence.free(skill)
        return wait_for_position(position, slots, free, handle)

    async def queue(self, agent: str | None = None) -> list[QueueItem]:
        """Conversations waiting for a person, the urgent ones first (``handover_priority``:
        a circumstance told that makes the handover urgent), then the longest waiting; with
        ``agent``, only those their skills cover. A wait past the pack's service level is
        logged once."""
        now = self.clock.now()
        items = []
        waiting_now: set[str] = set()
        for summary, trigger, since in await self.conversations.repo.waiting():
            handoff = self.conversations.pack(summary.pack).pack.handoff
            item = QueueItem(
                summary.id,
                summary.pack,
                summary.customer_id,
                trigger,
                since,
                handoff.skill,
                (now - since).total_seconds(),
                handoff.sla_wait_s,
                await self._priority(summary.id, since),
            )
            waiting_now.add(item.conversation_id)
            if item.sla_breached and item.conversation_id not in self._breached:
                self._breached.add(item.conversation_id)
                log.warning(
                    "service level breached: conversation %s has waited %.0f s (target %.0f s)",
                    item.conversation_id,
                    item.waiting_s,
                    item.sla_wait_s,
                )
            presence = self.presence.agents.get(agent) if agent else None
            if presence is None or presence.covers(item.skill):
                items.append(item)
        self._breached &= waiting_now  # forget conversations no longer waiting
        self._priorities = {k: p for k, p in self._priorities.items() if k[0] in waiting_now}
        return sorted(items, key=lambda item: item.priority != "urgent")  # stable: waits kept

    async def _priority(self, conversation_id: str, since: datetime) -> Priority:
        """The priority of the conversation handed over at ``since``, folded from its log once
        per handover (nothing is read from a conversation while it waits, so it holds; the
        turns' cached states are not touched outside their lock). One whose log cannot be
        read is logged and queued as normal, not left out of the queue."""
        key = (conversation_id, since)
        if key not in self._priorities:
            try:
                state = fold(await self.conversations.repo.events(conversation_id))
            except WarmlineError:
                log.exception(
                    "conversation %s: priority unknown, queued as normal", conversation_id
                )
                return "normal"
            self._priorities[key] = handover_priority(state)
        return self._priorities[key]

    async def claim(self, conversation_id: str, agent: str) -> Packet:
        """Take the conversation; exactly one of two agents claiming at once wins."""

        def make(state: ConversationState, runtime: PackRuntime) -> list[Event]:
            if state.status != "escalated":
                raise ConflictError("this conversation is not waiting for a person")
            if state.owner:
                raise ConflictError(f"{state.owner} has already claimed this conversation")
            return [AgentJoined(at=self.clock.now(), agent=agent)]

        await self.conversations.transact(conversation_id, make)
        self.presence.assign(agent, conversation_id)
        return await self.conversations.packets.packet(conversation_id)

    async def leave(self, agent: str) -> list[str]:
        """The agent signs out: every conversation they hold goes back to the queue."""
        held = list(self.presence.agents[agent].active) if agent in self.presence.agents else []
        left = []
        for conversation_id in held:

            def make(state: ConversationState, runtime: PackRuntime) -> list[Event]:
                if state.owner != agent or state.status != "escalated":
                    return []
                return [AgentLeft(at=self.clock.now(), agent=agent)]

            if (await self.conversations.transact(conversation_id, make)).events:
                left.append(conversation_id)
        self.presence.sign_out(agent)
        return left

    async def reply(self, conversation_id: str, agent: str, text: str) -> TurnResult:
        text = encodable(text).strip()
        if not text or len(text) > MAX_AGENT_CHARS:
            raise InputError(f"a message has 1 to {MAX_AGENT_CHARS} characters")

        def make(state: ConversationState, runtime: PackRuntime) -> list[Event]:
            self._owned_by(state, agent)
            return [AgentMessage(at=self.clock.now(), agent=agent, text=text)]

        return await self.conversations.transact(conversation_id, make)

    async def hand_back(self, conversation_id: str, agent: str, note: str = "") -> TurnResult:
        """Give the conversation back to the bot, which says so and who it is."""

        def make(state: ConversationState, runtime: PackRuntime) -> list[Event]:
            self._owned_by(state, agent)
            now = self.clock.now()
            return [
                HandedBack(at=now, agent=agent, note=note),
                BotReplied(at=now, text=runtime.responder.render("handed_back", state.arms)),
                Disclosed(at=now, how="handed_back"),
            ]

        result = await self.conversations.transact(conversation_id, make)
        self.presence.release(agent, conversation_id)
        return result

    async def wrap_up(
        self,
        conversation_id: str,
        agent: str,
        disposition: str,
        corrected_intent: str | None = None,
        note: str = "",
    ) -> TurnResult:
        """Close the person's work with its outcome, and the intent it really was."""

        def make(state: ConversationState, runtime: PackRuntime) -> list[Event]:
            self._owned_by(state, agent)
            if corrected_intent is not None and corrected_intent not in runtime.pack.intents:
                raise InputError(f"'{corrected_intent}' is not an intent of {runtime.pack.pack}")
            now = self.clock.now()
            return [
                WrappedUp(
                    at=now,
                    agent=agent,
                    disposition=disposition,
                    corrected_intent=corrected_intent,
                    note=note,
                ),
                Resolved(at=now, by="agent"),
            ]

        result = await self.conversations.transact(conversation_id, make)
        self.presence.release(agent, conversation_id)
        return result

    @staticmethod
    def _owned_by(state: ConversationState, agent: str) -> None:
        if state.status == "closed":
            raise ConversationClosed("this conversation has ended")
        if state.owner != agent:
            owner = state.owner or "nobody"
            raise ConflictError(f"{agent} does not own this conversation ({owner} does)")
