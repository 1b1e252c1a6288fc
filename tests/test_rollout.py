"""The rollout of writes: the policy's verdicts (pure), and shadow and supervised writes end to
end in-process: held after the yes, queued, executed or rejected by a person, told to the
customer, audited; promotion out of shadow refused until the agreement is measured."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from warmline.cli import app
from warmline.domain.events import (
    ActionApproved,
    ActionAwaitingApproval,
    ActionExecuted,
    ActionRejected,
    BotReplied,
)
from warmline.domain.pack import Action, DomainPack, HttpRequest, Rollout
from warmline.errors import ConflictError
from warmline.policy.rollout import Agreement, amount_of, gate, promotion
from warmline.privacy.events import at_rest
from warmline.privacy.pii import mask
from warmline.services.runtime import Runtime

from .conftest import FIXTURES

USER = "chen_jackson_3290"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _write(risk: str = "write", **rollout: object) -> Action:
    return Action.model_validate(
        {
            "risk": risk,
            "parameters": {"amount": {"required": True}},
            "request": HttpRequest(method="POST", path="/refund"),
            "dry_run": True,
            "confirm": "Refund?",
            "success": "done",
            "rollout": Rollout.model_validate(rollout),
        }
    )


# --- the policy --------------------------------------------------------------------------


def test_a_read_always_runs_and_takes_no_rollout() -> None:
    read = Action(risk="read", request=HttpRequest(path="/x"), success="s")
    assert gate("look", read, "shadow").verdict == "run"
    with pytest.raises(ValueError, match="only writes take a rollout"):
        Action(risk="read", request=HttpRequest(path="/x"), success="s", rollout={"mode": "shadow"})  # type: ignore[arg-type]


def test_shadow_only_proposes_and_says_so_in_its_reasons() -> None:
    verdict = gate("refund", _write(), "shadow")
    assert verdict.verdict == "shadow"
    assert [r.code for r in verdict.reasons] == ["rollout_shadow"]
    assert verdict.reasons[0].values["mode"] == "shadow"


def test_supervised_holds_writes_from_its_risk_and_runs_those_under_it() -> None:
    assert gate("refund", _write(), "supervised").verdict == "approval"
    lenient = _write(approve_from="destructive")
    assert gate("refund", lenient, "supervised").verdict == "run"
    assert (
        gate("cancel", _write("destructive", approve_from="destructive"), "supervised").verdict
        == "approval"
    )


def test_a_limit_holds_a_write_over_it_or_without_an_amount_in_any_mode() -> None:
    limited = _write(max_amount=100, amount_from="params.amount")
    within = gate("refund", limited, "autonomous", amount_of(limited, {"amount": "80"}, {}))
    assert within.verdict == "run"
    assert [r.code for r in within.reasons] == ["rollout_autonomous", "rollout_within_limit"]
    over = gate("refund", limited, "autonomous", amount_of(limited, {"amount": "$120.50"}, {}))
    assert over.verdict == "approval" and over.reasons[1].code == "rollout_over_limit"
    assert over.reasons[1].values["amount"] == 120.5
    unknown = gate("refund", limited, "autonomous", amount_of(limited, {"amount": "lots"}, {}))
    assert unknown.verdict == "approval" and unknown.reasons[1].code == "rollout_amount_unknown"
    from_record = _write(max_amount=100, amount_from="record.summary.refund_total")
    assert amount_of(from_record, {}, {"summary": {"refund_total": "99.00"}}) == 99.0


def test_a_limit_needs_its_field_and_the_field_must_exist() -> None:
    with pytest.raises(ValueError, match="go together"):
        _write(max_amount=100)
    with pytest.raises(ValueError, match="undeclared parameter"):
        _write(max_amount=100, amount_from="params.total")


def test_leaving_shadow_needs_the_measured_agreement_over_enough_cases() -> None:
    action = _write(min_cases=5, min_agreement=0.8)
    assert not promotion(action, "shadow", "supervised", Agreement(4, 4)).allowed
    assert not promotion(action, "shadow", "autonomous", Agreement(10, 7)).allowed
    assert promotion(action, "shadow", "supervised", Agreement(10, 8)).allowed
    assert promotion(action, "autonomous", "shadow", Agreement()).allowed  # back is always open
    assert not promotion(action, "shadow", "shadow", Agreement(10, 10)).allowed


def test_a_write_that_declares_no_mode_waits_in_shadow_unless_the_pack_says_otherwise(
    mini_pack: DomainPack,
) -> None:
    data = yaml.safe_load((FIXTURES / "mini_airline.yaml").read_text())
    del data["rollout_default"]
    safe = DomainPack.model_validate(data)
    assert safe.rollout_default == "shadow"
    assert safe.declared_mode("cancel_reservation") == "shadow"
    assert gate("cancel", safe.actions["cancel_reservation"], "shadow").verdict == "shadow"
    assert mini_pack.declared_mode("cancel_reservation") == "autonomous"  # the fixture says so
    data["actions"]["cancel_reservation"]["rollout"] = {"mode": "supervised"}
    assert DomainPack.model_validate(data).declared_mode("cancel_reservation") == "supervised"


# --- end to end, in-process --------------------------------------------------------------


async def _cancel_and_confirm(runtime: Runtime) -> tuple[str, list[object]]:
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    proposed = await runtime.conversations.post_message(cid, "please cancel my reservation 4WQ150")
    assert proposed.decision and proposed.decision.kind == "confirm"
    done = await runtime.conversations.post_message(cid, "yes")
    return cid, list(done.events)


async def _status(runtime: Runtime) -> str:
    return str((await runtime.backoffice.request("GET", "/airline/reservations/4WQ150"))["status"])


async def test_a_shadow_write_is_proposed_executed_by_a_person_and_told(runtime: Runtime) -> None:
    rollouts = runtime.rollouts
    await rollouts.change_mode("mini_airline", "cancel_reservation", "shadow", "sue", "new action")
    cid, events = await _cancel_and_confirm(runtime)
    held = [e for e in events if isinstance(e, ActionAwaitingApproval)]
    assert held and held[0].mode == "shadow" and held[0].reasons[0].code == "rollout_shadow"
    assert not any(isinstance(e, ActionExecuted) for e in events)
    reply = [e for e in events if isinstance(e, BotReplied)][-1].text
    assert "colleague" in reply and "Nothing has been changed" in reply
    assert await _status(runtime) != "cancelled"
    state, _ = await runtime.conversations.state(cid)
    assert state.awaiting_approval == {held[0].idempotency_key: "cancel_reservation"}

    [approval] = await rollouts.waiting()
    await rollouts.execute(approval.id, "ana")
    assert await _status(runtime) == "cancelled"
    state, log = await runtime.conversations.state(cid)
    assert state.awaiting_approval == {}
    approved = [e for e in log if isinstance(e, ActionApproved)]
    executed = [e for e in log if isinstance(e, ActionExecuted)]
    assert approved[0].by == "ana" and executed[0].approved
    assert executed[0].idempotency_key == held[0].idempotency_key  # the very same write
    assert "4WQ150" in [e for e in log if isinstance(e, BotReplied)][-1].text
    assert await rollouts.waiting() == []
    with pytest.raises(ConflictError):  # decided once only
        await rollouts.reject(approval.id, "ben")

    [row] = [r for r in await rollouts.overview() if r.action == "cancel_reservation"]
    assert (row.mode, row.agreement.decided, row.agreement.agreed) == ("shadow", 1, 1)
    assert not row.promotable.allowed  # one case is not enough
    with pytest.raises(ConflictError, match="stays shadow"):
        await rollouts.change_mode("mini_airline", "cancel_reservation", "autonomous", "sue", "ok")
    audited = [e.action for e in await runtime.audit.entries(limit=20)]
    assert "rollout.mode_change" in audited and "approval.execute" in audited


async def test_a_supervised_write_waits_and_a_rejection_changes_nothing(runtime: Runtime) -> None:
    rollouts = runtime.rollouts
    await rollouts.change_mode("mini_airline", "cancel_reservation", "supervised", "sue", "check")
    cid, events = await _cancel_and_confirm(runtime)
    held = [e for e in events if isinstance(e, ActionAwaitingApproval)]
    assert held and held[0].mode == "supervised"
    assert held[0].reasons[0].code == "rollout_supervised"
    assert "checking" in [e for e in events if isinstance(e, BotReplied)][-1].text

    [approval] = await rollouts.waiting()
    await rollouts.reject(approval.id, "ana", "the fare rules need a look")
    assert await _status(runtime) != "cancelled"
    state, log = await runtime.conversations.state(cid)
    rejected = [e for e in log if isinstance(e, ActionRejected)]
    assert rejected[0].note == "the fare rules need a look" and state.awaiting_approval == {}
    told = [e for e in log if isinstance(e, BotReplied)][-1]
    assert "nothing has been changed" in told.text and told.choices  # a person offered
    [row] = [r for r in await rollouts.overview() if r.action == "cancel_reservation"]
    assert row.agreement.decided == 0  # supervised cases are no shadow agreement


def test_validate_prints_each_writes_mode_and_where_it_comes_from(tmp_path: Path) -> None:
    data = yaml.safe_load((FIXTURES / "mini_airline.yaml").read_text())
    del data["rollout_default"]
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(app, ["validate", str(bare), str(FIXTURES / "mini_airline.yaml")])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines() if "write " in line]
    assert lines == [
        "write cancel_reservation: shadow (rollout_default, shadow unless declared)",
        "write cancel_reservation: autonomous (rollout_default)",
    ]


def test_the_approval_events_keep_their_identifiers_and_mask_the_note_at_rest() -> None:
    key = "df05f962763c2c254f87f6de174818f4:p1:cancel_reservation"  # its hex passes mod-97
    assert mask(key.split(":")[0]) != key.split(":")[0]
    reasons = gate("cancel", _write(), "shadow").reasons
    held = ActionAwaitingApproval(
        at=NOW, action="cancel", params={}, mode="shadow", idempotency_key=key, reasons=reasons
    )
    note = "called her at mary@example.com"
    decided = [
        ActionApproved(at=NOW, idempotency_key=key, action="cancel", by="ana", note=note),
        ActionRejected(at=NOW, idempotency_key=key, action="cancel", by="ana", note=note),
    ]
    assert at_rest(held) == held
    for event in decided:
        stored = at_rest(event)
        assert (stored.idempotency_key, stored.by, stored.action) == (key, "ana", "cancel")
        assert "mary@example.com" not in stored.note
