"""Picking among the choices the bot offers: labels by how well the instruction supports them,
payment methods, orders and actions by what the customer knows of their own orders, and an
item's variant by what the instruction finally wishes of it."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from .identity import Identity
from .instruction import wanted_sentences
from .options import Variant, option_domain, parse_options
from .reading import EVERY_ITEM, KIND_SAID, Reading
from .text import ENDS_IN, ITEM_LABEL, ORDER_ID, ORDER_LABEL, label_name, order_number, tokens
from .wants import (
    PAYMENT_CHANGE,
    account_address_asked,
    cancel_reason,
    order_shipping_asked,
    pick_option,
    wanted_payment,
    words,
)
from .wish import Wish, best_variants, describe, fits, settle


def support(label: str, instruction_sentences: list[str]) -> float:
    """How well the instruction supports a choice label (0-100): an id of the label named in the
    instruction is full support; otherwise the best fuzzy token overlap with one sentence."""
    ids = re.findall(r"#?[A-Z0-9]{6,}", label)
    text = " ".join(instruction_sentences)
    if any(i.lstrip("#") in text for i in ids if any(c.isdigit() for c in i)):
        return 100.0
    endings = ENDS_IN.findall(text)
    if any(i.endswith(e) for i in ids for e in endings):
        return 100.0
    label_tokens = tokens(label)
    if not label_tokens:
        return 0.0
    best = 0.0
    for sentence in instruction_sentences:
        shared = label_tokens & tokens(sentence)
        fuzzy = fuzz.token_set_ratio(label, sentence)
        overlap = 100.0 * len(shared) / len(label_tokens)
        best = max(best, 0.9 * overlap + 0.1 * fuzzy if shared else 0.3 * fuzzy)
        named = tokens(label_name(label))
        if named != label_tokens and named & tokens(sentence):
            best = max(best, 60.0 + 40.0 * len(named & tokens(sentence)) / len(named))
    return best


_SEVERAL = re.compile(
    r"\bwhich (?:ones|of them)\b|\ball that apply\b|\bany of\b|\bone or more\b"
    r"|\bseveral\b|\bmore than one\b|\ball of them\b",
    re.I,
)
PICK_THRESHOLD = 40.0


_PERSON = re.compile(r"\b(?:person|human|agent|supervisor|representative)\b", re.I)
PERSON_CHOICE = re.compile(
    r"\b(?:talk|speak|connect|chat)\b.*\b(?:person|human|agent|someone)\b"
    r"|^(?:a )?(?:person|human|human agent|supervisor|representative)$",
    re.I,
)
# (label word, what the instruction says for it, the support it gives)
_ACTIONS = [
    ("cancel", re.compile(r"\bcancel|\bnot (?:to )?receive\b", re.I), 60.0),
    (
        "return",
        re.compile(
            r"\breturn(?:ing)? (?:#|(?:the|it|them|my|this|these|those|a|an|all|both|every)\b)"
            r"|\bsend (?:it|them) back\b",
            re.I,
        ),
        60.0,
    ),
    ("return", re.compile(r"\brefund\b", re.I), 55.0),
    ("exchange", re.compile(r"\bexchange|\bswap|\brather have\b", re.I), 60.0),
    (
        "change",
        re.compile(
            r"\bchang(?:e|ed|ing)\b(?! (?:your|my) mind)|\b(?:modify|update|switch)\b", re.I
        ),
        60.0,
    ),
]


_NOT_WANTED = re.compile(
    r"\b(?:don'?t|do not|doesn'?t|does not|not|never|no longer)\s+(?:want|need|wish|plan|intend)"
    r"\s+to\s+(?:\w+\s+)?(?:change|cancel|return|exchange|modify|update|switch|swap)\w*[^.;,]*",
    re.I,
)


def _family_bonus(label: str, said: list[str]) -> float:
    """Support for a label naming an action the instruction asks for in other words (not one
    it says it does not want: "you don't want to change any of your other orders")."""
    text = _NOT_WANTED.sub(" ", " ".join(said))
    label_words = tokens(label)
    found = [
        bonus for word, said_as, bonus in _ACTIONS if word in label_words and said_as.search(text)
    ]
    return max(found, default=0.0)


def _topic_support(label: str, said: list[str]) -> float | None:
    """A label changing an order's shipping address, the account's address or an order's
    payment method: supported by the instruction asking for that change (an order sent
    somewhere else is no change to the account); None for other labels."""
    text = " ".join(said)
    if re.search(r"\bshipping address\b", label, re.I):
        return 65.0 if order_shipping_asked(text) else 0.0
    if re.search(r"\b(?:default|account|profile) address\b|\bmy address\b", label, re.I):
        return 65.0 if account_address_asked(text) else 0.0
    if re.search(r"\bpayment method\b", label, re.I):
        return 58.0 if PAYMENT_CHANGE.search(text) else 0.0
    return None


def _label_support(label: str, said: list[str]) -> float:
    """A label naming an action (cancel, return, exchange) is supported only by the instruction
    asking for that action, one changing an address or a payment by the instruction asking for
    that change; any other label by its overlap with the instruction."""
    topic = _topic_support(label, said)
    if topic is not None:
        return max(topic, _family_bonus(label, said) if topic else 0.0)
    if tokens(label) & {word for word, _, _ in _ACTIONS}:
        return _family_bonus(label, said)
    return support(label, said)


ALL_LABEL = re.compile(r"^\s*all(?: of them| items)?\s*$", re.I)
ALL_ITEMS = EVERY_ITEM


def pick_choices(question: str, choices: list[str], instruction: str) -> list[str]:
    """The offered choices the instruction supports best: one, or several when the question
    allows several and the instruction names several; none when nothing is supported. A person
    is picked only when the instruction asks for one; when a single other choice is offered, a
    cooperative customer takes it."""
    said = wanted_sentences(instruction)
    wants_all = bool(ALL_ITEMS.search(" ".join(said)))
    if re.search(r"\ball of them\b", question, re.I) and wants_all:
        return [c for c in choices if not ALL_LABEL.match(c)]
    choices = [c for c in choices if not ALL_LABEL.match(c)]
    wants_person = bool(_PERSON.search(" ".join(said)))
    offered = [c for c in choices if wants_person or not PERSON_CHOICE.search(c)]
    scored = sorted(
        ((_label_support(c, said), i, c) for i, c in enumerate(offered)),
        key=lambda t: (-t[0], t[1]),
    )
    supported = [c for score, _, c in scored if score >= PICK_THRESHOLD]
    if not supported:
        return offered[:1] if len(offered) == 1 else []
    if _SEVERAL.search(question):
        return supported
    return supported[:1]


def spoken(label: str, choices: list[str]) -> str:
    """How a person names a choice: by its head (``Wall Clock`` for ``Wall Clock (color white)
    - $195.59``) unless another choice has the same head."""
    name = label_name(label)
    return name if [label_name(c) for c in choices].count(name) == 1 else label


_PAYMENT_LABEL = re.compile(r"\bpaypal\b|\bending \d{4}\b|\bgift card\b|\boriginal\b", re.I)


def payment_choice(choices: list[str], instruction: str, me: Identity) -> str | None:
    """The payment method the instruction names among the offered ones, else the first."""
    if not any(_PAYMENT_LABEL.search(c) for c in choices):
        return None
    wanted = wanted_payment(instruction, me.payment_methods)
    if wanted == "credit card":
        return next((c for c in choices if re.search(r"\bending \d{4}\b", c)), None)
    if wanted:
        for choice in choices:
            if wanted.lower() in choice.lower() or choice.lower().startswith(wanted.lower()):
                return choice
    return None


def first_payment(choices: list[str]) -> str | None:
    return choices[0] if any(_PAYMENT_LABEL.search(c) for c in choices) else None


def order_choice(choices: list[str], request: str, me: Identity) -> str | None:
    """The offered order holding the product the request talks about (a person knows what
    each of their orders holds); by elimination, the only one that can."""
    if not all(ORDER_LABEL.match(c) for c in choices):
        return None
    said = words(request)
    holding = []
    for choice in choices:
        order_id = "#" + order_number(choice)
        products = me.orders.get(order_id, [])
        if any(words(p) <= said or (words(p) & said - {"the"}) for p in products):
            holding.append(choice)
    return holding[0] if len(holding) == 1 else None


def direct_choice(
    choices: list[str], reading: Reading, seen: dict[str, list[str]], current: str
) -> str | None:
    """What a wish of the instruction picks at once: an item's option, a cancellation's reason,
    a payment method."""
    instruction, me = reading.instruction, reading.me
    option = pick_option(choices, instruction, seen, current)
    context = current or instruction
    return (
        option
        or cancel_reason(choices, instruction)
        or payment_choice(choices, context, me)
        or payment_choice(choices, instruction, me)
        or first_payment(choices)
    )


def order_or_action(reading: Reading, choices: list[str]) -> str | None:
    """Among offered actions or orders, the one that what the customer knows of their own
    orders picks (whether it arrived, what it holds)."""
    return (
        action_by_status(reading, choices)
        or none_of_these_orders(reading, choices)
        or order_holding_wanted(reading, choices)
    )


def picked_labels(bot_text: str, choices: list[str], reading: Reading, current: str) -> list[str]:
    """The offered labels the current request (else the whole instruction) supports; else the
    order holding what it talks about; else the items it names; of items sharing a name, the
    ones meant."""
    context = current or reading.instruction
    picked = pick_choices(bot_text, choices, context)
    if not picked and context != reading.instruction:
        picked = pick_choices(bot_text, choices, reading.instruction)
    if not picked:
        held = order_choice(choices, context, reading.me)
        picked = [held] if held else []
    if not picked:
        heads = {c: ITEM_LABEL.match(c) for c in choices}
        picked = [c for c, m in heads.items() if m and reading.named(m["head"].strip())]
    return the_ones_meant(reading, picked, choices)


def kept_label(label: str, reading: Reading) -> bool:
    """An offered item the instruction keeps as it is."""
    match = ITEM_LABEL.match(label)
    return reading.kept(match["head"].strip()) if match else False


def dropped_label(label: str, reading: Reading) -> bool:
    head = re.split(r"\s[(-]|:", label, maxsplit=1)[0].strip().lower()
    return any(head == d.lower() for d in reading.dropped)


def order_holding_wanted(reading: Reading, choices: list[str]) -> str | None:
    """The one offered order that holds a product the instruction asks about."""
    if not choices or not all(ORDER_LABEL.match(c) for c in choices):
        return None
    wanted = set(reading.wanted_names())
    holding = [c for c in choices if wanted & set(reading.me.orders.get("#" + order_number(c), []))]
    return re.findall(r"#?W\d{7}", holding[0])[0] if len(holding) == 1 else None


def none_of_these_orders(reading: Reading, choices: list[str]) -> str | None:
    """When every offered order is one the instruction cannot mean (not the one it names,
    holding none of the products it asks about), what a person says instead."""
    if not choices or not all(ORDER_LABEL.match(c) for c in choices):
        return None
    said = reading.said
    ids = {o.lstrip("#") for o in ORDER_ID.findall(said)}
    ends = ENDS_IN.findall(said)
    # the products asked about, else those that only tell which order it is
    wanted = reading.wanted_names() or reading.telling_names()
    for choice in choices:
        order = order_number(choice)
        held = reading.me.orders.get("#" + order, [])
        if order in ids or any(order.endswith(e) for e in ends):
            return None
        if not ids and not ends and (not wanted or set(wanted) & set(held)):
            return None
    what = f" with the {' and the '.join(wanted)}" if wanted else ""
    ending = f", the one ending in {ends[0]}" if ends else ""
    return f"None of those: it's my order{what}{ending}."


def action_by_status(reading: Reading, choices: list[str]) -> str | None:
    """A refund asked for a product of an order not yet delivered is its cancellation; of
    a delivered one, its return (a person knows whether their order has arrived)."""
    text = reading.said
    if not re.search(r"\brefund|\bmoney back\b|\bdon'?t (?:want|need)\b", text, re.I):
        return None
    if PAYMENT_CHANGE.search(text):
        return None
    if re.search(r"\breturn|\bcancel|\bsend (?:it|them) back\b", text, re.I):
        return None
    names = reading.wanted_names()
    holding = {o for o, products in reading.me.orders.items() if set(products) & set(names)}
    statuses = {reading.me.statuses.get(o, "") for o in holding}
    if not statuses:
        return None
    word = "cancel" if all(s.startswith("pending") for s in statuses) else None
    if all(s == "delivered" for s in statuses):
        word = "return"
    return next((c for c in choices if word and re.search(rf"\b{word}", c, re.I)), None)


def pick_variant(
    reading: Reading, variants: list[Variant], seen: dict[str, list[str]], current: str
) -> str:
    """Among one item's offered variants (an item the instruction does not drop), the one the
    instruction finally wants; when none fits, what is wanted instead."""
    head = variants[0].head
    if not reading.meant(head, list(option_domain([v.options for v in variants]))):
        return leave_as_is(reading, head, variants, current)
    same = next((v for v in variants if v.same), None)
    old = same.options if same else current_options(reading, head, seen)
    wish = reading.wish(head, {} if reading.twins(head) else old)
    if reading.twin_not_meant(head, old, wish):
        keep = leave_as_is(reading, head, variants, current)
        return keep if "keep" in keep.lower() else other_twin(head, old, wish, current)
    if not wish.stated and not wish.strict:
        return leave_as_is(reading, head, variants, current)
    # the item as it is is never the change asked for, unless a new one just like it is
    shown = [v for v in variants if wish.same_model or not (v.same or v.options == old)]
    offered = [(v.options, v.price) for v in shown]
    wish = settle(wish, offered, old)
    best = best_variants(offered, old, wish)
    if not best:
        return f"None of those is what I want: I'd like the {head} with {describe(wish)}."
    return shown[best[0]].label


def other_twin(head: str, old: dict[str, str], wish: Wish, current: str) -> str:
    """Asked about the one of two items with one name that stays: which one is meant."""
    verb = next((v for v in ("exchange", "return", "change") if v in current.lower()), "change")
    said = ", ".join(f"{k} {' or '.join(sorted(vs))}" for k, vs in wish.described.items())
    which = f", the one with {said}" if said else ""
    kept = ", ".join(f"{k} {v}" for k, v in old.items())
    return f"Not that one: the {head} with {kept} stays as it is. I want to {verb} the other {head}{which}."


def leave_as_is(reading: Reading, head: str, variants: list[Variant], current: str) -> str:
    """An item not to change: "keep as it is" for an order not yet shipped (the change
    leaves it alone); for a delivered one, say so (an exchange for the same is no no-op)."""
    keep = next((v for v in variants if v.same and "keep" in v.label.lower()), None)
    held = [o for o, products in reading.me.orders.items() if head in products]
    pending = any(reading.me.statuses.get(o, "").startswith("pending") for o in held)
    return keep.label if keep and pending else only(reading, head, current)


def only(reading: Reading, head: str, current: str) -> str:
    """What a person says when asked about an item they did not bring up."""
    meant = [n for n in reading.wanted_names() if n != head]
    said = f"{current} {reading.said}"
    verb = next((v for v in ("exchange", "return", "modify") if v in said.lower()), "")
    if not verb and KIND_SAID["exchange"].search(said):
        verb = "exchange"
    if meant and verb:
        return f"I only want to {verb} the {' and the '.join(meant)}, not the {head}."
    return f"I don't want to change the {head}."


def current_options(reading: Reading, head: str, seen: dict[str, list[str]]) -> dict[str, str]:
    shown = seen.get(head.lower())
    if shown:
        return parse_options(", ".join(shown))
    wants = reading.dict_wants(head)
    return dict(wants[0].current) if wants else {}


def the_ones_meant(reading: Reading, picked: list[str], choices: list[str]) -> list[str]:
    """Of offered items sharing a name, the ones whose options the instruction names; of
    items picked by a word of another's options (a ``wireless`` mouse is no earbuds), the
    ones the instruction names."""
    heads = [(c, ITEM_LABEL.match(c)) for c in picked]  # two items alike are two labels
    named = [c for c, m in heads if m and reading.named(m["head"].strip())]
    if named and all(m for _, m in heads):
        picked = named
    out = []
    for label in picked:
        match = ITEM_LABEL.match(label)
        if not match:
            out.append(label)
            continue
        name = match["head"].strip()
        wants = [w for w in reading.dict_wants(name) if w.current]
        twins = [c for c in choices if c != label and c.startswith(name + " (")]
        opts = parse_options(match["opts"])
        if wants and twins:
            if not any(fits(opts, w.current, Wish(w.current)) for w in wants):
                continue
        elif twins and reading.twin_not_meant(name, opts, reading.wish(name, {}, "", opts)):
            continue
        out.append(label)
    return out or picked
