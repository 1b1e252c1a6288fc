"""A turn's events are dumped to their storage form once: the masking reads each event's form,
keeps it for an event it leaves as it is (dumping again only one it rebuilt), and the record
stage hands those forms to the live copy, whose NATS message is byte for byte the message built
from dumping each event again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from warmline.domain.decision import Decision, Reason
from warmline.domain.events import (
    ActionProposed,
    BotReplied,
    Decided,
    Event,
    MessageReceived,
    event_to_json,
)
from warmline.privacy.events import all_at_rest, stored_forms
from warmline.services.realtime_nats import NatsBroker, subject_of
from warmline.services.runtime import Runtime

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CARD = "4242 4242 4242 4242"
USER = "chen_jackson_3290"


def _events() -> list[Event]:
    decision = Decision(kind="answer", reasons=[Reason(code="nlu", detail="status")])
    return [
        MessageReceived(at=NOW, text="where is reservation 4WQ150?", idempotency_key="k1"),
        Decided(at=NOW, decision=decision, trace_id="0" * 32),
        ActionProposed(at=NOW, action="cancel", params={"id": "4WQ150"}, confirmation="Sure?"),
        BotReplied(at=NOW, text=f"the card {CARD} is on file", choices=["yes", "no"]),
    ]


@pytest.fixture
def dumps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The kind of every event dumped (``model_dump``) while the test runs."""
    seen: list[str] = []
    original = BaseModel.model_dump

    def counted(self: BaseModel, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if isinstance(getattr(self, "kind", None), str) and hasattr(self, "at"):
            seen.append(self.kind)  # type: ignore[attr-defined]
        return original(self, *args, **kwargs)

    monkeypatch.setattr(BaseModel, "model_dump", counted)
    yield seen


def test_each_stored_event_comes_with_its_storage_form_dumped_once(dumps: list[str]) -> None:
    events = _events()
    stored = stored_forms(events)
    assert [e for e, _ in stored] == all_at_rest(events)
    for (event, form), raw in zip(stored, events, strict=True):
        assert form == event_to_json(event)
        assert json.dumps(form) == json.dumps(event_to_json(event))  # same keys, same order
        if event.kind != "bot_replied":
            assert event is raw  # nothing to mask: stored as it is
    replied = stored[-1][0]
    assert isinstance(replied, BotReplied) and "[card ending 4242]" in replied.text
    dumps.clear()
    stored_forms(events)
    # one dump per event, and one more of the event the masking rebuilt
    assert sorted(dumps) == sorted([e.kind for e in events] + ["bot_replied"])


def test_a_form_changed_by_its_caller_changes_no_later_dump() -> None:
    events = _events()
    for event, form in stored_forms(events):
        before = json.dumps(event_to_json(event))
        form["at"] = "changed"
        for value in form.values():
            if isinstance(value, dict):
                value["changed"] = True
            if isinstance(value, list):
                value.append("changed")
        assert json.dumps(event_to_json(event)) == before


class _Connection:
    """What ``NatsBroker`` needs of a NATS client to publish: the messages it was given."""

    is_closed = True  # nothing for ``aclose`` to flush

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def publish(self, subject: str, data: bytes) -> None:
        self.sent.append((subject, data))


async def _published(events: list[Event], forms: list[dict[str, Any]] | None) -> bytes:
    broker = NatsBroker("WARMLINE")
    connection = _Connection()
    broker._nc = connection  # type: ignore[assignment]
    broker.publish("c-1", events, forms)
    await broker.aclose()
    [(subject, data)] = connection.sent
    assert subject == subject_of("c-1")
    # the message as it was built before forms were handed over: each event dumped here
    before = {
        "origin": broker.origin,
        "conversation_id": "c-1",
        "events": [event_to_json(e) for e in events],
    }
    assert data == json.dumps(before).encode()
    return data


async def test_the_nats_message_is_the_same_bytes_from_the_forms_given(
    dumps: list[str],
) -> None:
    events = [event for event, _ in stored_forms(_events())]
    forms = [event_to_json(e) for e in events]
    dumps.clear()
    broker = NatsBroker("WARMLINE")
    connection = _Connection()
    broker._nc = connection  # type: ignore[assignment]
    broker.publish("c-1", events, forms)
    await broker.aclose()
    assert dumps == []  # the forms given are sent: no event dumped again
    assert (
        connection.sent[0][1]
        == json.dumps({"origin": broker.origin, "conversation_id": "c-1", "events": forms}).encode()
    )
    await _published(events, forms)
    await _published(events, None)  # a caller without forms: the broker dumps them


async def test_a_turn_publishes_the_forms_it_stored(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[tuple[list[Event], list[dict[str, Any]] | None]] = []
    original = runtime.broker.publish

    def spy(cid: str, events: Any, forms: Any = None) -> None:
        published.append((list(events), forms))
        original(cid, events, forms)

    monkeypatch.setattr(runtime.broker, "publish", spy)
    service = runtime.conversations
    cid = (await service.start(None, USER)).conversation_id
    await service.post_message(cid, "where is my reservation 4WQ150?")
    await service.post_message(cid, f"my card {CARD} was charged twice")
    _, log = await service.state(cid)
    sent = [(e, f) for events, forms in published for e, f in zip(events, forms or [], strict=True)]
    assert len(published) == 2 and len(sent) == sum(len(events) for events, _ in published)
    assert [form for _, form in sent] == [event_to_json(e) for e, _ in sent]
    assert [form for _, form in sent] == [event_to_json(e) for e in log[-len(sent) :]]
    assert CARD not in json.dumps([form for _, form in sent])


async def test_a_turn_dumps_each_event_it_stores_once(runtime: Runtime, dumps: list[str]) -> None:
    """The append stores the forms the record stage dumped (``storage/conversations.py``)."""
    service = runtime.conversations
    cid = (await service.start(None, USER)).conversation_id
    _, before = await service.state(cid)
    dumps.clear()
    await service.post_message(cid, "where is my reservation 4WQ150?")
    recorded = dumps[:]
    _, log = await service.state(cid)
    assert sorted(recorded) == sorted(e.kind for e in log[len(before) :])
