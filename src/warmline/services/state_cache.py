"""The folded state of recently active conversations, so that a turn does not fold the whole
log again: the cached state is brought up to date with whatever another process appended (one
small query), and dropped when an append fails."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime

from warmline.domain.conversation import ConversationState, apply, fold
from warmline.domain.events import Event
from warmline.storage.conversations import ConversationRepository

STATE_CACHE_SIZE = 10_000


class StateCache:
    """The least recently used states beyond ``size`` are forgotten."""

    def __init__(self, repo: ConversationRepository, size: int = STATE_CACHE_SIZE) -> None:
        self.repo = repo
        self.size = size
        self._states: OrderedDict[str, ConversationState] = OrderedDict()

    async def create(
        self,
        conversation_id: str,
        pack: str,
        customer_id: str | None,
        channel: str,
        events: Sequence[Event],
        at: datetime,
    ) -> None:
        """Store a new conversation and keep the fold of its opening events, so that its first
        turn starts from them (brought up to date as any cached state is) instead of reading
        the whole log back."""
        await self.repo.create(conversation_id, pack, customer_id, channel, events, at)
        self._keep(conversation_id, fold(events))

    async def working(self, conversation_id: str) -> ConversationState:
        """The state a turn starts from: the cached fold brought up to date, or a fresh fold
        of the whole log. Every append names the version it read, so a writer that raced this
        one fails with ``ConflictError`` (and the caller drops the state)."""
        cached = self._states.get(conversation_id)
        if cached is not None:
            self._states.move_to_end(conversation_id)
            if self.repo.changed_since(conversation_id, cached.version):
                for event in await self.repo.events_after(conversation_id, cached.version):
                    apply(cached, event)
            return cached
        state = fold(await self.repo.events(conversation_id))
        self._keep(conversation_id, state)
        return state

    def _keep(self, conversation_id: str, state: ConversationState) -> None:
        self._states[conversation_id] = state
        if len(self._states) > self.size:
            self._states.popitem(last=False)

    def drop(self, conversation_id: str) -> None:
        self._states.pop(conversation_id, None)

    def __contains__(self, conversation_id: str) -> bool:
        return conversation_id in self._states
