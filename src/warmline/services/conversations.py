"""Conversations: start one, take a customer's turn, a request for a person, a rating, and
any other change under the conversation's lock.

A customer turn runs the stages of ``services/turn/`` in order: perceive, decide, act, respond,
record (a turn's trace has a span for each: ``services/telemetry.py``). Every decision is the
policy's, every sentence the pack's; the turn's events are appended in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from warmline.domain import events as ev
from warmline.domain.conversation import ConversationState, fold
from warmline.domain.decision import Decision
from warmline.domain.events import Event
from warmline.errors import ConflictError, ConversationClosed, EmptyMessage, MessageTooLong
from warmline.policy.experiments import assign_arms
from warmline.policy.handover import person_requested
from warmline.policy.outcomes import after_action, after_template_failure, refused_on_execute
from warmline.services.actions import ActionRunner
from warmline.services.customer_accounts import AccountCache
from warmline.services.input_text import encodable
from warmline.services.locks import ConversationLocks
from warmline.services.packets import Packets
from warmline.services.packs import PackRegistry, PackRuntime
from warmline.services.realtime import Broker
from warmline.services.state_cache import StateCache
from warmline.services.telemetry import stage, trace_id, traced_turn
from warmline.services.turn.act import Actor, action_event
from warmline.services.turn.context import Turn, TurnResult
from warmline.services.turn.decide import decide_turn
from warmline.services.turn.perceive import Perceiver
from warmline.services.turn.record import Recorder, consequences
from warmline.services.turn.respond import Replier
from warmline.services.verification import Verifier
from warmline.storage.conversations import ConversationRepository
from warmline.types import Clock

__all__ = ["ConversationService", "TurnResult"]
Maker = Callable[[ConversationState, PackRuntime], list[Event]]


class ConversationService:
    def __init__(
        self,
        repo: ConversationRepository,
        packs: PackRegistry,
        runner: ActionRunner,
        broker: Broker,
        clock: Clock,
        *,
        max_message_chars: int,
        account_ttl_s: float = 10.0,
        verification_attempts: int = 3,
    ) -> None:
        self.repo, self.packs, self.clock = repo, packs, clock
        self.max_message_chars, self.locks = max_message_chars, ConversationLocks()
        self.states = StateCache(repo)
        self.accounts = AccountCache(runner, account_ttl_s)
        self.packets = Packets(repo, self.pack, self.accounts)
        self.perceiver = Perceiver(self.accounts, Verifier(runner, verification_attempts))
        self.actor = Actor(runner)
        self.replier = Replier()
        self.recorder = Recorder(repo, self.states, self.accounts, broker, clock)

    def pack(self, name: str | None) -> PackRuntime:
        return self.packs.resolve(name)

    async def start(
        self,
        pack: str | None = None,
        customer_id: str | None = None,
        channel: str = "web",
        *,
        verified_by: str | None = None,
    ) -> TurnResult:
        """A new conversation, opened by the greeting that says the bot is an AI.
        ``customer_id`` binds it to that customer: callers pass one only once they have verified
        it (``services/identity.py``), and say how in ``verified_by``."""
        runtime, conversation_id, now = self.pack(pack), str(uuid.uuid4()), self.clock.now()
        arms, name = assign_arms(runtime.pack, conversation_id), runtime.pack.pack
        greeting = ev.BotReplied(at=now, text=runtime.responder.greeting(arms))
        events: list[Event] = [
            ev.ConversationStarted(
                at=now, pack=name, customer_id=customer_id, channel=channel, verified_by=verified_by
            ),
            *(ev.ExperimentAssigned(at=now, experiment=e, arm=a) for e, a in arms.items()),
            greeting,
            ev.Disclosed(at=now, how="greeting"),
        ]
        await self.states.create(conversation_id, name, customer_id, channel, events, now)
        return TurnResult(conversation_id, [greeting], None, events)

    async def state(self, conversation_id: str) -> tuple[ConversationState, list[Event]]:
        """The state and the whole event log, read from the database."""
        events = await self.repo.events(conversation_id)
        return fold(events), events

    def validate_text(self, text: str) -> str:
        stripped = encodable(text).strip()
        if not stripped:
            raise EmptyMessage("the message is empty")
        if len(text) > (limit := self.max_message_chars):
            raise MessageTooLong(f"the message has {len(text)} characters; the limit is {limit}")
        return stripped

    @traced_turn("message")
    async def post_message(
        self, conversation_id: str, text: str, idempotency_key: str | None = None
    ) -> TurnResult:
        """The customer's turn: perceive, decide, act, respond, record. A second post with the
        message's ``idempotency_key`` runs no turn: it returns the first one's result."""
        text = self.validate_text(text)
        key = encodable(idempotency_key or "", "the idempotency key").strip() or None
        async with self.locks.hold(conversation_id):
            state = await self.states.working(conversation_id)
            if key in state.message_keys and (earlier := await self._earlier(conversation_id, key)):
                return earlier  # the log is read only for a key the state has recorded
            turn = self._begin(conversation_id, state)
            turn.add(ev.MessageReceived(at=turn.at, text=text, idempotency_key=key))
            async with self.perceiver.guide.holds.through(turn):  # holds left: released
                await self.perceiver.perceive(turn, text)
                decision, opening = decide_turn(turn, self.replier)
                await self._carry_out(turn, decision, opening)
            return await self.recorder.record(turn, decision)

    async def _earlier(self, conversation_id: str, key: str) -> TurnResult | None:
        """The result of the turn that recorded the message with ``key``, read from the log."""
        log = await self.repo.events(conversation_id)
        keys = [e.idempotency_key if isinstance(e, ev.MessageReceived) else None for e in log]
        if key not in keys:
            return None
        start = keys.index(key)  # the turn: the message and the events recorded at its time
        end = next((j for j in range(start, len(log)) if log[j].at != log[start].at), len(log))
        turn = log[start:end]
        replies = [e for e in turn if isinstance(e, ev.BotReplied)]
        decision = next((e.decision for e in turn if isinstance(e, ev.Decided)), None)
        return TurnResult(conversation_id, replies, decision, turn, fold(log[:end]).status)

    @traced_turn("person_requested")
    async def request_person(self, conversation_id: str) -> TurnResult:
        """The "talk to a person" control: always honoured at once (a pending hold released)."""
        async with self.locks.hold(conversation_id):
            turn = self._begin(conversation_id, await self.states.working(conversation_id))
            decision = person_requested(turn.state)
            if decision is None:
                return TurnResult(conversation_id, [], None, [], turn.state.status)
            decision = await self.perceiver.guide.holds.settle(turn, decision)
            await self._carry_out(turn, decision, None)
            return await self.recorder.record(turn, decision)

    def _begin(self, conversation_id: str, state: ConversationState) -> Turn:
        if state.status == "closed":
            raise ConversationClosed("this conversation has ended; start a new one")
        return Turn(conversation_id, state, self.pack(state.pack), self.clock.now())

    async def _carry_out(self, turn: Turn, decision: Decision, opening: str | None) -> None:
        """Record the decision, act on it, say what happened (what follows: the policy's)."""
        turn.add(ev.Decided(at=turn.at, decision=decision, trace_id=trace_id()))
        follow, outcome, acted = decision, None, None
        if decision.kind in ("confirm", "act"):
            with stage("act"):
                outcome = await self.actor.run(turn, decision)
            action = turn.pack.actions[outcome.action]
            acted = action_event(outcome, action, turn.at)
            follow = after_action(decision, outcome, action)
            if refused_on_execute(follow):  # the account read afresh, the choices anew
                follow = await self.perceiver.after_refusal(turn, follow)
        reply = await self.replier.reply(turn, follow, outcome)
        if reply.problem is not None:
            done = outcome is not None and outcome.ok and outcome.step == "execute"
            follow = after_template_failure(follow, reply.problem, done=done)
            reply = await self.replier.reply(turn, follow, outcome)
        turn.add(*consequences(turn, follow, acted, reply, opening))

    async def transact(self, conversation_id: str, make: Maker) -> TurnResult:
        """Append the events ``make`` builds from the current state, under the conversation's
        lock and with the version it read: of two writers that race, exactly one wins and the
        other gets ``ConflictError``. ``make`` raises to refuse."""
        async with self.locks.hold(conversation_id):
            state = await self.states.working(conversation_id)
            turn = Turn(conversation_id, state, self.pack(state.pack), self.clock.now())
            turn.add(*make(state, turn.runtime))
            if not turn.events:
                return TurnResult(conversation_id, [], None, [], state.status)
            return await self.recorder.record(turn, None)

    async def give_feedback(self, conversation_id: str, rating: int, comment: str = "") -> None:
        """The customer's rating of the conversation (1-5), once: a second rating of the same
        conversation is refused (``ConflictError``, 409) and changes nothing."""
        comment = encodable(comment, "the comment")

        def make(state: ConversationState, runtime: PackRuntime) -> list[Event]:
            if state.ratings:
                raise ConflictError("this conversation has been rated already")
            return [ev.FeedbackGiven(at=self.clock.now(), rating=rating, comment=comment)]

        await self.transact(conversation_id, make)
