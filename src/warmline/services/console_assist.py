"""Agent assist beside a conversation in the console: suggested replies, the pack's own answers
for the requests understood, and the next best actions, from what is still open.

An action is suggested for each request understood that leads to one, unless the conversation
already settled it: executed, or declined by the customer. Each suggestion says why (asked and
not done yet, proposed and waiting for a yes, failed in the back office); each request left out
says why too, so the agent sees that nothing was forgotten."""

from __future__ import annotations

from dataclasses import dataclass, field

from warmline.domain.decision import Acknowledgement
from warmline.domain.packet import Attempt, Packet
from warmline.services.packs import PackRuntime

SETTLED = {"done": "already done in this conversation", "declined": "the customer declined it"}


@dataclass(frozen=True)
class NextAction:
    action: str
    details: str
    why: str


@dataclass(frozen=True)
class Assist:
    suggestions: list[str] = field(default_factory=list)
    snippets: list[dict[str, str]] = field(default_factory=list)
    next_actions: list[NextAction] = field(default_factory=list)
    settled: list[NextAction] = field(default_factory=list)


def _last_attempt(attempts: list[Attempt], action: str) -> Attempt | None:
    return next((a for a in reversed(attempts) if a.action == action), None)


def _why(label: str, last: Attempt | None) -> str:
    asked = f"the customer asked to {label}"
    if last is None:
        return f"{asked}; not done yet"
    if last.outcome == "failed":
        detail = f" ({last.detail})" if last.detail else ""
        return f"{asked}; it failed in the back office{detail}: try it again there"
    if last.outcome == "proposed":
        return f"{asked}; proposed to them, no yes or no yet"
    return f"{asked}; {last.outcome}"


def next_actions(runtime: PackRuntime, packet: Packet) -> tuple[list[NextAction], list[NextAction]]:
    """The actions still open (each with why it is suggested), and those the conversation
    settled (each with how), in the order the requests were understood."""
    pack = runtime.pack
    open_: list[NextAction] = []
    settled: list[NextAction] = []
    seen: set[str] = set()
    for name in packet.intents:
        intent = pack.intents.get(name)
        if intent is None or not intent.action or intent.action in seen:
            continue
        seen.add(intent.action)
        action = pack.actions[intent.action]
        last = _last_attempt(packet.attempts, intent.action)
        params = dict(last.params) if last and last.params else {}
        for pname, spec in action.parameters.items():
            if spec.entity and packet.entities.get(spec.entity) and pname not in params:
                params[pname] = packet.entities[spec.entity][-1]
        shown = ", ".join(f"{k} {v}" for k, v in params.items() if k != "customer_id")
        label = pack.intent_label(name)
        if last is not None and last.outcome in SETTLED:
            settled.append(NextAction(intent.action, shown, SETTLED[last.outcome]))
        else:
            open_.append(NextAction(intent.action, shown or "no details yet", _why(label, last)))
    return open_, settled


def assist(runtime: PackRuntime, packet: Packet) -> Assist:
    """Agent assist from the packet and the pack."""
    pack, responder = runtime.pack, runtime.responder
    suggestions: list[str] = []
    if packet.feelings:
        cause, score = packet.feelings[-1].strongest()
        if score >= 0.5:
            opener = responder.acknowledge(Acknowledgement(cause=cause, strong=score >= 0.8), [])
            if opener:
                suggestions.append(responder.render("assist_acknowledge", opener=opener))
    suggestions.append(responder.render("assist_thanks"))
    snippets: list[dict[str, str]] = []
    for name in packet.intents:
        intent = pack.intents.get(name)
        if intent is not None and intent.response:
            text, problem = responder.render_safe(
                intent.response, "clarify", customer=packet.customer
            )
            if not problem:
                snippets.append({"intent": pack.intent_label(name), "text": text})
    open_, settled = next_actions(runtime, packet)
    return Assist(suggestions, snippets, open_, settled)
