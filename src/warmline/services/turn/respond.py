"""Respond: word the decision in the pack's templates (``services/responder.py``, with the
built-in defaults underneath), with what the back office returned, the customer's account and,
when a person is on the way, the expected wait from the live queue. No sentence is written here:
a pack words and translates every one."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

from warmline.analytics.waits import in_words
from warmline.domain.decision import Acknowledgement, Decision
from warmline.domain.grounding import Citation
from warmline.domain.outcome import ActionOutcome
from warmline.services.telemetry import stage
from warmline.services.turn.context import Turn
from warmline.services.turn.knowledge import given


class WaitEstimate(Protocol):
    """Seconds until a person takes a conversation (by id, or a new one of a pack, ``urgent``
    when its handover is: served before the others); None when nobody who could is signed
    in."""

    def __call__(
        self, conversation_id: str | None, pack: str | None, /, *, urgent: bool = ...
    ) -> Awaitable[float | None]: ...


OPENERS = {"greeting": "opener_greeting", "thanks": "opener_thanks"}
"""The template that returns each opener (``opener_returned``)."""

DEFAULT_TEMPLATES = {"escalate": "escalated", "decline": "declined", "clarify": "clarify"}
SOON_S = 30.0


@dataclass(frozen=True)
class Reply:
    """The reply's text (None: the bot stays silent) and choices, or the template's failure."""

    text: str | None
    choices: list[str] = field(default_factory=list)
    problem: str | None = None
    citations: list[Citation] = field(default_factory=list)  # an answer's help pages


class Replier:
    def __init__(self) -> None:
        # Set by the handoff service, which knows the queue.
        self.wait_estimate: WaitEstimate | None = None

    def opening(self, turn: Turn, ack: Acknowledgement) -> str | None:
        """The acknowledgement's wording, never one this conversation has heard (None: each
        wording has been said already)."""
        return turn.runtime.responder.acknowledge(ack, turn.state.acknowledgements, turn.state.arms)

    def returned_opener(self, turn: Turn, decision: Decision) -> str | None:
        """The words returning the greeting or thanks the turn opened with, when the policy
        asks for them (``opener_returned``) and the conversation has not heard them where it
        would repeat: a greeting once in it, thanks not twice in a row (None: none)."""
        reason = next((r for r in decision.reasons if r.code == "opener_returned"), None)
        name = OPENERS.get(str(reason.values.get("opener"))) if reason is not None else None
        if name is None:
            return None
        text, _ = turn.runtime.responder.try_render(name, turn.state.arms)
        said = _said(turn)
        heard = said if name == "opener_greeting" else said[-1:]
        if not text or any(line.startswith(text) for line in heard):
            return None
        return text

    async def reply(self, turn: Turn, decision: Decision, outcome: ActionOutcome | None) -> Reply:
        """The reply to ``decision`` (the follow-up one, once an action has run); the turn's
        ``respond`` stage."""
        escalated = turn.state.status == "escalated"
        if escalated and decision.template is None:
            return Reply(None)  # a person owns the conversation
        with stage("respond"):
            name = self._template(decision)
            context = await self._context(turn, decision, outcome, name)
            cited = self._answer(turn, decision, context)
            text, problem = turn.runtime.responder.try_render(name, turn.state.arms, **context)
        return Reply(text, self._choices(decision), problem, cited)

    @staticmethod
    def _answer(turn: Turn, decision: Decision, context: dict[str, Any]) -> list[Citation]:
        """For an answer from the pack's documents, its text (``answer``) in the context and
        its citations (none for another reply)."""
        answered = next((r for r in decision.reasons if r.code == "knowledge_answered"), None)
        source = answered.values.get("source") if answered is not None else None
        candidate = given(turn, str(source)) if answered is not None else None
        if candidate is None:
            return []
        context["answer"] = candidate.text
        return candidate.citations()

    @staticmethod
    def _template(decision: Decision) -> str:
        if decision.kind == "clarify" and decision.missing:
            return decision.template or "missing_param"
        if decision.kind == "escalate" and decision.template is None:
            return "escalated"
        if decision.kind in ("clarify", "decline"):
            return DEFAULT_TEMPLATES[decision.kind]
        return decision.template or "clarify"

    @staticmethod
    def _choices(decision: Decision) -> list[str]:
        if decision.kind == "confirm":
            return decision.choices or ["yes", "no"]
        if decision.kind == "answer" and "precondition_failed" in decision.reason_codes():
            return decision.choices  # a refused write: the way to a person, at least
        if decision.template == "knowledge_unknown":
            return decision.choices  # the documents do not say: the way to a person
        return decision.choices if decision.kind == "clarify" else []

    async def _context(
        self,
        turn: Turn,
        decision: Decision,
        outcome: ActionOutcome | None,
        name: str,
    ) -> dict[str, Any]:
        customer = turn.seen.customer
        context: dict[str, Any] = {
            "params": decision.params,
            "customer": customer.profile if customer else {},
            "said": _said(turn),  # a line heard before is worded another way, where it can be
        }
        if outcome is not None:
            context["record" if outcome.step == "preview" else "result"] = outcome.result
            context["reason"] = outcome.message
        ruled_out = [
            r.values.get("intent") for r in decision.reasons if r.code == "account_rules_out"
        ]
        context["ruled_out"] = [name for name in ruled_out if name]  # not offered as capabilities
        empty = next((r for r in decision.reasons if r.code == "no_choices"), None)
        if empty is not None:  # which question had nothing to offer, for the pack's wording
            context["action"] = empty.values.get("action")
            context["parameter"] = empty.values.get("parameter")
        # the last refusal: that of the action proposed instead, when one was
        refusal = next(
            (r for r in reversed(decision.reasons) if r.code == "precondition_failed"), None
        )
        if outcome is None and refusal is not None:
            context["reason"] = refusal.values.get("message") or ""
        if decision.kind == "clarify" and decision.missing:
            context["prompt"] = self._prompt(turn, decision.action or "", decision.missing)
            if refusal is not None:  # asked again after a refused dry run: the rule first
                context["prompt"] = f"{self._refused(turn, decision, context)}\n{context['prompt']}"
        if decision.verify_method and decision.verify_fact:
            context["question"] = self._question(turn, decision.verify_method, decision.verify_fact)
        if decision.callback and turn.seen.contact:
            context["contact"] = turn.seen.contact[1]
            context["reference"] = turn.conversation_id[:8].upper()
        if name == "escalated_waiting":
            context["wait_sentence"] = await self._wait(turn, turn.conversation_id, None)
        elif name == "escalated_leaving":
            context["callback"] = turn.state.callback is not None
        elif decision.kind == "escalate" and turn.state.status != "escalated":
            urgent = "urgent_circumstance" in decision.reason_codes()
            context["wait_sentence"] = await self._wait(turn, None, turn.pack.pack, urgent)
        return context

    def _prompt(self, turn: Turn, action: str, param: str) -> str:
        spec = turn.pack.actions[action].parameters[param]
        if spec.prompt:
            return spec.prompt
        words = param.replace("_", " ")
        return turn.runtime.responder.render("ask_for_param", turn.state.arms, param=words)

    def _refused(self, turn: Turn, decision: Decision, context: dict[str, Any]) -> str:
        """The pack's words for the refused dry run of the decision's action (its
        ``refused`` template, else the built-in one)."""
        action = turn.pack.actions.get(decision.action or "")
        name = (action.refused if action else None) or "action_refused"
        text, _ = turn.runtime.responder.render_safe(
            name, "action_refused", turn.state.arms, **context
        )
        return text

    def _question(self, turn: Turn, method: str, fact: str) -> str:
        """The verification question for ``fact``: the pack's template of that name, or the
        text itself."""
        spec = next(m for m in turn.pack.verification if m.name == method).fact(fact)
        if spec.ask in turn.pack.templates:
            return turn.runtime.responder.render(spec.ask, turn.state.arms)
        return spec.ask

    async def _wait(
        self, turn: Turn, conversation_id: str | None, pack: str | None, urgent: bool = False
    ) -> str:
        """What the customer is told about the wait for a person, from live queue figures (an
        urgent handover waits only behind the urgent ones)."""
        if self.wait_estimate is None:
            return ""
        if urgent:
            seconds = await self.wait_estimate(conversation_id, pack, urgent=True)
        else:
            seconds = await self.wait_estimate(conversation_id, pack)
        responder, arms, said = turn.runtime.responder, turn.state.arms, _said(turn)
        if seconds is None:
            text = responder.render("wait_nobody", arms, said)
        elif seconds < SOON_S:
            text = responder.render("wait_soon", arms, said)
        else:
            minutes = round(seconds / 60)
            wait = in_words(seconds)
            text = responder.render("wait_about", arms, said, wait=wait, minutes=minutes)
        return f"{text} " if text else ""


def _said(turn: Turn) -> list[str]:
    """What the bot has said in this conversation so far."""
    return [line.text for line in turn.state.transcript if line.author == "bot"]
