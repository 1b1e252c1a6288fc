"""The turn pipeline: perceive, decide, act, respond, record.

Every turn's events are appended in one transaction; the state is a fold over the log.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from warmline.analytics.experiments import ExperimentReport, experiment_report
from warmline.analytics.waits import in_words
from warmline.domain.conversation import ConversationState, apply, fold
from warmline.domain.customers import Customer, facts_from_profile
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import (
    ActionDeclined,
    ActionExecuted,
    ActionFailed,
    ActionProposed,
    BotReplied,
    CallbackRequested,
    ConversationStarted,
    Decided,
    Disclosed,
    Escalated,
    Event,
    ExperimentAssigned,
    FeedbackGiven,
    HandedBack,
    MessageReceived,
    Resolved,
    Understood,
)
from warmline.domain.packet import Packet, build_packet
from warmline.errors import (
    BackOfficeNotFound,
    BackOfficeRejected,
    ConnectorError,
    ConversationClosed,
    EmptyMessage,
    InputError,
    MessageTooLong,
    WarmlineError,
)
from warmline.nlu.values import find_contact
from warmline.policy.decide import decide
from warmline.policy.experiments import assign_arms
from warmline.services.actions import ActionRunner
from warmline.services.packs import PackRuntime
from warmline.services.realtime import Broker
from warmline.storage.conversations import ConversationRepository
from warmline.types import Clock

STATE_CACHE_SIZE = 10_000
REPORT_KINDS = ("experiment_assigned", "feedback_given", "resolved", "escalated")


@dataclass(frozen=True)
class TurnResult:
    conversation_id: str
    replies: list[BotReplied]
    decision: Decision | None
    events: list[Event] = field(default_factory=list)
    status: str = "open"


class ConversationService:
    def __init__(
        self,
        repo: ConversationRepository,
        packs: dict[str, PackRuntime],
        default_pack: str,
        runner: ActionRunner,
        broker: Broker,
        clock: Clock,
        *,
        max_message_chars: int,
        aliases: dict[str, str] | None = None,
        account_ttl_s: float = 10.0,
    ) -> None:
        self.repo = repo
        self.packs = packs
        self.default_pack = default_pack
        self.runner = runner
        self.broker = broker
        self.clock = clock
        self.max_message_chars = max_message_chars
        self.aliases = aliases or {}
        self.account_ttl_s = account_ttl_s
        self._states: OrderedDict[str, ConversationState] = OrderedDict()
        self._accounts: dict[tuple[str, str], tuple[float, Customer]] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Set by the handoff service: seconds until a person takes a conversation.
        self.wait_estimate: Callable[[str | None, str | None], Awaitable[float | None]] | None = (
            None
        )

    async def _wait_sentence(self, conversation_id: str | None, pack: str | None = None) -> str:
        """What the customer is told about the wait for a person, from live queue figures."""
        if self.wait_estimate is None:
            return ""
        seconds = await self.wait_estimate(conversation_id, pack)
        if seconds is None:
            return (
                "Nobody from our team is signed in right now. Leave your email address or phone "
                "number here and we'll get back to you; your conversation is kept. "
            )
        if seconds < 30:
            return "Someone will be with you in a moment. "
        return f"Someone should be with you in {in_words(seconds)}. "

    def _lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        return lock

    def pack(self, name: str | None) -> PackRuntime:
        key = name or self.default_pack
        runtime = self.packs.get(self.aliases.get(key, key))
        if runtime is None:
            raise InputError(f"unknown pack '{key}'; available: {', '.join(sorted(self.packs))}")
        return runtime

    async def start(
        self, pack: str | None = None, customer_id: str | None = None, channel: str = "web"
    ) -> TurnResult:
        runtime = self.pack(pack)
        conversation_id = str(uuid.uuid4())
        now = self.clock.now()
        arms = assign_arms(runtime.pack, conversation_id)
        events: list[Event] = [
            ConversationStarted(
                at=now, pack=runtime.pack.pack, customer_id=customer_id, channel=channel
            ),
            *(ExperimentAssigned(at=now, experiment=e, arm=a) for e, a in arms.items()),
            BotReplied(at=now, text=runtime.responder.greeting(arms)),
            Disclosed(at=now, how="greeting"),
        ]
        await self.repo.create(
            conversation_id, runtime.pack.pack, customer_id, channel, events, now
        )
        replies = [e for e in events if isinstance(e, BotReplied)]
        return TurnResult(conversation_id, replies, None, events)

    async def state(self, conversation_id: str) -> tuple[ConversationState, list[Event]]:
        """The state and the whole event log, read from the database."""
        events = await self.repo.events(conversation_id)
        return fold(events), events

    async def _working_state(self, conversation_id: str) -> ConversationState:
        """The state a turn starts from: the cached fold brought up to date with any events
        another process appended (one small query), or a fresh fold of the whole log.

        Every append also names the version it read, so a writer that raced this one makes
        the turn fail with ``ConflictError`` and drops the cached state.
        """
        cached = self._states.get(conversation_id)
        if cached is not None:
            self._states.move_to_end(conversation_id)
            for event in await self.repo.events_after(conversation_id, cached.version):
                apply(cached, event)
            return cached
        state = fold(await self.repo.events(conversation_id))
        self._states[conversation_id] = state
        if len(self._states) > STATE_CACHE_SIZE:
            self._states.popitem(last=False)
        return state

    def validate_text(self, text: str) -> str:
        stripped = text.strip()
        if not stripped:
            raise EmptyMessage("the message is empty")
        if len(text) > self.max_message_chars:
            raise MessageTooLong(
                f"the message has {len(text)} characters; the limit is {self.max_message_chars}"
            )
        return stripped

    async def post_message(self, conversation_id: str, text: str) -> TurnResult:
        text = self.validate_text(text)
        async with self._lock(conversation_id):
            state = await self._working_state(conversation_id)
            if state.status == "closed":
                raise ConversationClosed("this conversation has ended; start a new one")
            runtime = self.pack(state.pack)
            now = self.clock.now()
            events: list[Event] = [MessageReceived(at=now, text=text)]
            if state.status == "escalated" and state.owner:
                decision = Decision(
                    kind="escalate",
                    escalation=state.escalation,
                    reasons=[
                        Reason(
                            code="person_owns",
                            detail=f"{state.owner} owns this conversation; the bot stays silent",
                        )
                    ],
                )
                events.append(Decided(at=now, decision=decision))
                return await self._record(conversation_id, state, events, decision)
            if state.status == "escalated":
                contact = find_contact(text)
                reasons = [
                    Reason(code="already_escalated", detail="waiting for a person to take over")
                ]
                if contact is not None:
                    medium, value = contact
                    reasons.append(Reason(code="callback_requested", detail=f"contact by {medium}"))
                decision = Decision(kind="escalate", escalation=state.escalation, reasons=reasons)
                events.append(Decided(at=now, decision=decision))
                if contact is not None:
                    events.append(CallbackRequested(at=now, contact=value, medium=medium))
                    text = runtime.responder.render(
                        "callback_taken",
                        state.arms,
                        contact=value,
                        reference=conversation_id[:8].upper(),
                    )
                    events.append(BotReplied(at=now, text=text))
                    return await self._record(conversation_id, state, events, decision)
                wait = await self._wait_sentence(conversation_id)
                text = runtime.responder.render("escalated_waiting", state.arms, wait_sentence=wait)
                events.append(BotReplied(at=now, text=text))
                return await self._record(conversation_id, state, events, decision)
            understanding = await asyncio.to_thread(
                runtime.nlu.understand, text, state.turn_context(now)
            )
            events.append(Understood(at=now, understanding=understanding))
            customer, account_note = await self._customer(runtime, state)
            decision = decide(state, understanding, customer, runtime.pack)
            if account_note:
                decision = decision.model_copy(
                    update={"reasons": [*decision.reasons, account_note]}
                )
            events.append(Decided(at=now, decision=decision))
            events.extend(
                await self._act_and_respond(conversation_id, state, runtime, decision, customer)
            )
            decision = self._acknowledge(state, runtime, decision, events)
            return await self._record(conversation_id, state, events, decision)

    def _acknowledge(
        self,
        state: ConversationState,
        runtime: PackRuntime,
        decision: Decision,
        events: list[Event],
    ) -> Decision:
        """Open the turn's first reply with the decision's acknowledgement, in place."""
        if decision.acknowledgement is None:
            return decision
        text = runtime.responder.acknowledge(
            decision.acknowledgement, state.acknowledgements, state.arms
        )
        index = next(i for i, e in enumerate(events) if isinstance(e, BotReplied))
        if text is None:
            reason = Reason(
                code="acknowledgements_used_up",
                detail="every wording of this acknowledgement was said already; none repeated",
            )
            decision = decision.model_copy(
                update={"acknowledgement": None, "reasons": [*decision.reasons, reason]}
            )
            decided = next(i for i, e in enumerate(events) if isinstance(e, Decided))
            events[decided] = Decided(at=events[decided].at, decision=decision)
            return decision
        reply = events[index]
        assert isinstance(reply, BotReplied)
        events[index] = reply.model_copy(
            update={"text": f"{text} {reply.text}", "acknowledgement": text}
        )
        return decision

    async def transact(
        self,
        conversation_id: str,
        make: Callable[[ConversationState, PackRuntime], list[Event]],
    ) -> TurnResult:
        """Append the events ``make`` builds from the current state, under the conversation's
        lock and with the version it read: of two writers that race, exactly one wins and the
        other gets ``ConflictError``. ``make`` raises to refuse."""
        async with self._lock(conversation_id):
            state = await self._working_state(conversation_id)
            events = make(state, self.pack(state.pack))
            if not events:
                return TurnResult(conversation_id, [], None, [], state.status)
            return await self._record(conversation_id, state, events, None)

    async def packet(self, conversation_id: str, *, with_account: bool = True) -> Packet:
        """The warm-transfer packet, with the customer's account and past conversations
        (``with_account=False``: from the event log alone, no back-office call)."""
        events = await self.repo.events(conversation_id)
        packet = build_packet(conversation_id, events)
        if packet.customer_id and with_account:
            runtime = self.pack(packet.pack)
            state = fold(events)
            customer, _ = await self._customer(runtime, state)
            if customer is not None:
                packet.customer = customer.profile
            packet.history = [
                {
                    "conversation_id": s.id,
                    "status": s.status,
                    "started": s.created_at.isoformat(),
                }
                for s in await self.repo.of_customer(packet.customer_id, limit=10)
                if s.id != conversation_id
            ]
        return packet

    async def give_feedback(self, conversation_id: str, rating: int, comment: str = "") -> None:
        """The customer's rating of the conversation (1-5); the last one given counts."""
        async with self._lock(conversation_id):
            state = await self._working_state(conversation_id)
            event = FeedbackGiven(at=self.clock.now(), rating=rating, comment=comment)
            await self._record(conversation_id, state, [event], None)

    async def experiment_report(
        self, pack: str | None, experiment: str, baseline: str | None = None
    ) -> ExperimentReport:
        """CSAT and resolution per arm of one of the pack's experiments, with differences."""
        runtime = self.pack(pack)
        if experiment not in runtime.pack.experiments:
            known = ", ".join(runtime.pack.experiments) or "none"
            raise InputError(
                f"pack '{runtime.pack.pack}' has no experiment '{experiment}' (it has: {known})"
            )
        arms = list(runtime.pack.experiments[experiment].arms)
        if baseline is not None and baseline not in arms:
            raise InputError(f"experiment '{experiment}' has no arm '{baseline}' (arms: {arms})")
        logs = await self.repo.logs(runtime.pack.pack, REPORT_KINDS)
        return experiment_report(logs.values(), experiment, arms, baseline)

    async def request_person(
        self, conversation_id: str, trigger: str = "customer_request"
    ) -> TurnResult:
        """The "talk to a person" control: always honoured at once."""
        async with self._lock(conversation_id):
            state = await self._working_state(conversation_id)
            if state.status == "closed":
                raise ConversationClosed("this conversation has ended; start a new one")
            runtime = self.pack(state.pack)
            now = self.clock.now()
            if state.status == "escalated":
                return TurnResult(conversation_id, [], None, [], state.status)
            reasons = [Reason(code=trigger, detail="the customer pressed 'talk to a person'")]
            decision = Decision(kind="escalate", escalation=trigger, reasons=reasons)
            wait = await self._wait_sentence(None, state.pack)
            events: list[Event] = [
                Decided(at=now, decision=decision),
                Escalated(at=now, trigger=trigger, reasons=reasons),
                BotReplied(
                    at=now,
                    text=runtime.responder.render("escalated", state.arms, wait_sentence=wait),
                ),
            ]
            return await self._record(conversation_id, state, events, decision)

    async def _record(
        self,
        conversation_id: str,
        state: ConversationState,
        events: list[Event],
        decision: Decision | None,
    ) -> TurnResult:
        status = state.status
        if any(isinstance(e, Escalated) for e in events):
            status = "escalated"
        if any(isinstance(e, HandedBack) for e in events):
            status = "open"
        if any(isinstance(e, Resolved) for e in events):
            status = "closed"
        try:
            await self.repo.append(
                conversation_id, state.version, events, self.clock.now(), status=status
            )
        except WarmlineError:
            self._states.pop(conversation_id, None)
            raise
        for event in events:
            apply(state, event)
        if any(isinstance(e, ActionExecuted) and e.risk != "read" for e in events):
            self._forget_account(state)
        self.broker.publish(conversation_id, events)
        replies = [e for e in events if isinstance(e, BotReplied)]
        return TurnResult(conversation_id, replies, decision, events, status)

    async def _customer(
        self, runtime: PackRuntime, state: ConversationState
    ) -> tuple[Customer | None, Reason | None]:
        """The customer's account, at most ``account_ttl_s`` old (dropped after any write)."""
        if not state.customer_id or runtime.pack.account is None:
            return None, None
        key = (runtime.pack.pack, state.customer_id)
        cached = self._accounts.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] <= self.account_ttl_s:
            age = round(now - cached[0], 2)
            return cached[1], Reason(
                code="account_cached",
                detail=f"account read {age} s ago (limit {self.account_ttl_s} s)",
                values={"age_s": age, "limit_s": self.account_ttl_s},
            )
        try:
            profile = await self.runner.account(runtime.pack, state.customer_id)
        except BackOfficeNotFound:
            return None, Reason(code="account_not_found", detail=f"no account {state.customer_id}")
        except ConnectorError as exc:
            return None, Reason(code="account_unavailable", detail=exc.title)
        facts = facts_from_profile(profile, runtime.pack.account.fields)
        customer = Customer(id=state.customer_id, profile=profile, facts=facts)
        if len(self._accounts) > STATE_CACHE_SIZE:
            self._accounts.clear()
        self._accounts[key] = (now, customer)
        return customer, None

    def _forget_account(self, state: ConversationState) -> None:
        if state.customer_id:
            self._accounts.pop((state.pack, state.customer_id), None)

    async def _act_and_respond(
        self,
        conversation_id: str,
        state: ConversationState,
        runtime: PackRuntime,
        decision: Decision,
        customer: Customer | None,
    ) -> list[Event]:
        now = self.clock.now()
        responder = runtime.responder
        context: dict[str, Any] = {
            "params": decision.params,
            "customer": customer.profile if customer else {},
            "arms": state.arms,
        }
        if decision.kind == "escalate":
            context["wait_sentence"] = await self._wait_sentence(None, state.pack)
        if decision.kind == "escalate":
            return [
                Escalated(
                    at=now, trigger=decision.escalation or "unknown", reasons=decision.reasons
                ),
                BotReplied(at=now, text=responder.render("escalated", **context)),
            ]
        if decision.kind == "clarify":
            if decision.missing:
                spec = runtime.pack.actions[decision.action or ""].parameters[decision.missing]
                prompt = (
                    spec.prompt or f"Could you give me the {decision.missing.replace('_', ' ')}?"
                )
                return [
                    BotReplied(
                        at=now,
                        text=responder.render(
                            decision.template or "missing_param", prompt=prompt, **context
                        ),
                        choices=decision.choices,
                    )
                ]
            return [
                BotReplied(
                    at=now, text=responder.render("clarify", **context), choices=decision.choices
                )
            ]
        if decision.kind == "decline":
            return [
                ActionDeclined(at=now, action=decision.action or ""),
                BotReplied(at=now, text=responder.render("declined", **context)),
            ]
        if decision.kind == "confirm":
            return await self._propose(runtime, decision, context)
        if decision.kind == "act":
            return await self._execute(conversation_id, state, runtime, decision, context)
        text = responder.render(decision.template or "clarify", **context)
        events: list[Event] = [BotReplied(at=now, text=text)]
        if decision.template == "bot_challenge":
            events.append(Disclosed(at=now, how="bot_challenge"))
        if decision.kind == "close":
            events.append(Resolved(at=now, by="customer"))
        return events

    async def _propose(
        self, runtime: PackRuntime, decision: Decision, context: dict[str, Any]
    ) -> list[Event]:
        now = self.clock.now()
        action_name = decision.action or ""
        try:
            record = await self.runner.preview(runtime.pack, action_name, decision.params)
        except ConnectorError as exc:
            if not isinstance(exc, BackOfficeRejected | BackOfficeNotFound):  # these hand over
                context["wait_sentence"] = await self._wait_sentence(None, runtime.pack.pack)
            return self._failure(runtime, decision, exc, context)
        confirmation, problem = runtime.responder.render_safe(
            f"confirm:{action_name}", "action_unavailable", record=record, **context
        )
        if problem:
            reason = Reason(code="template_failed", detail=problem)
            return [
                Escalated(at=now, trigger="template_failed", reasons=[*decision.reasons, reason]),
                BotReplied(at=now, text=runtime.responder.render("escalated", **context)),
            ]
        return [
            ActionProposed(
                at=now, action=action_name, params=decision.params, confirmation=confirmation
            ),
            BotReplied(at=now, text=confirmation, choices=decision.choices or ["yes", "no"]),
        ]

    async def _execute(
        self,
        conversation_id: str,
        state: ConversationState,
        runtime: PackRuntime,
        decision: Decision,
        context: dict[str, Any],
    ) -> list[Event]:
        now = self.clock.now()
        action_name = decision.action or ""
        action = runtime.pack.actions[action_name]
        turn = decision.proposal if decision.proposal is not None else state.version
        key = f"{conversation_id}:{turn}:{action_name}"
        try:
            result = await self.runner.execute(runtime.pack, action_name, decision.params, key)
        except ConnectorError as exc:
            if not isinstance(exc, BackOfficeRejected | BackOfficeNotFound):  # these hand over
                context["wait_sentence"] = await self._wait_sentence(None, runtime.pack.pack)
            return self._failure(runtime, decision, exc, context)
        text, problem = runtime.responder.render_safe(
            action.success, "action_unavailable", result=result, **context
        )
        events: list[Event] = [
            ActionExecuted(
                at=now,
                action=action_name,
                params=decision.params,
                risk=action.risk,
                idempotency_key=key if action.risk != "read" else None,
                result=result,
            ),
        ]
        if problem:
            events.append(
                Escalated(
                    at=now,
                    trigger="template_failed",
                    reasons=[Reason(code="template_failed", detail=problem)],
                )
            )
        events.append(BotReplied(at=now, text=text))
        return events

    def _failure(
        self, runtime: PackRuntime, decision: Decision, exc: ConnectorError, context: dict[str, Any]
    ) -> list[Event]:
        now = self.clock.now()
        action_name = decision.action or ""
        action = runtime.pack.actions[action_name]
        failed = ActionFailed(
            at=now,
            action=action_name,
            params=decision.params,
            error=exc.code,
            reason=exc.public_detail(),
            retryable=not exc.public,
        )
        if isinstance(exc, BackOfficeRejected):
            template = action.failure or "action_rejected"
            return [
                failed,
                BotReplied(
                    at=now, text=runtime.responder.render(template, reason=exc.message, **context)
                ),
            ]
        if isinstance(exc, BackOfficeNotFound):
            return [
                failed,
                BotReplied(
                    at=now,
                    text=runtime.responder.render(
                        "action_not_found", reason=exc.message, **context
                    ),
                ),
            ]
        trigger = "circuit_open" if exc.code == "circuit_open" else "action_failed"
        code = "circuit_open" if trigger == "circuit_open" else "backoffice_unavailable"
        reason = Reason(code=code, detail=f"{action_name}: {exc.title}")
        return [
            failed,
            Escalated(at=now, trigger=trigger, reasons=[*decision.reasons, reason]),
            BotReplied(at=now, text=runtime.responder.render("action_unavailable", **context)),
        ]
