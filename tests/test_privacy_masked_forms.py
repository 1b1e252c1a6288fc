"""Masking at rest walks a turn's storage forms copying only what it changes: a value with
nothing to mask comes back as itself (its event stored as it is, without comparing the form
with a copy of itself), a changed one shares what did not change, the input is never written
to, and every string that can hold personal data is still masked: the same stored forms as the
walk that copied everything (kept here as the reference)."""

from __future__ import annotations

import copy
import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import pytest

from warmline.domain.decision import Decision, Reason
from warmline.domain.events import (
    ActionExecuted,
    ActionProposed,
    AgentMessage,
    BotReplied,
    CallbackRequested,
    Decided,
    Event,
    MessageReceived,
    SegmentsNoted,
    Understood,
    event_to_json,
)
from warmline.domain.understanding import EntityMention, Understanding
from warmline.privacy.events import IDENTIFIERS, NEEDED, mask_json, stored_forms
from warmline.privacy.pii import mask, mask_contact

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CARD = "4242 4242 4242 4242"
EMAIL = "chen.jackson@example.com"
PHONE = "+1 (415) 555-0134"


def _reference(value: Any, keep: Collection[str], known: dict[str, str]) -> Any:
    """Every string masked but under an identifier's or a needed key, everything copied."""
    if isinstance(value, str):
        for raw, masked in known.items():
            value = value.replace(raw, masked)
        return mask(value)
    if isinstance(value, list):
        return [_reference(v, keep, known) for v in value]
    if not isinstance(value, dict):
        return value
    entity = value.get("entity") if "value" in value else None
    return {
        k: v
        if k in IDENTIFIERS or k in NEEDED or (k == "value" and entity in keep)
        else _reference(v, keep, known)
        for k, v in value.items()
    }


def _events() -> list[Event]:
    said = f"refund card {CARD}, mail {EMAIL} or call {PHONE}"
    mentions = [
        EntityMention(entity="email", value=EMAIL, text=EMAIL, start=3, end=9, score=0.5),
        EntityMention(entity="card", value=CARD, text=CARD),
    ]
    decision = Decision(
        kind="confirm",
        params={"email": EMAIL},
        choices=[f"card {CARD}"],
        reasons=[
            Reason(code="nlu", detail="refund=0.83, other=0.01", values={"confidence": 0.83}),
            Reason(code="context", detail=f"read with '{said}'", values={"said": said}),
        ],
    )
    record = {"id": "4WQ150", "owner": {"email": EMAIL, "cards": [CARD, 4, None, True]}}
    return [
        MessageReceived(at=NOW, text=said, idempotency_key="k-1"),
        MessageReceived(at=NOW, text="hello there"),
        Understood(at=NOW, understanding=Understanding(text=said, entities=mentions)),
        Decided(at=NOW, decision=decision, trace_id="4111111111111111" * 2),
        ActionProposed(at=NOW, action="a", params={"card": CARD}, confirmation=f"{CARD}?"),
        ActionExecuted(at=NOW, action="b", params={}, risk="read", result=record),
        CallbackRequested(at=NOW, contact=PHONE, medium="phone"),
        SegmentsNoted(at=NOW, segments={"tier": "gold", "since": "2019"}),
        AgentMessage(at=NOW, agent="ann", text=f"your phone {PHONE}"),
        BotReplied(at=NOW, text="hello there", choices=["yes"], acknowledgement=said),
    ]


@pytest.mark.parametrize("contacts", [[], [("phone", PHONE)], [("email", "chen at example")]])
@pytest.mark.parametrize("keep", [frozenset(), frozenset({"email"})])
def test_the_stored_forms_are_the_walk_that_copied_everything(
    contacts: list[tuple[str, str]], keep: frozenset[str]
) -> None:
    events = _events()
    known = {raw: mask_contact(medium, raw) for medium, raw in contacts}
    stored = stored_forms(events, keep, contacts)
    for (event, form), raw in zip(stored, events, strict=True):
        expected = _reference(event_to_json(raw), keep, known)
        assert json.dumps(form) == json.dumps(expected)
        assert form == event_to_json(event)
        assert (event is raw) == (expected == event_to_json(raw))
    text = json.dumps([form for _, form in stored])
    assert "refund card [card ending 4242]" in text and "c***@example.com" in text
    understood = stored[2][0]
    assert isinstance(understood, Understood)
    assert (understood.understanding.entities[0].value == EMAIL) == ("email" in keep)
    assert understood.understanding.entities[1].value != CARD  # no action needs it


def test_a_value_with_nothing_to_mask_comes_back_as_itself() -> None:
    value = {"a": ["hello", 3, None, {"b": 0.5, "c": [True, "x"]}], "kind": "k", "n": 4}
    assert mask_json(value) is value
    unmasked = [e for e in _events() if isinstance(e, MessageReceived) and "hello" in e.text]
    twice = [*unmasked, BotReplied(at=NOW, text="hello there")]  # the same string, memoised
    assert all(stored is raw for (stored, _), raw in zip(stored_forms(twice), twice, strict=True))


def test_a_masked_value_is_a_new_one_sharing_what_did_not_change() -> None:
    same = {"b": [1, "plain"], "c": {"d": "text"}}
    value = {"x": same, "y": ["keep", {"card": CARD}, same], "z": f"mail {EMAIL}"}
    before = copy.deepcopy(value)
    masked = mask_json(value)
    assert value == before  # the input is not written to
    assert masked == {
        "x": same,
        "y": ["keep", {"card": "[card ending 4242]"}, same],
        "z": "mail c***@example.com",
    }
    assert masked["x"] is same and masked["y"][2] is same  # shared, not copied
    assert masked["y"] is not value["y"] and list(masked) == list(value)  # the order kept
