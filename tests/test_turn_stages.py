"""The stages of one turn on their own: the act stage's outcomes, the respond stage's choice of
template and wait sentence, and the events the record stage writes, in their order."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from warmline.domain.conversation import ConversationState, Offer, Refusal, fold
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import AgentJoined, ConversationStarted, Escalated, Event
from warmline.domain.outcome import ActionOutcome
from warmline.domain.pack import DomainPack, HttpRequest
from warmline.domain.understanding import TurnContext
from warmline.errors import (
    BackOfficeCircuitOpen,
    BackOfficeNotFound,
    BackOfficeRejected,
    BackOfficeUnavailable,
    ConnectorError,
)
from warmline.nlu.engine import NluEngine
from warmline.services.packs import PackRuntime
from warmline.services.responder import Responder
from warmline.services.turn import guide
from warmline.services.turn import knowledge as knowledge_stage
from warmline.services.turn.act import Actor, action_event, failed, preview_once
from warmline.services.turn.context import Perception, Turn
from warmline.services.turn.record import consequences
from warmline.services.turn.respond import Replier, Reply

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CANCEL = {"reservation_id": "4WQ150", "reason": "change_of_plan"}


@pytest.fixture
def runtime(mini_pack: DomainPack, mini_nlu: NluEngine) -> PackRuntime:
    return PackRuntime(mini_pack, mini_nlu, Responder(mini_pack))


def turn_in(runtime: PackRuntime, state: ConversationState | None = None) -> Turn:
    state = state or fold([ConversationStarted(at=NOW, pack="mini_airline")])
    return Turn("0123456789abcdef", state, runtime, NOW)


def kinds(events: list[Event]) -> list[str]:
    return [e.kind for e in events]


@pytest.mark.parametrize(
    ("exc", "failure", "retryable"),
    [
        (BackOfficeRejected("only pending orders"), "rejected", False),
        (BackOfficeNotFound("no such record"), "not_found", False),
        (BackOfficeCircuitOpen("open"), "circuit_open", True),
        (BackOfficeUnavailable("timeout"), "unavailable", True),
    ],
)
def test_a_connector_error_becomes_an_outcome_the_customer_may_hear(
    exc: ConnectorError, failure: str, retryable: bool
) -> None:
    outcome = failed("cancel_reservation", "execute", CANCEL, exc)
    # a refusal names the rule, at the write as at its dry run (the event log explains it)
    code = f"precondition_failed:{exc.rule or 'unknown'}" if failure == "rejected" else exc.code
    assert (outcome.failure, outcome.retryable, outcome.error) == (failure, retryable, code)
    # only a refusal's own words reach the customer; an outage says its title, not its detail
    assert outcome.message == (exc.message if exc.public else exc.title)


def test_a_write_is_recorded_with_its_key_and_a_preview_not_at_all(mini_pack: DomainPack) -> None:
    action = mini_pack.actions["cancel_reservation"]
    done = ActionOutcome(
        action="cancel_reservation", step="execute", params=CANCEL, idempotency_key="c:3:x"
    )
    executed = action_event(done, action, NOW)
    assert executed is not None and executed.kind == "action_executed"
    assert executed.idempotency_key == "c:3:x" and executed.risk == "destructive"
    preview = ActionOutcome(action="cancel_reservation", step="preview", params=CANCEL)
    assert action_event(preview, action, NOW) is None
    refused = failed("cancel_reservation", "preview", CANCEL, BackOfficeRejected("no"))
    event = action_event(refused, action, NOW)
    assert event is not None and event.kind == "action_failed" and event.reason == "no"


async def test_the_wait_sentence_comes_from_the_live_queue_in_the_packs_words(
    runtime: PackRuntime,
) -> None:
    replier = Replier()
    escalate = Decision(kind="escalate", escalation="customer_request")
    assert "connecting you" in ((await replier.reply(turn_in(runtime), escalate, None)).text or "")
    for seconds, words in (
        (None, "Nobody from our team"),
        (10, "in a moment"),
        (610, "about 10 minutes"),
    ):

        async def estimate(
            cid: str | None, pack: str | None, s: float | None = seconds
        ) -> float | None:
            assert (cid, pack) == (None, "mini_airline")  # a new escalation: the pack's queue
            return s

        replier.wait_estimate = estimate
        reply = await replier.reply(turn_in(runtime), escalate, None)
        assert reply.text is not None and words in reply.text, reply.text


async def test_a_missing_detail_without_a_prompt_is_asked_in_the_packs_words(
    runtime: PackRuntime,
) -> None:
    action = runtime.pack.actions["cancel_reservation"]
    spec = action.parameters["reservation_id"].model_copy(update={"prompt": None})
    pack = runtime.pack.model_copy(deep=True)
    pack.actions["cancel_reservation"].parameters["reservation_id"] = spec
    bare = PackRuntime(pack, runtime.nlu, Responder(pack))
    ask = Decision(kind="clarify", action="cancel_reservation", missing="reservation_id")
    reply = await Replier().reply(turn_in(bare), ask, None)
    assert reply.text == "Could you give me the reservation id?"


async def test_while_a_person_owns_the_conversation_the_reply_is_silence(
    runtime: PackRuntime,
) -> None:
    state = fold(
        [
            ConversationStarted(at=NOW, pack="mini_airline"),
            Escalated(at=NOW, trigger="vip"),
            AgentJoined(at=NOW, agent="ana"),
        ]
    )
    owned = Decision(kind="escalate", escalation="vip")
    assert await Replier().reply(turn_in(runtime, state), owned, None) == Reply(None)


def test_an_outage_records_the_failure_then_the_handover_then_the_reply(
    runtime: PackRuntime,
) -> None:
    follow = Decision(
        kind="escalate",
        escalation="action_failed",
        reasons=[Reason(code="backoffice_unavailable", detail="x")],
    )
    outcome = failed("get_reservation", "execute", {}, BackOfficeUnavailable("down"))
    acted = action_event(outcome, runtime.pack.actions["get_reservation"], NOW)
    events = consequences(turn_in(runtime), follow, acted, Reply("sorry"), "I'm sorry.")
    assert kinds(events) == ["action_failed", "escalated", "bot_replied"]
    assert events[-1].text == "I'm sorry. sorry"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (
            Decision(kind="confirm", action="cancel_reservation", params=CANCEL),
            ["action_proposed", "bot_replied"],
        ),
        (Decision(kind="decline", action="cancel_reservation"), ["action_declined", "bot_replied"]),
        (Decision(kind="close", template="goodbye"), ["bot_replied", "resolved"]),
        (Decision(kind="answer", template="bot_challenge"), ["bot_replied", "disclosed"]),
    ],
)
def test_each_decision_leads_to_its_events_in_order(
    runtime: PackRuntime, decision: Decision, expected: list[str]
) -> None:
    assert kinds(consequences(turn_in(runtime), decision, None, Reply("text"), None)) == expected


def test_a_contact_left_while_waiting_is_a_ticket_and_no_second_escalation(
    runtime: PackRuntime,
) -> None:
    state = fold(
        [ConversationStarted(at=NOW, pack="mini_airline"), Escalated(at=NOW, trigger="vip")]
    )
    turn = turn_in(runtime, state)
    turn.seen = Perception(contact=("email", "a@b.example"))
    taken = Decision(kind="escalate", escalation="vip", template="callback_taken", callback=True)
    events = consequences(turn, taken, None, Reply("thanks"), None)
    assert kinds(events) == ["callback_requested", "bot_replied"]


def test_the_policy_decides_the_same_inputs_once_per_turn(
    runtime: PackRuntime, mini_nlu: NluEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guide's last question, its look for a dry run and the turn's own decision decide
    on the same inputs: the policy (a pure function of them) is asked once."""
    asked: list[object] = []
    policy = guide.decide

    def counted(*args: Any) -> Decision:
        asked.append(args)
        return policy(*args)

    monkeypatch.setattr(guide, "decide", counted)
    turn = turn_in(runtime)
    reading = mini_nlu.understand("cancel reservation 4WQ150", TurnContext(now=NOW))
    turn.seen = Perception(reading)
    offers: dict[str, Offer] = {}
    first = guide.decided(turn, offers, {})
    assert guide.decided(turn, dict(offers), {}) is first and len(asked) == 1
    offers["reason"] = Offer(("Change of plan",), ("change_of_plan",))
    assert guide.decided(turn, offers, {}) is not first and len(asked) == 2  # one more offer
    guide.decided(turn, offers, {})
    assert len(asked) == 2
    turn.seen = replace(turn.seen, observations=[Reason(code="stock_held", detail="held")])
    guide.decided(turn, offers, {})  # a reason noted since: every decision carries it
    assert len(asked) == 3
    guide.decided(turn, offers, {"cancel_reservation": Refusal("rule", "no")})
    assert len(asked) == 4


class CountingRunner:
    """An action runner whose every back-office read is counted (the path read)."""

    def __init__(self) -> None:
        self.read: list[str] = []
        self.client = None

    async def lookup(self, request: HttpRequest, params: dict[str, str]) -> dict[str, Any]:
        self.read.append(request.path.format(**params))
        return {"orders": [len(self.read)]}


async def test_the_guide_reads_a_record_once_while_gathering_the_offers_and_afresh_after(
    runtime: PackRuntime,
) -> None:
    runner = CountingRunner()
    reader = guide.Guide(runner)  # type: ignore[arg-type]
    orders = HttpRequest(path="/users/{customer_id}/orders")
    turn = turn_in(runtime)
    turn.reads = {}  # gathering the offers: the same record read once
    first = await reader._record(turn, orders, {"customer_id": "c1"})
    assert await reader._record(turn, orders, {"customer_id": "c1"}) is first
    await reader._record(turn, orders, {"customer_id": "c2"})  # another path: read
    assert runner.read == ["/users/c1/orders", "/users/c2/orders"]
    turn.reads = None  # the dry run and what follows it: every read afresh
    await reader._record(turn, orders, {"customer_id": "c1"})
    assert runner.read[-1] == "/users/c1/orders" and len(runner.read) == 3
    await reader.gather(turn)  # the gathering ends with its reads forgotten
    assert turn.reads is None


async def test_the_knowledge_answer_is_built_off_the_event_loop_thread(
    runtime: PackRuntime, mini_nlu: NluEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer check's model and the support checks take milliseconds of CPU: in a worker
    thread, as the NLU reads, they block no other turn."""
    built_in: list[threading.Thread] = []

    def ground(question: str, passages: Any) -> str:
        built_in.append(threading.current_thread())
        return "grounded"

    class Base:
        encoder = mini_nlu.encoder

        async def search(self, pack: str, query: str, k: int = 5, embedding: Any = None) -> list:
            return []

    monkeypatch.setattr(knowledge_stage, "ground", ground)
    monkeypatch.setattr(knowledge_stage, "wants_knowledge", lambda *args: True)
    turn = turn_in(runtime)
    turn.seen = Perception(mini_nlu.understand("what is your pet policy?", TurnContext(now=NOW)))
    assert await knowledge_stage.KnowledgeReader(Base()).ground(turn) == "grounded"
    assert built_in and built_in[0] is not threading.main_thread()


class PreviewingRunner:
    """An action runner whose dry runs are counted."""

    def __init__(self) -> None:
        self.previews: list[dict[str, str]] = []

    async def preview(self, pack: DomainPack, name: str, params: dict[str, str]) -> dict[str, Any]:
        self.previews.append(params)
        return {"reservation_id": params["reservation_id"], "refund": 120}


async def test_a_confirmations_dry_run_is_sent_once_unless_stock_was_held_since(
    runtime: PackRuntime,
) -> None:
    """The guide's dry run before the confirmation is the record the act stage words it with;
    a hold or a release noted since (stock changed) sends it again."""
    runner = PreviewingRunner()
    turn = turn_in(runtime)
    first = await preview_once(runner, turn, "cancel_reservation", dict(CANCEL))  # type: ignore[arg-type]
    confirm = Decision(kind="confirm", action="cancel_reservation", params=CANCEL)
    outcome = await Actor(runner).run(turn, confirm)  # type: ignore[arg-type]
    assert outcome.result == first and len(runner.previews) == 1
    other = {**CANCEL, "reason": "other"}
    await preview_once(runner, turn, "cancel_reservation", other)  # type: ignore[arg-type]
    assert len(runner.previews) == 2  # other values: sent
    turn.seen = replace(turn.seen, observations=[Reason(code="stock_held", detail="held")])
    await preview_once(runner, turn, "cancel_reservation", other)  # type: ignore[arg-type]
    assert len(runner.previews) == 3  # stock held since: sent again
