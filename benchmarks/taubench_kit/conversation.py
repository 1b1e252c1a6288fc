"""One task played out: a fresh back office, a new guest conversation with the domain's pack,
the scripted customer against the bot, then the score against the gold end state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from warmline.errors import WarmlineError
from warmline.services.runtime import Runtime

from .customer import Customer
from .identity import Identity
from .replay import GoldBackOffice, RecordingTransport
from .scoring import differing, outputs_said, snapshot, wrong_writes
from .talk import UNSURE, is_confirmation

MAX_TURNS = 30


@dataclass
class Played:
    """What happened in one task's conversation and how it scored."""

    index: int
    operation: str
    turns: int = 0
    reached: bool = False
    state_matches: bool = False
    missing_outputs: list[str] = field(default_factory=list)
    escalated: bool = False
    verified: bool = False
    asked_verification: bool = False
    wrong: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    said_no: list[str] = field(default_factory=list)
    #: every confirmation asked: the bot's proposal, the customer's answer, the writes it made
    confirmations: list[dict[str, Any]] = field(default_factory=list)
    #: for each wrong write, the confirmation that led to it (proposal and answer)
    wrong_proposals: list[dict[str, Any]] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)
    error: str | None = None
    category: str | None = None
    transcript: list[str] = field(default_factory=list)


@dataclass
class Bench:
    """What every task of a split shares: the runtime, its back office and the gold one."""

    runtime: Runtime
    domain: str
    backoffice_app: Any
    recorder: RecordingTransport
    gold: GoldBackOffice
    users: dict[str, Any]
    orders: dict[str, Any] = field(default_factory=dict)


def _bot_lines(result: Any, transcript: list[str]) -> tuple[str, list[str]]:
    texts, choices = [], []
    for reply in result.replies:
        texts.append(reply.text)
        transcript.append(f"bot: {reply.text}")
        if reply.choices:
            choices = list(reply.choices)
            transcript.append(f"     choices: {' | '.join(reply.choices)}")
    decision = getattr(result, "decision", None)
    if decision is not None:
        codes = ", ".join(decision.reason_codes())
        transcript.append(f"     decision: {decision.kind} {decision.intent or ''} [{codes}]")
    return "\n".join(texts), choices


async def converse(bench: Bench, customer: Customer, played: Played) -> list[str]:
    """Play the conversation; returns every bot text."""
    service = bench.runtime.conversations
    start = await service.start(bench.domain, None, "taubench")
    cid = start.conversation_id
    said, _ = _bot_lines(start, played.transcript)
    replies = [said]
    message = customer.opening()
    while played.turns < MAX_TURNS:
        played.turns += 1
        played.transcript.append(f"customer: {message}")
        before = len(bench.recorder.log)
        result = await service.post_message(cid, message)
        text, choices = _bot_lines(result, played.transcript)
        _log_writes(bench.recorder, before, played.transcript)
        if played.confirmations and played.confirmations[-1]["writes"] is None:
            made = [w.text() for w in bench.recorder.log[before:] if w.status < 400]
            played.confirmations[-1]["writes"] = made
        replies.append(text)
        if result.decision is not None and result.decision.verify_fact:
            played.asked_verification = True
        if result.status == "escalated":
            played.escalated = True
            break
        message = customer.reply(text, choices)
        if choices and is_confirmation(choices):
            played.confirmations.append({"proposal": text, "answer": message, "writes": None})
        if choices and is_confirmation(choices) and message.lower().startswith("no"):
            played.said_no.append(text)
        elif choices and message == UNSURE:
            played.unsure.append(text)
        if customer.done:
            played.transcript.append(f"customer: {message}")
            break
    state, _ = await service.state(cid)
    played.verified = state.customer_id is not None
    return replies


def _log_writes(recorder: RecordingTransport, before: int, transcript: list[str]) -> None:
    for write in recorder.log[before:]:
        kind = "write" if write.status < 400 else "refused"
        transcript.append(f"     {kind}: {write.text()}")


async def play(bench: Bench, index: int, task: dict[str, Any]) -> Played:
    """Reset, converse, replay the gold calls and score."""
    gold = await bench.gold.replay(bench.domain, task.get("actions", []))
    played = Played(index, "+".join(dict.fromkeys(gold.writes)) or "(no write)")
    if gold.failed:
        played.transcript.append(f"gold replay refused: {gold.failed}")
    await bench.runtime.backoffice.request("POST", "/_admin/reset")
    bench.recorder.clear()
    user_id = task["user_id"]
    me = Identity.from_user(user_id, bench.users[user_id], bench.orders)
    customer = customer_for(bench.domain, task["instruction"], me)
    replies: list[str] = []
    try:
        replies = await converse(bench, customer, played)
    except WarmlineError as exc:
        played.error = f"{exc.code}: {exc.message}"
        played.transcript.append(f"error: {played.error}")
    end = snapshot(bench.backoffice_app.state.store, bench.domain)
    played.state_matches = not differing(end, gold.state)
    played.missing_outputs = outputs_said(task.get("outputs", []), replies)
    played.reached = played.state_matches and not played.missing_outputs
    played.writes = [w.text() for w in bench.recorder.writes]
    played.refused = [w.text() for w in bench.recorder.refused]
    wrong = wrong_writes(bench.recorder.writes, bench.domain, end, gold.state, len(gold.writes))
    played.wrong = [w.text() for w in wrong]
    played.wrong_proposals = [
        {"write": w, "proposal": c["proposal"], "answer": c["answer"]}
        for w in played.wrong
        for c in played.confirmations
        if c["writes"] and w in c["writes"]
    ]
    played.category = None if played.reached else categorise(played)
    return played


def customer_for(domain: str, instruction: str, me: Identity) -> Customer:
    """The scripted customer for a domain: the airline's knows its own reservations."""
    if domain == "airline":
        from .airline_customer import AirlineCustomer

        return AirlineCustomer(instruction, me)
    return Customer(instruction, me)


def categorise(played: Played) -> str:
    """Why a task's goal was not reached, in the pack engineers' terms."""
    if played.error:
        return "error"
    if played.asked_verification and not played.verified:
        return "verification"
    causes = [
        (played.refused, "back office refusal"),
        (played.said_no, "confirmation"),
        (played.unsure, "choice"),
        (played.escalated, "escalation"),
        (played.state_matches, "outputs"),
    ]
    return next((name for cause, name in causes if cause), "intent")
