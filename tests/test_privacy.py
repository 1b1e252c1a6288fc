"""Personal data: the recognisers (Luhn-valid cards, emails, phones, SSNs, IBANs), what they
leave alone (reservation codes, order ids, user ids, amounts, dates, ZIP codes), masking at
rest through a real turn, and the log filter."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from warmline.domain.decision import Decision, Reason
from warmline.domain.events import (
    ActionProposed,
    CallbackRequested,
    Decided,
    MessageReceived,
    Understood,
    event_to_json,
)
from warmline.domain.understanding import EntityMention, Understanding
from warmline.privacy import find_pii, mask, mask_contact, mask_text
from warmline.privacy.events import all_at_rest, at_rest, for_display, mask_json
from warmline.privacy.logs import MaskingFilter, install, server_log_config
from warmline.privacy.pii import _RECOGNISERS, KINDS, Found, iban_valid, luhn_valid
from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CARD = "4242 4242 4242 4242"
EMAIL = "chen.jackson@example.com"


def test_luhn_and_iban_checksums() -> None:
    assert luhn_valid("4242424242424242") and luhn_valid("79927398713")
    assert not luhn_valid("4242424242424241")
    assert iban_valid("GB82WEST12345698765432") and iban_valid("DE89370400440532013000")
    assert not iban_valid("GB82WEST12345698765433") and not iban_valid("GB82")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"my card is {CARD}, exp 12/26", "my card is [card ending 4242], exp 12/26"),
        ("card: 4111-1111-1111-1111.", "card: [card ending 1111]."),
        ("amex 378282246310005 please", "amex [card ending 0005] please"),
        ("4111111111111111 cvv 123", "[card ending 1111] cvv 123"),
        (f"mail me at {EMAIL}", "mail me at c***@example.com"),
        ("call +1 (415) 555-0134 after 5", "call [phone ending 34] after 5"),
        ("ring 020 7946 0018 or 555-0134", "ring [phone ending 18] or [phone ending 34]"),
        ("+44(0)115 4960914", "[phone ending 14]"),
        ("206.269.0743x9150 is my desk", "[phone ending 43] is my desk"),
        ("my number is 4155550134", "my number is [phone ending 34]"),
        ("SSN 123-45-6789", "SSN [SSN]"),
        ("refund to GB82 WEST 1234 5698 7654 32 ok", "refund to [IBAN ending 5432] ok"),
        ("iban de89370400440532013000.", "iban [IBAN ending 3000]."),
    ],
)
def test_each_kind_is_recognised_and_masked(text: str, masked: str) -> None:
    assert mask(text) == masked
    assert mask(masked) == masked  # idempotent: nothing left to mask


@pytest.mark.parametrize(
    "text",
    [
        "cancel reservation ZFA04Y please",
        "where is order #W2378156?",
        "my user id is mia_li_3668",
        "I was charged $1,234.56 and 25 dollars, 12345.67 usd",
        "flight HAT170 on 2024-05-22, or 22/05/2024 at 12:30",
        "send it to 94103 or 94103-1234",
        "my order is 100234567",
        "tracking 1234567890123 failed",  # 13 digits, not Luhn-valid: not a card
        "open 9-17, aisle 3/4, server 192.168.100.10",
        "2 seats, 3 bags, row 12, gate B22",
    ],
)
def test_data_the_bot_reads_is_left_alone(text: str) -> None:
    assert mask_text(text).found == ()


def test_ssns_never_issued_are_not_ssns() -> None:
    assert "ssn" not in mask_text("000-12-3456, 666-12-3456, 912-12-3456, 123-00-4567").kinds


def test_the_overlap_goes_to_the_stronger_kind_and_spans_are_of_the_original() -> None:
    text = f"{EMAIL} / {CARD} / 123-45-6789"
    result = mask_text(text)
    assert [f.kind for f in result.found] == ["email", "card", "ssn"]
    assert [text[f.start : f.end] for f in result.found] == [EMAIL, CARD, "123-45-6789"]
    assert result.kinds == {"email", "card", "ssn"}
    assert find_pii("nothing here") == []


def test_contacts_are_masked_for_display_whatever_their_shape() -> None:
    assert mask_contact("email", EMAIL) == "c***@example.com"
    assert mask_contact("phone", "555 0134") == "[phone ending 34]"


def _every_recogniser(text: str) -> list[Found]:
    """``find_pii`` without its shortcuts: every kind's patterns run on every text."""
    taken: list[Found] = []
    for kind in KINDS:
        for found in _RECOGNISERS[kind](text):
            if all(found.end <= t.start or found.start >= t.end for t in taken):
                taken.append(found)
    return sorted(taken, key=lambda f: f.start)


SHORTEST = [
    "maestro 5018 0000 0009 please",  # a card of 12 digits, in groups
    "card 4000000001004",  # 13 digits
    "card 4000-0000-0100-4 and 4000 0000 0100 4",
    "call 555 0134",  # a phone of 7 digits
    "call 555 013",  # 6: none
    "ssn 123-45-6789",
    "mail a@b.co",
    "IBAN GB82 WEST 1234 5698 7654 32",
    "booking 4WQ150 on 2024-05-22 at 12:30, order #W2378156",
    "in12 days time now",
]


@pytest.mark.parametrize("text", SHORTEST)
def test_the_shortcuts_skip_only_kinds_that_cannot_be_there(text: str) -> None:
    assert find_pii(text) == _every_recogniser(text)


def test_the_shortcuts_find_what_every_recogniser_finds_in_the_corpus() -> None:
    from tests.test_pii_corpus import corpus

    for message in corpus(per_kind=40):
        assert find_pii(message.text) == _every_recogniser(message.text), message.text


def test_the_shortest_of_each_kind_is_still_masked() -> None:
    assert mask(SHORTEST[0]) == "maestro [card ending 0009] please"
    assert mask(SHORTEST[1]) == "card [card ending 1004]"
    assert mask(SHORTEST[3]) == "call [phone ending 34]"
    assert mask(SHORTEST[5]) == "ssn [SSN]"
    assert mask(SHORTEST[6]) == "mail a***@b.co"


def test_a_turns_events_masked_together_are_each_masked_as_alone() -> None:
    said = f"refund card {CARD}, write to {EMAIL} or call 555 0134"
    events = [
        MessageReceived(at=NOW, text=said),
        _understood(said, EMAIL, "email"),
        Decided(
            at=NOW, decision=Decision(kind="clarify", reasons=[Reason(code="nlu", detail=said)])
        ),
    ]
    contacts = [("phone", "555 0134")]
    together = all_at_rest(events, {"email"}, contacts)
    assert together == [at_rest(e, {"email"}, contacts) for e in events]
    assert CARD not in json.dumps([event_to_json(e) for e in together])


def _understood(text: str, value: str, entity: str) -> Understood:
    mention = EntityMention(entity=entity, value=value, text=value)
    return Understood(at=NOW, understanding=Understanding(text=text, entities=[mention]))


def test_events_at_rest_keep_only_what_an_action_needs() -> None:
    said = f"refund card {CARD} and write to {EMAIL}"
    assert at_rest(MessageReceived(at=NOW, text=said)).text == (  # type: ignore[union-attr]
        "refund card [card ending 4242] and write to c***@example.com"
    )
    kept = at_rest(_understood(said, EMAIL, "email"), keep_entities={"email"})
    assert isinstance(kept, Understood)
    assert kept.understanding.entities[0].value == EMAIL  # an action's parameter needs it
    assert EMAIL not in kept.understanding.entities[0].text + kept.understanding.text
    dropped = at_rest(_understood(said, EMAIL, "email"))
    assert EMAIL not in json.dumps(event_to_json(dropped))
    decided = Decided(
        at=NOW,
        decision=Decision(
            kind="confirm",
            params={"email": EMAIL},
            reasons=[Reason(code="context", detail=f"read with '{said}'")],
        ),
    )
    stored = at_rest(decided)
    assert isinstance(stored, Decided) and stored.decision.params == {"email": EMAIL}
    assert CARD not in stored.decision.reasons[0].detail
    assert EMAIL not in json.dumps(event_to_json(for_display(stored)))


def test_the_contact_is_kept_at_rest_and_masked_for_display() -> None:
    ticket = CallbackRequested(at=NOW, contact="555 0134", medium="phone")
    assert at_rest(ticket) == ticket
    shown = for_display(ticket)
    assert isinstance(shown, CallbackRequested) and shown.contact == "[phone ending 34]"
    reply = at_rest(MessageReceived(at=NOW, text="call 555 0134"), contacts=[("phone", "555 0134")])
    assert "555 0134" not in reply.text  # type: ignore[union-attr]
    proposed = ActionProposed(
        at=NOW, action="a", params={"card": CARD}, confirmation=f"Charge {CARD}?"
    )
    stored = at_rest(proposed)
    assert isinstance(stored, ActionProposed) and stored.params == {"card": CARD}
    assert stored.confirmation == "Charge [card ending 4242]?"
    assert mask_json({"a": [EMAIL, 3], "b": {"c": CARD}}) == {
        "a": ["c***@example.com", 3],
        "b": {"c": "[card ending 4242]"},
    }


async def test_a_turn_stores_and_shows_only_masked_forms(runtime: Runtime) -> None:
    """The event log, the transcript, the packet and the turn's own result: masked forms
    only (the API's transcript and events routes and the console read these)."""
    service = runtime.conversations
    cid = (await service.start(None, USER)).conversation_id
    said = f"my card {CARD} was charged twice, write to {EMAIL} about reservation 4WQ150"
    turn = await service.post_message(cid, said)
    state, events = await service.state(cid)
    received = next(e for e in events if isinstance(e, MessageReceived))
    assert received.text == (
        "my card [card ending 4242] was charged twice, write to c***@example.com about "
        "reservation 4WQ150"
    )
    understood = next(e for e in events if isinstance(e, Understood))
    assert understood.understanding.text == received.text
    assert understood.understanding.entity("reservation_id") is not None  # read from the raw
    packet = await runtime.packets.packet(cid)
    shown = [
        json.dumps([event_to_json(e) for e in events]),
        json.dumps([event_to_json(e) for e in turn.events]),
        " ".join(line.text for line in state.transcript),
        " ".join(line.text for line in (await service.states.working(cid)).transcript),
        packet.model_dump_json(),
    ]
    for text in shown:
        assert CARD not in text and "4242424242424242" not in text and EMAIL not in text
        assert "[card ending 4242]" in text


async def test_the_callback_contact_stays_the_ticket_and_the_texts_are_masked(
    runtime: Runtime,
) -> None:
    service = runtime.conversations
    cid = (await service.start(None, USER)).conversation_id
    await service.request_person(cid)
    turn = await service.post_message(cid, f"sure, it's {EMAIL}")
    assert "contact you at c***@example.com" in turn.replies[0].text
    _, events = await service.state(cid)
    ticket = next(e for e in events if isinstance(e, CallbackRequested))
    assert ticket.contact == EMAIL  # someone calls back from it
    texts = [e.text for e in events if isinstance(e, MessageReceived)]
    assert texts == ["sure, it's c***@example.com"]


async def test_agent_messages_and_feedback_are_masked(runtime: Runtime) -> None:
    service = runtime.conversations
    cid = (await service.start(None, USER)).conversation_id
    await service.give_feedback(cid, 2, f"you charged {CARD} twice! {EMAIL}")
    _, events = await service.state(cid)
    stored = json.dumps([event_to_json(e) for e in events])
    assert CARD not in stored and EMAIL not in stored and "[card ending 4242]" in stored


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("warmline.test", logging.INFO, __file__, 1, msg, args, None)


def test_the_log_filter_masks_messages_arguments_and_tracebacks() -> None:
    record = _record("turn from %s paid with %s (%d)", EMAIL, CARD, 3)
    assert MaskingFilter().filter(record)
    assert record.getMessage() == "turn from c***@example.com paid with [card ending 4242] (3)"
    try:
        raise ValueError(f"bad card {CARD}")
    except ValueError:
        import sys

        failed = logging.LogRecord("w", logging.ERROR, __file__, 1, "x", None, sys.exc_info())
    MaskingFilter().filter(failed)
    assert failed.exc_text and CARD not in failed.exc_text and "[card ending" in failed.exc_text


def test_the_server_log_config_filters_every_handler(capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn.config

    config = server_log_config(uvicorn.config.LOGGING_CONFIG, "info")
    assert all("mask_personal_data" in h["filters"] for h in config["handlers"].values())
    assert config["loggers"]["warmline"]["handlers"] == ["default"]
    assert "filters" not in uvicorn.config.LOGGING_CONFIG  # the base is not changed
    logger = logging.getLogger("warmline.privacy.test")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        install("warmline.privacy.test")
        install("warmline.privacy.test")  # once is enough
        assert sum(isinstance(f, MaskingFilter) for f in handler.filters) == 1
        logger.warning("customer said %s", EMAIL)
    finally:
        logger.removeHandler(handler)
    assert EMAIL not in capsys.readouterr().err
