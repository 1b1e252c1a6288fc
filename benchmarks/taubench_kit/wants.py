"""What the scripted customer wants for one item, one payment or one reason, read from the
instruction: the per-item option changes (``Lamp {'color': 'black'} to {'color': 'red'}`` or
prose such as "a taller 5-feet glass one"), the payment method it names, the reason it gives.
Used to answer guided questions and to check a proposal before saying yes."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from .options import is_option_label, label_parts, segments
from .text import ITEM_LABEL

_DICT_CHANGE = re.compile(
    r"(?P<name>[A-Z][\w'&-]*(?: [A-Za-z][\w'&-]*){0,3})\s*(?P<old>\{[^{}]*\})"
    r"(?:\s*to\s*(?:to\s*)?(?P<new>\{[^{}]*\}))?"
)
_NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)[\s-]*(feet|foot|ft|inch|inches|in)\b", re.I)


def _literal(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def words(text: str) -> set[str]:
    text = _NUMBER_UNIT.sub(lambda m: f"{m.group(1)} ft", text.lower())
    found = set(re.findall(r"[a-z0-9.%]+", text))
    stems = {w[:-1] for w in found if w.endswith("s") and len(w) > 4}
    return found | stems


@dataclass
class ItemWant:
    """One item the instruction talks about: its current options and the ones it wants."""

    name: str
    current: dict[str, str] = field(default_factory=dict)
    wanted: dict[str, str] = field(default_factory=dict)
    prose: str = ""
    #: a ``to {...}`` target was given (every option it does not state stays)
    has_target: bool = False
    #: the order named before it (``For #W1234567, exchange ...``)
    order: str = ""
    #: the action asked for it (exchange, modify, return, ...)
    verb: str = ""


def item_wants(instruction: str) -> list[ItemWant]:
    """Every ``Name {options} to {options}`` of the instruction, with the prose that follows a
    dict without a target (``... to a green one``)."""
    found: list[ItemWant] = []
    for match in _DICT_CHANGE.finditer(instruction):
        name = re.sub(r"^(?:exchange|modify|return|change|and|the|a|an)\s+", "", match["name"])
        tail = instruction[match.end() : match.end() + 160]
        prose = "" if match["new"] else re.split(r"[;.]", tail, maxsplit=1)[0]
        before = instruction[: match.start()]
        orders = re.findall(r"#?(W\d{7})\b", before)
        verbs = re.findall(r"\b(exchange|modify|return|change|replace|swap)\b", before, re.I)
        found.append(
            ItemWant(
                name,
                _literal(match["old"]),
                _literal(match["new"]),
                prose,
                has_target=match["new"] is not None,
                order=orders[-1] if orders else "",
                verb=verbs[-1].lower() if verbs else "",
            )
        )
    return found


def _key_of(segment: str, keys: list[str]) -> str | None:
    for key in sorted(keys, key=len, reverse=True):
        if segment.lower().startswith(key.lower() + " "):
            return key
    return None


def _want_for(head: str, wants: list[ItemWant], sentence_text: str) -> ItemWant:
    head_words = words(head)
    for want in wants:
        if head.lower() in want.name.lower() or want.name.lower() in head.lower():
            return want
    for want in wants:
        if words(want.name) & head_words:
            return want
    return ItemWant(head, prose=_clause_about(head, sentence_text))


def _clause_about(head: str, text: str) -> str:
    clauses = re.split(r"(?<=[.;])\s+", text)
    about = [c for c in clauses if head.lower() in c.lower()]
    if not about:
        about = [c for c in clauses if words(head) & words(c) - {"the", "and"}]
    return " ".join(about)


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def option_score(label: str, want: ItemWant, current: list[str]) -> float:
    """How well an option label matches what the instruction wants for its item: wanted values
    count most, a changed option the instruction does not ask about counts against."""
    _, options = label_parts(label)
    now = [s.lower() for s in current] + [f"{k} {v}".lower() for k, v in want.current.items()]
    prose = words(want.prose)
    score = 0.0
    for segment in segments(options):
        key = _key_of(segment, list(want.wanted))
        if key:
            wanted = want.wanted[key].lower()
            score += 4.0 if segment[len(key) :].strip().lower() == wanted else -4.0
            continue
        if segment.lower() in now:
            score += 1.0
            continue
        parts = segment.lower().split()
        common = max((_common_prefix(parts, c.split()) for c in now), default=0)
        value = words(" ".join(parts[max(common, 1) :]))
        score += 3.0 if value and value <= prose else -1.0
    return score


def pick_option(
    labels: list[str], instruction: str, seen: dict[str, list[str]], request: str = ""
) -> str | None:
    """Among the offered options of one item (labels ``Item: k v, k v - $p``), the one that best
    matches what the instruction wants for that item; None when no label is an option."""
    options = [label for label in labels if is_option_label(label)]
    if not options:
        return None
    wants = item_wants(instruction)
    head = label_parts(options[0])[0]
    want = _want_for(head, wants, instruction)
    if not want.wanted and not want.prose:
        want.prose = request or instruction
    current = seen.get(head.lower(), [])
    scored = [(option_score(label, want, current), -i, label) for i, label in enumerate(options)]
    return max(scored)[2]


def remember_items(labels: list[str], seen: dict[str, list[str]]) -> None:
    """Note the current options of items the bot lists (``Lamp (color black, ...) - $20``)."""
    for label in labels:
        match = ITEM_LABEL.match(label)
        if match:
            seen[match["head"].strip().lower()] = segments(match["opts"])


def payment_phrase(method: dict[str, Any]) -> str:
    source = str(method.get("source", ""))
    if source == "credit_card":
        return (
            f"{str(method.get('brand', 'card')).capitalize()} ending {method.get('last_four', '')}"
        )
    return {"paypal": "PayPal", "gift_card": "Gift card"}.get(source, source)


def wanted_payment(instruction: str, methods: dict[str, dict[str, Any]]) -> str | None:
    """How the instruction's payment method is named on a choice: ``PayPal``, ``Gift card``,
    ``Mastercard ending 1234`` or ``original``; None when it names none."""
    text = re.sub(
        r"\bnot (?:to |on |with |via )?(?:the |my |your )?(?:pay ?pal|gift ?card|credit card)\b",
        " ",
        instruction.lower(),
    )
    for method_id, method in methods.items():
        if method_id.lower() in text:
            return payment_phrase(method)
    for method in methods.values():
        if method.get("last_four") and re.search(rf"\b{method['last_four']}\b", text):
            return payment_phrase(method)
    if re.search(r"\bpay ?pal\b", text):
        return "PayPal"
    if re.search(r"\bgift ?card\b|\bgc\b", text):
        return "Gift card"
    if re.search(r"\bcredit card\b", text):
        return "credit card"
    if re.search(r"\boriginal (?:payment|method|card)\b", text):
        return "original"
    for method in methods.values():
        if method.get("last_four") and str(method["last_four"]) in text:
            return payment_phrase(method)
    return None


def cancel_reason(labels: list[str], instruction: str) -> str | None:
    """The reason a person in the instruction's situation would pick."""
    lowered = {label.lower(): label for label in labels}
    mistake = re.search(
        r"\bmistake|\baccident|\bwrong (?:item|order)|\bby error\b", instruction, re.I
    )
    for key, label in lowered.items():
        if "mistake" in key and mistake:
            return label
    for key, label in lowered.items():
        if "no longer" in key and not mistake:
            return label
    return None


def cancel_reason_said(instruction: str) -> str:
    """The reason the instruction gives for a cancellation, in a person's words."""
    mistake = re.search(r"\bmistake|\baccident|\bby error\b", instruction, re.I)
    return "I ordered it by mistake." if mistake else "I no longer need it."


#: an address or a payment changed, as the instruction asks for it
ORDER_SHIPPING = re.compile(
    r"\b(?:order|package|parcel|it|them)\b[^.]*?\b(?:sent|ship(?:ped|s)?|deliver(?:ed|s)?|"
    r"going|go|goes|headed|routed)\b[^.]*?\b(?:to|at)\b",
    re.I,
)
_ACCOUNT_ADDRESS = re.compile(
    r"\b(?:update|change|correct)\w* (?:the |your |my )?(?:default |profile |account |home )?"
    r"address\b|\bdefault address\b|\b(?:your|my) profile\b"
    r"|\baddress (?:on|in|of) (?:your|my|the) (?:account|profile)\b[^.]*\b(?:chang|updat)",
    re.I,
)
_STAYS_SO = re.compile(r"\b(?:stays?|remains?|should stay|keep (?:it|that|them))\b", re.I)


def order_shipping_asked(said: str) -> bool:
    """Whether the instruction asks for an order to be sent somewhere else (not an order it
    says should stay as it is)."""
    return any(
        ORDER_SHIPPING.search(s) and not _STAYS_SO.search(s)
        for s in re.split(r"(?<=[.;])\s+", said)
    )


def account_address_asked(said: str) -> bool:
    """Whether the instruction asks to change the address on the account itself."""
    return bool(_ACCOUNT_ADDRESS.search(said)) and not order_shipping_asked(said)


PAYMENT_CHANGE = re.compile(
    r"\bpa(?:id|y)\b[^.]*\binstead\b|\binstead\b[^.]*\bpa(?:id|y)\b"
    r"|\b(?:change|switch|update)\w* (?:the |my |your )?payment\b",
    re.I,
)
