"""Perceive: what the customer's message says, read with the context it needs (recent turns,
the customer's account). While a person is on the way or in charge the bot reads no intent; it
only looks for a way to call the customer back, and whether they take leave. A reply to a verification question is read
for its facts (``services/verification.py``); once they match, the account read is the
customer's just found. The choices a guided question offers are read last
(``services/turn/guide.py``), after the pack's writes on hold (``services/anomaly.py``), so
that the guide neither previews nor holds stock for a write that is on hold. When a write is refused after the yes, the account is read
again (it may be what changed) before the choices of what follows are read. Last, for a turn the
pack's documents may answer, what they say (``services/turn/knowledge.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

from warmline.domain.decision import Decision
from warmline.domain.events import Understood
from warmline.domain.pack import DomainPack
from warmline.nlu.acts import says_goodbye
from warmline.nlu.values import find_contact
from warmline.policy.anomaly import Hold
from warmline.services.customer_accounts import AccountCache
from warmline.services.telemetry import stage
from warmline.services.turn.context import Perception, Turn
from warmline.services.turn.guide import Guide, for_the_question
from warmline.services.turn.knowledge import KnowledgeReader
from warmline.services.verification import Verifier

HoldsReader = Callable[[DomainPack], Awaitable[dict[str, Hold]]]


class Perceiver:
    def __init__(self, accounts: AccountCache, verifier: Verifier) -> None:
        self.accounts = accounts
        self.verifier = verifier
        self.guide = Guide(accounts.runner)
        self.on_hold: HoldsReader | None = None  # the pack's writes on hold (anomaly holds)
        self.knowledge: KnowledgeReader | None = None  # the packs' documents, when they have some

    async def perceive(self, turn: Turn, text: str) -> Perception:
        """Read ``text``; keep what was read on the turn (``turn.seen``) and record it. The
        reading and the guide's records are two stages of the turn (their spans)."""
        with stage("perceive"):
            turn.seen = await self._read(turn, text)
        if turn.seen.understanding is None:
            return turn.seen
        if self.on_hold is not None and (holds := await self.on_hold(turn.pack)):
            turn.seen = replace(turn.seen, holds=holds)  # before the guide: nothing held is staged
        with stage("guide"):
            offers, refusals = await self.guide.gather(turn)
        if offers or refusals:
            turn.seen = replace(turn.seen, offers=offers, refusals=refusals)
        if self.knowledge is not None and (grounding := await self.knowledge.ground(turn)):
            turn.seen = replace(turn.seen, grounding=grounding)
        return turn.seen

    async def _read(self, turn: Turn, text: str) -> Perception:
        if turn.state.status == "escalated":
            return Perception(contact=find_contact(text), leaving=says_goodbye(text))
        # a worker thread: the hop costs ~0.07 ms of CPU, inline the reading would block the
        # event loop for its 5 ms or more (docs/encoder.md, "CPU per turn")
        understanding, embedded = await asyncio.to_thread(
            turn.runtime.nlu.understand_with_embedding, text, turn.state.turn_context(turn.at)
        )
        turn.add(Understood(at=turn.at, understanding=understanding))  # the vector stays out
        understanding = for_the_question(turn, understanding)
        check = await self.verifier.check(turn, text)
        verified = check.customer_id if check is not None else None
        customer, note = await self.accounts.get(turn.pack, verified or turn.state.customer_id)
        notes = [note] if note else []
        return Perception(understanding, customer, notes, verification=check, embedded=embedded)

    async def after_refusal(self, turn: Turn, follow: Decision) -> Decision:
        """A write refused after the yes (``follow``): the account read afresh, then what
        follows told as a refused dry run, with its choices read anew; the stock held for the
        refused write, which it did not convert, released (``services/turn/stock_holds.py``)."""
        customer = turn.seen.customer
        if customer is not None:
            self.accounts.forget(turn.pack.pack, customer.id)
            fresh, _ = await self.accounts.get(turn.pack, customer.id)
            turn.seen = replace(turn.seen, customer=fresh or customer)
        follow = await self.guide.after_refusal(turn, follow)
        return await self.guide.holds.settle(turn, follow)
