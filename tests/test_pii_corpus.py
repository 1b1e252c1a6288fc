"""How much personal data the masking catches, on a generated corpus: support messages in
varied templates carrying Luhn-valid cards (every type Faker makes), emails, phone numbers of
eleven locales, US SSNs and IBANs (Faker, seeded). Every value must be gone from the masked
text: 100 % of the cards, at least 99 % of each other kind. A sample also goes through real
turns, and the stored event log must hold none of its values.

``pytest tests/test_pii_corpus.py -s`` prints the figures (BENCHMARKS.md has them)."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass

from faker import Faker

from warmline.domain.events import event_to_json
from warmline.privacy import mask_text
from warmline.privacy.pii import luhn_valid
from warmline.services.runtime import Runtime

SEED = 4242
PER_KIND = 120
LOCALES = [
    "en_US",
    "en_GB",
    "en_CA",
    "en_AU",
    "en_IE",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pt_BR",
]
TEMPLATES = {
    "card": [
        "I was charged twice on my card {v}, please refund one",
        "card number {v} exp 09/27 - why was it declined?",
        "Can you update the payment to {v}? Order #W2378156",
        "my visa {v} shows a pending charge of $245.10 for reservation ZFA04Y",
        "{v}",
        "The card ending in that number ({v}) was stolen, block it!!",
    ],
    "email": [
        "my email is {v}",
        "Please send the receipt to {v} thanks",
        "contact me at {v} or here",
        "I never got the confirmation at {v}; user id mia_li_3668",
        "{v} is my new address, change it please",
        "email:{v}",
    ],
    "phone": [
        "call me on {v}",
        "my phone number is {v}",
        "You can reach me at {v} after 5pm",
        "{v} - that's my mobile",
        "phone: {v}. Booking 4WQ150 on 2024-05-22",
        "Please ring {v} about order #W2378156",
        "my new number {v}, the old one is gone",
    ],
    "ssn": [
        "my SSN is {v}",
        "ssn {v} for the credit check",
        "Here is my social security number: {v}.",
        "{v} (social)",
    ],
    "iban": [
        "refund to my IBAN {v}",
        "bank account {v} please",
        "IBAN: {v}",
    ],
}


@dataclass(frozen=True)
class Message:
    kind: str
    value: str
    text: str


def _value(kind: str, fake: Faker) -> str:
    if kind == "card":
        number = fake.credit_card_number()
        if fake.random_int(0, 2) == 0 and len(number) == 16:  # also written in groups
            sep = fake.random_element((" ", "-"))
            number = sep.join(number[i : i + 4] for i in range(0, 16, 4))
        return str(number)
    if kind == "email":
        return str(fake.email())
    if kind == "phone":
        return str(fake.phone_number())
    if kind == "ssn":
        return str(fake.ssn())
    return str(fake.iban())


def corpus(per_kind: int = PER_KIND) -> list[Message]:
    """``per_kind`` messages of each kind, in templates picked with a fixed seed; phones and
    emails from every locale in turn."""
    pick = random.Random(SEED)
    fakers = [Faker(locale) for locale in LOCALES]
    for i, fake in enumerate(fakers):
        fake.seed_instance(SEED + i)
    messages = []
    for kind, templates in TEMPLATES.items():
        for i in range(per_kind):
            fake = fakers[i % len(fakers)] if kind in ("phone", "email", "iban") else fakers[0]
            value = _value(kind, fake)
            messages.append(Message(kind, value, pick.choice(templates).format(v=value)))
    return messages


def _caught(message: Message, masked: str) -> bool:
    """The value is gone: neither as written nor, for numbers, as its run of digits."""
    digits = "".join(ch for ch in message.value if ch.isdigit())
    if message.value in masked:
        return False
    return message.kind == "email" or digits not in "".join(ch for ch in masked if ch.isdigit())


def rates(messages: list[Message]) -> tuple[dict[str, float], dict[str, list[str]]]:
    total: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    missed: dict[str, list[str]] = {}
    for message in messages:
        total[message.kind] += 1
        if _caught(message, mask_text(message.text).text):
            caught[message.kind] += 1
        else:
            missed.setdefault(message.kind, []).append(message.text)
    return {kind: caught[kind] / total[kind] for kind in total}, missed


def test_every_card_and_99_percent_of_the_rest_are_masked() -> None:
    messages = corpus()
    assert len(messages) == 5 * PER_KIND
    assert all(luhn_valid("".join(c for c in m.value if c.isdigit())) for m in messages[:PER_KIND])
    found, missed = rates(messages)
    print(
        "\nmasked, of",
        len(messages),
        "messages:",
        {k: f"{v:.1%}" for k, v in found.items()},
        "missed:",
        missed,
    )
    assert found["card"] == 1.0, missed.get("card")
    for kind in ("email", "phone", "ssn", "iban"):
        assert found[kind] >= 0.99, (kind, missed.get(kind))


async def test_a_sample_through_real_turns_leaves_none_in_the_event_log(runtime: Runtime) -> None:
    """Every fifth message of the corpus, as a customer's turn: the stored log is clean."""
    service = runtime.conversations
    sample = corpus()[::5]
    cid = (await service.start(None, "chen_jackson_3290")).conversation_id
    for message in sample:
        await service.post_message(cid, message.text)
        if (await service.state(cid))[0].status != "open":
            cid = (await service.start(None, "chen_jackson_3290")).conversation_id
    stored = []
    for conversation in await runtime.repository.of_customer("chen_jackson_3290", limit=1000):
        stored += [event_to_json(e) for e in await runtime.repository.events(conversation.id)]
    log = json.dumps(stored)
    left = [m.value for m in sample if m.value in log]
    assert left == []
