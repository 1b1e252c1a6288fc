"""A turn's NATS message is written around the JSON text the append stored: the events are
encoded once for both (``domain/events.py`` ``EventForms``), and the message is byte for byte
what ``json.dumps`` of the whole message gives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from warmline.domain.events import (
    BotReplied,
    Decided,
    Event,
    EventForms,
    MessageReceived,
    event_to_json,
)
from warmline.services.realtime_nats import NatsBroker

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _events() -> list[Event]:
    return [
        MessageReceived(at=NOW, text='où est ma réservation 4WQ150 ?\n"vite"', idempotency_key="k"),
        Decided.model_validate({"at": NOW, "decision": {"kind": "answer", "confidence": 0.1}}),
        BotReplied(at=NOW, text="DFW → LAX, 3 bags", choices=["yes", "no"]),
    ]


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every value ``json.dumps`` encodes while the test runs."""
    seen: list[Any] = []
    original = json.dumps

    def counted(value: Any, *args: Any, **kwargs: Any) -> str:
        seen.append(value)
        return original(value, *args, **kwargs)

    monkeypatch.setattr(json, "dumps", counted)
    yield seen


@pytest.mark.parametrize("cid", ["c-1", 'odd "id" é.>'])
def test_the_message_is_the_bytes_of_the_whole_message_dumped(cid: str) -> None:
    broker = NatsBroker("WARMLINE")
    events = _events()
    forms = [event_to_json(e) for e in events]
    whole = {"origin": broker.origin, "conversation_id": cid, "events": forms}
    expected = json.dumps(whole).encode()
    assert broker.message(cid, events, EventForms(forms)) == expected
    assert broker.message(cid, events, forms) == expected  # plain forms: encoded here
    assert broker.message(cid, events) == expected  # no forms: dumped here
    assert json.loads(broker.message(cid, events[:1])) == {**whole, "events": forms[:1]}


def test_the_message_reuses_the_text_the_append_made(encoded: list[Any]) -> None:
    broker = NatsBroker("WARMLINE")
    forms = EventForms(event_to_json(e) for e in _events())
    texts = forms.texts()  # as the append on PostgreSQL made them
    assert forms.texts() is texts
    encoded.clear()
    data = broker.message("c-1", _events(), forms)
    assert not any(isinstance(value, dict | list) for value in encoded)  # no event again
    assert data.decode().endswith('"events": [' + ", ".join(texts) + "]}")
