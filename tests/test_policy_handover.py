"""Turns while a person is on the way or in charge, and the talk-to-a-person control: pure
decisions, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from warmline.domain.conversation import ConversationState, fold
from warmline.domain.events import AgentJoined, ConversationStarted, Escalated
from warmline.policy.decide import decide
from warmline.policy.handover import person_requested, while_escalated

from .test_policy import said

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def escalated(owner: str | None = None) -> ConversationState:
    events = [
        ConversationStarted(at=NOW, pack="mini_airline"),
        Escalated(at=NOW, trigger="frustration"),
    ]
    if owner:
        events.append(AgentJoined(at=NOW, agent=owner))
    return fold(events)


def test_while_a_person_owns_it_the_bot_says_nothing() -> None:
    d = while_escalated(escalated(owner="ana"), None)
    assert d.kind == "escalate" and d.template is None and d.escalation == "frustration"
    assert d.reason_codes() == ["person_owns"] and "ana" in d.reasons[0].detail


def test_while_waiting_the_bot_says_a_person_is_coming() -> None:
    d = while_escalated(escalated(), None)
    assert (d.template, d.callback) == ("escalated_waiting", False)
    assert d.reason_codes() == ["already_escalated"]


def test_a_contact_left_while_waiting_is_taken_for_a_call_back() -> None:
    d = while_escalated(escalated(), "email")
    assert (d.template, d.callback) == ("callback_taken", True)
    assert d.reason_codes() == ["already_escalated", "callback_requested"]
    assert "email" in d.reasons[1].detail


def test_the_full_policy_defers_to_the_handover_rules_once_escalated(mini_pack) -> None:  # type: ignore[no-untyped-def]
    d = decide(escalated(owner="ben"), said("hello?", ("greet", 0.99)), None, mini_pack)
    assert d.template is None and d.reason_codes() == ["person_owns"]


def test_the_button_escalates_at_once_and_only_once() -> None:
    fresh = fold([ConversationStarted(at=NOW, pack="mini_airline")])
    d = person_requested(fresh)
    assert d is not None and (d.kind, d.escalation, d.template) == (
        "escalate",
        "customer_request",
        "escalated",
    )
    assert person_requested(escalated()) is None
