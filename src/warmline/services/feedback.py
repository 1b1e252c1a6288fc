"""Feedback on a conversation: the rating (CSAT, 1-5) with, optionally, the effort score (CES,
1-7: "How easy was it to get what you needed?", 7 very easy), each once, and a thumb up or down
on a single bot reply, which the customer may change (the last one counts).

Each is appended under the conversation's lock (``ConversationService.transact``) and is
allowed after the conversation has ended: that is when most feedback comes."""

from __future__ import annotations

from warmline.domain import events as ev
from warmline.domain.conversation import ConversationState
from warmline.domain.events import Event
from warmline.errors import ConflictError, NotFound
from warmline.services.conversations import ConversationService
from warmline.services.input_text import encodable
from warmline.services.packs import PackRuntime


class Feedback:
    def __init__(self, conversations: ConversationService) -> None:
        self.conversations = conversations

    async def give(
        self, conversation_id: str, rating: int, comment: str = "", ces: int | None = None
    ) -> None:
        """The rating and, with ``ces``, the effort score, together: both or neither are
        recorded; a second rating (or a second effort score) is refused (409)."""
        comment = encodable(comment, "the comment")
        at = self.conversations.clock.now()

        def make(state: ConversationState, runtime: PackRuntime) -> list[Event]:
            if state.ratings:
                raise ConflictError("this conversation has been rated already")
            if ces is not None and state.effort is not None:
                raise ConflictError("the effort of this conversation has been rated already")
            found: list[Event] = [ev.FeedbackGiven(at=at, rating=rating, comment=comment)]
            return found + ([ev.EffortRated(at=at, ces=ces)] if ces is not None else [])

        await self.conversations.transact(conversation_id, make)

    async def rate_effort(self, conversation_id: str, ces: int) -> None:
        """The effort score alone (the chat page asks it after the rating), once."""
        at = self.conversations.clock.now()

        def make(state: ConversationState, runtime: PackRuntime) -> list[Event]:
            if state.effort is not None:
                raise ConflictError("the effort of this conversation has been rated already")
            return [ev.EffortRated(at=at, ces=ces)]

        await self.conversations.transact(conversation_id, make)

    async def rate_answer(self, conversation_id: str, reply: int, helpful: bool) -> None:
        """A thumb on the bot's reply at transcript position ``reply``; ``NotFound`` (404) when
        there is no line there or it is not the bot's. Giving another thumb replaces it."""
        at = self.conversations.clock.now()

        def make(state: ConversationState, runtime: PackRuntime) -> list[Event]:
            if not 0 <= reply < len(state.transcript) or state.transcript[reply].author != "bot":
                raise NotFound(f"this conversation has no reply of the assistant at {reply}")
            if state.thumbs.get(reply) == helpful:
                return []  # the same thumb again: nothing changes
            return [ev.AnswerRated(at=at, reply=reply, helpful=helpful)]

        await self.conversations.transact(conversation_id, make)
