"""What follows once the back office answered: pure decisions from an ``ActionOutcome``."""

from __future__ import annotations

import pytest

from warmline.domain.decision import Decision, Reason
from warmline.domain.outcome import ActionOutcome, Failure
from warmline.domain.pack import DomainPack
from warmline.policy.outcomes import after_action, after_template_failure, refused_on_execute

ACT = Decision(
    kind="act",
    intent="cancel_reservation",
    action="cancel_reservation",
    params={"reservation_id": "4WQ150"},
    reasons=[Reason(code="confirmed", detail="yes")],
)
CONFIRM = ACT.model_copy(update={"kind": "confirm", "choices": ["yes", "no"]})


def failed(failure: Failure, step: str = "execute") -> ActionOutcome:
    return ActionOutcome(
        action="cancel_reservation",
        step="execute" if step == "execute" else "preview",
        failure=failure,
        title="Back office unavailable",
        message="the reason",
    )


def test_a_preview_leads_to_the_actions_confirmation(mini_pack: DomainPack) -> None:
    ok = ActionOutcome(action="cancel_reservation", step="preview", result={"status": "active"})
    d = after_action(CONFIRM, ok, mini_pack.actions["cancel_reservation"])
    assert (d.kind, d.template, d.choices) == (
        "confirm",
        "confirm:cancel_reservation",
        ["yes", "no"],
    )


def test_a_done_write_is_reported_in_the_actions_success_template(mini_pack: DomainPack) -> None:
    action = mini_pack.actions["cancel_reservation"]
    done = ActionOutcome(action="cancel_reservation", step="execute", result={"ok": True})
    d = after_action(ACT, done, action)
    assert (d.kind, d.template) == ("act", action.success)


def test_a_refusal_is_told_in_the_actions_own_words(mini_pack: DomainPack) -> None:
    action = mini_pack.actions["cancel_reservation"]
    d = after_action(ACT, failed("rejected"), action)
    assert d.kind == "answer" and d.template == (
        action.refused or action.failure or "action_refused"
    )
    assert d.escalation is None


def test_a_write_refused_after_the_yes_carries_its_rule_and_step(mini_pack: DomainPack) -> None:
    refused = failed("rejected").model_copy(
        update={"error": "precondition_failed:already_cancelled"}
    )
    d = after_action(ACT, refused, mini_pack.actions["cancel_reservation"])
    assert d.reason_codes() == ["confirmed", "precondition_failed"] and refused_on_execute(d)
    assert d.reasons[-1].values == {
        "rule": "already_cancelled",
        "message": "the reason",
        "step": "execute",
    }
    dry = after_action(
        CONFIRM, failed("rejected", "preview"), mini_pack.actions["cancel_reservation"]
    )
    assert dry.reasons[-1].values["step"] == "preview" and not refused_on_execute(dry)


def test_a_missing_record_is_asked_about_again(mini_pack: DomainPack) -> None:
    d = after_action(ACT, failed("not_found"), mini_pack.actions["cancel_reservation"])
    assert (d.kind, d.template, d.escalation) == ("answer", "action_not_found", None)


@pytest.mark.parametrize(
    ("failure", "trigger", "code"),
    [
        ("unavailable", "action_failed", "backoffice_unavailable"),
        ("circuit_open", "circuit_open", "circuit_open"),
    ],
)
def test_an_outage_goes_to_a_person_with_every_reason(
    mini_pack: DomainPack, failure: Failure, trigger: str, code: str
) -> None:
    for decision, step in ((ACT, "execute"), (CONFIRM, "preview")):
        d = after_action(decision, failed(failure, step), mini_pack.actions["cancel_reservation"])
        assert (d.kind, d.escalation, d.template) == ("escalate", trigger, "action_unavailable")
        assert d.reason_codes() == ["confirmed", code] and d.choices == []


def test_a_reply_that_cannot_be_worded_goes_to_a_person() -> None:
    before = after_template_failure(CONFIRM, "template confirm failed: KeyError", done=False)
    assert (before.kind, before.escalation, before.template) == (
        "escalate",
        "template_failed",
        "escalated",
    )
    assert before.reason_codes() == ["confirmed", "template_failed"] and before.choices == []
    after = after_template_failure(ACT, "template success failed: KeyError", done=True)
    assert (after.template, after.reason_codes()) == ("action_done_unworded", ["template_failed"])
