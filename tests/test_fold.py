"""The conversation state as a fold over its events: every kind handled, the decision's explicit
fields (not its reason codes) change the state, one status rule for services and storage."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import pytest

from warmline.domain.conversation import apply, fold, status_after
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import (
    ConversationStarted,
    Decided,
    Escalated,
    Event,
    HandedBack,
    MessageReceived,
    Resolved,
    event_from_json,
    event_to_json,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
START = ConversationStarted(at=NOW, pack="mini_airline")


def test_an_event_of_no_known_kind_is_refused_not_ignored() -> None:
    class Stranger:
        kind = "stranger"

    with pytest.raises(AssertionError):
        apply(fold([START]), Stranger())  # type: ignore[arg-type]


def test_every_kind_of_event_is_in_the_union_the_fold_handles() -> None:
    union = typing.get_args(typing.get_args(Event)[0])
    kinds = {cls.model_fields["kind"].default for cls in union}
    assert len(kinds) == len(union) == 28


def test_segments_noted_are_kept_in_the_state_and_a_later_note_adds_to_them() -> None:
    from warmline.domain.events import SegmentsNoted

    state = fold([START, SegmentsNoted(at=NOW, segments={"tier": "gold"})])
    apply(state, SegmentsNoted(at=NOW, segments={"region": "eu"}))
    assert state.segments == {"tier": "gold", "region": "eu"}


def test_the_out_of_scope_count_follows_the_flag_not_the_reason_code() -> None:
    reason = Reason(code="out_of_scope", detail="below every threshold")
    flagged = Decision(kind="answer", out_of_scope=True)
    coded_only = Decision(kind="answer", reasons=[reason])
    state = fold([START, Decided(at=NOW, decision=flagged), Decided(at=NOW, decision=coded_only)])
    assert state.out_of_scope_count == 1


def test_a_spent_empathy_buffer_holds_the_streak_and_anything_else_resets_it() -> None:
    from warmline.domain.decision import Acknowledgement

    ack = Decision(kind="answer", acknowledgement=Acknowledgement(cause="frustration"))
    spent = Decision(kind="answer", empathy_buffer_spent=True)
    plain = Decision(kind="answer")
    state = fold([START, *(Decided(at=NOW, decision=d) for d in (ack, ack, spent))])
    assert state.acknowledged_streak == 2
    apply(state, Decided(at=NOW, decision=plain))
    assert state.acknowledged_streak == 0


def test_decisions_recorded_before_the_flags_existed_read_them_from_their_codes() -> None:
    old = {
        "kind": "decided",
        "at": NOW.isoformat(),
        "decision": {
            "kind": "answer",
            "reasons": [
                {"code": "out_of_scope", "detail": "x"},
                {"code": "empathy_buffer_spent", "detail": "y"},
            ],
        },
    }
    event = event_from_json(old)
    assert isinstance(event, Decided)
    assert event.decision.out_of_scope and event.decision.empathy_buffer_spent
    assert not event.decision.callback
    again = event_from_json(event_to_json(Decided(at=NOW, decision=Decision(kind="answer"))))
    assert isinstance(again, Decided) and not again.decision.out_of_scope


def test_an_unknown_reason_code_or_trigger_is_refused_on_reading() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Reason.model_validate({"code": "made_up", "detail": ""})
    with pytest.raises(ValidationError):
        event_from_json({"kind": "escalated", "at": NOW.isoformat(), "trigger": "made_up"})


@pytest.mark.parametrize(
    ("events", "status"),
    [
        ([], "open"),
        ([Escalated(at=NOW, trigger="vip")], "escalated"),
        ([Escalated(at=NOW, trigger="vip"), HandedBack(at=NOW, agent="ana")], "open"),
        ([Escalated(at=NOW, trigger="vip"), Resolved(at=NOW, by="agent")], "closed"),
        ([MessageReceived(at=NOW, text="hi")], "open"),
    ],
)
def test_the_status_rule_is_the_folds(events: list[Event], status: str) -> None:
    assert status_after("open", events) == status
    assert fold([START, *events]).status == status
