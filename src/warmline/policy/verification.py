"""The pack's in-conversation verification, once the bot has asked for a fact: ask for the
next one of the method the reply began to answer, carry on with what the customer asked once
the back office found them, say that the details did not match (without saying which, nor
whether they exist) and count it, hand over to a person after the allowed attempts or when the
back office fails, and let the customer say no.

The facts are read and looked up by ``services/verification.py``; what that found is a
``VerificationCheck``. Nothing here sees a fact's value."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from warmline.domain.conversation import ConversationState, Verifying
from warmline.domain.customers import Customer, VerificationCheck
from warmline.domain.decision import Decision, Reason
from warmline.domain.pack import DomainPack
from warmline.domain.reasons import ReasonCode, Trigger
from warmline.domain.understanding import Understanding
from warmline.policy.intents import ask_fact, handle_intent


def while_verifying(
    state: ConversationState,
    understanding: Understanding,
    check: VerificationCheck | None,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision | None:
    """The turn as a reply to a verification question (None: it is not one, and it is read
    as a new request)."""
    verifying = state.verifying
    assert verifying is not None
    base: dict[str, Any] = {"intent": verifying.intent}
    if check is None or not check.given:
        return _no_fact(verifying, understanding, reasons, base)
    if check.result is None:
        fact = check.missing or verifying.fact
        reasons.append(
            Reason(
                code="verification_asked",
                detail=f"{', '.join(check.given)} given; asking for {fact} ({check.method})",
            )
        )
        decision = ask_fact(check.method, fact, reasons, base)
        return decision.model_copy(update={"template": "verify_next"})
    if check.result == "matched":
        return _verified(state, understanding, check, customer, pack, reasons)
    if check.result == "no_match":
        return _no_match(state, check, pack, reasons, base)
    return _lookup_failed(check, reasons, base)


def _no_fact(
    verifying: Verifying,
    understanding: Understanding,
    reasons: list[Reason],
    base: dict[str, Any],
) -> Decision | None:
    """No fact in the reply: a no drops the verification, a reply the bot cannot place asks
    again, anything else is a new request."""
    intent = understanding.intent if understanding.zone != "out_of_scope" else None
    if intent == "deny":
        reasons.append(
            Reason(code="verification_abandoned", detail="the customer declined to verify")
        )
        return Decision(kind="answer", template="not_verified", reasons=reasons, **base)
    if intent is None or intent == "affirm" or understanding.zone == "clarify":
        reasons.append(
            Reason(
                code="verification_asked",
                detail=f"no {verifying.fact} found in the reply; asking again",
            )
        )
        return ask_fact(verifying.method, verifying.fact, reasons, base)
    reasons.append(
        Reason(
            code="verification_abandoned",
            detail=f"no {verifying.fact} in the reply; the new request is read",
        )
    )
    return None


def _verified(
    state: ConversationState,
    understanding: Understanding,
    check: VerificationCheck,
    customer: Customer | None,
    pack: DomainPack,
    reasons: list[Reason],
) -> Decision:
    """Bound to the customer found: carry on with the request the verification stood before."""
    assert state.verifying is not None and check.customer_id is not None
    reasons.append(
        Reason(
            code="customer_verified",
            detail=f"verified by {check.method}; the conversation is bound to the customer",
            values={"method": check.method},
        )
    )
    intent = state.verifying.intent
    if intent is None or intent not in pack.intents:
        return Decision(kind="answer", template="verified", reasons=reasons)
    bound = replace(state, customer_id=check.customer_id, verifying=None)
    # the facts that proved who the customer is (a date of birth) are no details of the request
    facts_only = understanding.model_copy(update={"entities": [], "text": ""})
    return handle_intent(bound, intent, facts_only, customer, pack, reasons)


def _no_match(
    state: ConversationState,
    check: VerificationCheck,
    pack: DomainPack,
    reasons: list[Reason],
    base: dict[str, Any],
) -> Decision:
    """The details matched nobody: say so and ask again (the first question, which offers
    every method), or, after the allowed attempts, hand over to a person."""
    attempts = state.verification_failures + 1
    values: dict[str, float | str | bool | None] = {
        "attempts": attempts,
        "limit": check.attempts_allowed,
    }
    if attempts >= check.attempts_allowed:
        reasons.append(
            Reason(
                code="verification_failed",
                detail=f"{attempts} verification attempts matched no customer",
                values=values,
            )
        )
        return Decision(
            kind="escalate",
            escalation="verification_failed",
            template="verification_failed",
            reasons=reasons,
            **base,
        )
    reasons.append(
        Reason(
            code="verification_no_match",
            detail=f"the details given for {check.method} matched no customer",
            values=values,
        )
    )
    first = pack.verification[0]
    decision = ask_fact(first.name, first.facts[0].name, reasons, base)
    return decision.model_copy(update={"template": "verify_no_match"})


def _lookup_failed(
    check: VerificationCheck, reasons: list[Reason], base: dict[str, Any]
) -> Decision:
    """The back office did not answer the lookup: told, and handed to a person."""
    trigger: Trigger = "circuit_open" if check.result == "circuit_open" else "action_failed"
    code: ReasonCode = "circuit_open" if trigger == "circuit_open" else "backoffice_unavailable"
    reasons.append(Reason(code=code, detail=f"verification {check.method}: {check.detail}"))
    return Decision(
        kind="escalate",
        escalation=trigger,
        template="action_unavailable",
        reasons=reasons,
        **base,
    )
