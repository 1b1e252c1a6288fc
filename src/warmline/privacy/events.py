"""Personal data in conversation events: masked before an event is stored (``at_rest``) and,
for the few values kept raw because an action needs them, masked again where they are shown
to someone who does not need them (``for_display``).

At rest every string of an event is masked (the customer's message, what the NLU read from
it, the reasons' details, the bot's and the agents' words, notes and comments, the back
office's records) except:

* identifiers and codes (the event's kind and time, pack, customer id, agent, action, intent,
  entity names, idempotency key, trigger, a write's rollout mode, ...), which are not free
  text. A write held for approval is named by its idempotency key in every event about it
  (``action_awaiting_approval``, ``action_approved``, ``action_rejected``): the key is what
  the back office receives, and a random hex id can pass an IBAN's checksum and be masked;
  the approval queue's own id is an integer of the database, used by the console and the API;
* what an action needs: the parameters of a decision or an action, the choices the customer
  picks from, the value of an entity that fills an action's parameter, and the contact left
  for a call back (the ticket someone works from).

``for_display`` masks those too: for a reader who needs the text, not the values.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from warmline.domain.events import Event, event_from_json, event_to_json
from warmline.privacy.pii import mask, mask_contact

IDENTIFIERS = frozenset(
    {
        "kind",
        "at",
        "pack",
        "customer_id",
        "channel",
        "agent",
        "action",
        "risk",
        "idempotency_key",
        "trigger",
        "medium",
        "experiment",
        "arm",
        "code",
        "intent",
        "entity",
        "language",
        "zone",
        "sentiment",
        "how",
        "by",
        "disposition",
        "corrected_intent",
        "cause",
        "template",
        "missing",
        "escalation",
        "mode",
    }
)
"""Keys whose values are identifiers or codes, never free text."""

NEEDED = frozenset({"params", "choices", "choice_values", "contact"})
"""Keys whose values an action or the next turn needs as they are."""


_UNSEEN = object()
_SCALARS = frozenset({int, float, bool, type(None)})
"""The types of a JSON value with no string in it: nothing to mask, nothing to walk."""


def _masked(
    value: Any,
    keep: Collection[str],
    needed: frozenset[str],
    known: dict[str, str],
    memo: dict[str, str | None] | None = None,
) -> Any:
    """``value`` with every string masked but those under an identifier's or a needed key; the
    value itself where nothing in it is masked (a dict or a list is copied only when something
    in it changes: the caller tells a changed value by identity, without comparing it all, and
    most of a turn's events, numbers and codes mostly, have nothing to mask). ``memo`` holds the
    strings masked already with the same ``known`` contacts (the events of one turn repeat
    many: the text, the records, the reasons' values); ``None`` for one left as it is."""
    if isinstance(value, str):
        return _masked_text(value, known, memo)
    out: Any = None
    if isinstance(value, list):
        for i, item in enumerate(value):
            if type(item) in _SCALARS:
                continue
            masked = _masked(item, keep, needed, known, memo)
            if masked is not item:
                if out is None:
                    out = list(value)
                out[i] = masked
        return value if out is None else out
    if not isinstance(value, dict):
        return value
    entity = value.get("entity") if "value" in value else None
    for key, item in value.items():
        if type(item) in _SCALARS or key in IDENTIFIERS or key in needed:
            continue
        if key == "value" and entity in keep:
            continue
        masked = _masked(item, keep, needed, known, memo)
        if masked is not item:
            if out is None:
                out = dict(value)  # the same keys in the same order, this one replaced
            out[key] = masked
    return value if out is None else out


def _masked_text(value: str, known: dict[str, str], memo: dict[str, str | None] | None) -> str:
    """``value`` masked (the turn's contacts first, whatever their shape), or ``value`` itself
    when nothing in it is personal data."""
    if memo is not None:
        hit = memo.get(value, _UNSEEN)
        if hit is not _UNSEEN:
            return value if hit is None else hit  # type: ignore[return-value]
    text = value
    for raw, masked in known.items():
        text = text.replace(raw, masked)
    text = mask(text)
    changed = text != value
    if memo is not None:
        memo[value] = text if changed else None
    return text if changed else value


def _rebuild(event: Event, data: dict[str, Any], masked: dict[str, Any]) -> Event:
    return event if masked == data else event_from_json(masked)


def at_rest(
    event: Event, keep_entities: Collection[str] = (), contacts: Collection[tuple[str, str]] = ()
) -> Event:
    """``event`` as it is stored: personal data masked except what an action needs (the values
    of the entities in ``keep_entities`` among them). ``contacts`` are (medium, contact) pairs
    the turn found: masked wherever they appear in text, whatever their shape."""
    return all_at_rest([event], keep_entities, contacts)[0]


def all_at_rest(
    events: list[Event],
    keep_entities: Collection[str] = (),
    contacts: Collection[tuple[str, str]] = (),
) -> list[Event]:
    """Each of ``events`` as ``at_rest`` stores it; a string that several of them hold (a
    turn's events repeat the text, the records, the reasons' values) is masked once."""
    return [stored for stored, _ in stored_forms(events, keep_entities, contacts)]


def stored_forms(
    events: list[Event],
    keep_entities: Collection[str] = (),
    contacts: Collection[tuple[str, str]] = (),
) -> list[tuple[Event, dict[str, Any]]]:
    """Each of ``events`` as ``all_at_rest`` stores it, with its storage form
    (``event_to_json`` of the event stored), for the append and the live copy to use instead of
    dumping the event again: an event with nothing to mask is stored as it is, with the form the
    masking read; a masked one is rebuilt, and dumped. Each form is the caller's own (nothing
    else holds it)."""
    known = {contact: mask_contact(medium, contact) for medium, contact in contacts if contact}
    memo: dict[str, str | None] = {}
    stored: list[tuple[Event, dict[str, Any]]] = []
    for event in events:
        data = event_to_json(event)
        masked = _masked(data, keep_entities, NEEDED, known, memo)
        if masked is data:
            stored.append((event, data))
        else:
            rebuilt = event_from_json(masked)
            stored.append((rebuilt, event_to_json(rebuilt)))
    return stored


def for_display(event: Event) -> Event:
    """``event`` as shown to a reader who needs no raw value: everything masked, the contact
    left for a call back too."""
    data = event_to_json(event)
    masked = _masked(data, (), frozenset(), {})
    if data.get("kind") == "callback_requested":
        masked["contact"] = mask_contact(data["medium"], data["contact"])
    return _rebuild(event, data, masked)


def mask_json(value: Any) -> Any:
    """Every string in a JSON-like value masked (an export, a log's arguments)."""
    return _masked(value, (), frozenset(), {})


KEPT_WHEN_FORGOTTEN = (IDENTIFIERS - {"customer_id"}) | {"cues", "topics"}
"""What erasing a customer leaves of an event: its kind and time and the codes analytics count
(intents, triggers, actions, outcomes, ratings, arms, affect cues), never a text or a value."""


def _erased(value: Any, key: str | None, pseudonym: str) -> Any:
    if key == "customer_id":
        return None if value is None else pseudonym
    if key in KEPT_WHEN_FORGOTTEN:
        return value
    if key == "result":
        return {}
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return [_erased(v, None, pseudonym) for v in value]
    if isinstance(value, dict):
        return {k: _erased(v, k, pseudonym) for k, v in value.items()}
    return value


def forgotten(data: dict[str, Any], pseudonym: str) -> dict[str, Any]:
    """An event's storage form with the customer erased: the customer id replaced by
    ``pseudonym``, every text and value emptied, the shape and the counted codes kept (the
    result still reads as the same kind of event)."""
    erased = _erased(data, None, pseudonym)
    return event_to_json(event_from_json(erased))
