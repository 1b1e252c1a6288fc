"""The bot's proposal at confirmation, read and judged as a careful person would: the order,
the kind of write, each listed item with its options, where the money goes and the reason; then
whether the instruction supports every part of it, and if not, what to say is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .instruction import MIND_CHANGE, first_person, sentences, wanted_sentences
from .options import parse_options, same_value
from .products import is_named
from .reading import EVERY_ITEM, KIND_SAID, Reading
from .text import ORDER_ID, tokens
from .wants import (
    account_address_asked,
    cancel_reason,
    cancel_reason_said,
    item_wants,
    order_shipping_asked,
    wanted_payment,
    words,
)
from .wish import Wish, best_variants, describe, final_text, fits, settle

_RESERVATION = re.compile(r"\b(?=[A-Z]*\d)[A-Z0-9]{6}\b|\b[A-Z]{6}\b")
_VERBS = {
    "cancel": re.compile(r"\bcancel|\bnot (?:to )?receive\b|\bdon'?t (?:need|want)\b", re.I),
    "return": re.compile(r"\breturn|\brefund|\bsend (?:it|them) back\b", re.I),
    "exchange": re.compile(r"\bexchange|\bswap|\breplace", re.I),
    "address": re.compile(r"\baddress\b", re.I),
    "payment": re.compile(r"\bpayment|\bpay\b|\bcard\b|\bpaypal\b|\bgift card\b", re.I),
}


_ACTION_LINE = re.compile(r"[^.!?\n]*\b(?:I'll|I will|I would|I'd|we'll)\b[^.!?\n]*", re.I)


LISTED = re.compile(r"^\s*[-*•]\s*([^(:\n]+)", re.M)


def _listed_products_wanted(proposal: str, wanted: str) -> bool:
    """When the instruction names some of the products a proposal lists (one per line), it
    must name them all: a person notices an item they did not ask about."""
    heads = [tokens(h) for h in LISTED.findall(proposal)]
    heads = [h for h in heads if h]
    said = tokens(wanted)
    named = [bool(h & said) for h in heads]
    return all(named) or not any(named)


def consistent(proposal: str, instruction: str) -> bool:
    """Whether what the bot proposes is what the instruction asks for: every order or
    reservation id it names appears in the instruction (when the instruction names ids of that
    kind), and every kind of change it proposes is one the instruction mentions."""
    wanted = " ".join(wanted_sentences(instruction))
    named_orders = {o.lstrip("#") for o in ORDER_ID.findall(wanted)}
    for order in ORDER_ID.findall(proposal):
        if named_orders and order.lstrip("#") not in named_orders:
            return False
    codes = set(_RESERVATION.findall(wanted)) - {w for w in wanted.split() if w.isalpha()}
    for code in set(_RESERVATION.findall(proposal)):
        if codes and any(c.isdigit() for c in code) and code not in codes:
            return False
    if not _listed_products_wanted(proposal, wanted):
        return False
    action = " ".join(_ACTION_LINE.findall(proposal)) or proposal
    for pattern in _VERBS.values():
        if pattern.search(action) and not pattern.search(wanted):
            return False
    return True


def mind_change(proposal: str, instruction: str) -> str | None:
    """The instruction's change of mind about something the proposal names, first person."""
    for clause in MIND_CHANGE.findall(instruction):
        named = words(clause) - words("change your mind and decide to not the after all but")
        listed = words(" ".join(LISTED.findall(proposal)) or proposal)
        if named & listed:
            rest = re.split(r"\bdecide (?:to not|not to)\s+", clause, maxsplit=1, flags=re.I)
            if len(rest) == 2:
                return f"No, I've changed my mind: I don't want to {first_person(rest[1])}."
            return "No, I've changed my mind."
    return None


_BULLET = re.compile(r"^\s*[-*•]\s*(?P<line>[^\n]+)$", re.M)
_KEPT = re.compile(
    r",?\s*(?:kept as it is|keep as it is|unchanged|a new one of the same option)\b", re.I
)
_CANCEL_ITEMS = re.compile(r"\bwith \d+ items?: (?P<items>[^\n]*?)\.?\s*(?:\n|$)")
_DESTINATION = re.compile(
    r"(?:charged|refunded|paid back|goes back)(?: now)? to (?:your )?(?P<d>[^.\n]+)"
    r"|\brefund: \$[\d,.]+ to (?:your )?(?P<r>[^.\n]+)",
    re.I,
)
_HEADER_KINDS = [
    ("cancel", re.compile(r"\bcancel\b", re.I)),
    ("exchange", re.compile(r"\bexchange\b", re.I)),
    ("return", re.compile(r"\breturn\b", re.I)),
    ("modify", re.compile(r"\bchange I'd make\b|\bchange to (?:the )?items\b|\bmodif", re.I)),
]
#: the action itself asked for (a refund's destination is no request to return)
_ACT_SAID = {
    "cancel": re.compile(r"\bcancel", re.I),
    "return": re.compile(r"\breturn|\bsend (?:it|them|both[^.]*?) back\b", re.I),
    "exchange": re.compile(
        r"\bexchange|\bswap|\breplace|\bmodify|\bchange (?!(?:your|my) mind)", re.I
    ),
}
_KIND_VERB = {"cancel": "cancel", "return": "return", "exchange": "exchange", "modify": "change"}
_NUMBER = {2: "both", 3: "all three", 4: "all four"}
_COUNT_WORD = {1: "one", 2: "two", 3: "three"}
_SEVERAL_SAID = re.compile(r"\b(?:both|all|two|three|every|each)\b", re.I)


@dataclass
class Line:
    """One item a proposal lists: its current options and, for a change, the new ones."""

    name: str
    old: dict[str, str]
    new: dict[str, str] | None = None
    price: float | None = None


@dataclass
class Proposal:
    """What the bot proposes to write, as a person reads it."""

    kind: str
    order: str
    lines: list[Line]
    destination: str
    reason: str
    text: str


def _read_line(text: str) -> Line | None:
    """``Name: old -> new ($a -> $b)``, ``Name: options, kept as it is ($a)`` or
    ``Name (options): $a``."""
    prices = re.findall(r"\$([\d,]+(?:\.\d+)?)", text)
    price = float(prices[-1].replace(",", "")) if prices else None
    text = re.sub(r"\s*\(\$[^)]*\)\s*$|:\s*\$[\d,.]+\s*$", "", text.strip())
    named = re.match(r"(?P<name>[^:(]+?)\s*(?::\s*(?P<rest>.*)|\((?P<opts>[^)]*)\))$", text)
    if not named:
        return None
    name = named["name"].strip()
    if named["opts"] is not None:
        return Line(name, parse_options(named["opts"]), None, price)
    rest = named["rest"]
    if "->" in rest:
        old_text, _, new_text = rest.partition("->")
        old = parse_options(_KEPT.sub("", old_text))
        return Line(name, old, old if _KEPT.search(new_text) else parse_options(new_text), price)
    if _KEPT.search(rest):
        old = parse_options(_KEPT.sub("", rest))
        return Line(name, old, old, price)
    return None


_COPIES = re.compile(r"^\s*(?P<n>\d{1,2}) x (?P<line>.+?)(?:\s*\(\$[\d,.]+ each\))?\s*$")


def _read_copies(text: str) -> list[Line]:
    """One line per copy: ``2 x Name (options): $97.18 ($48.59 each)`` is two lines."""
    counted = _COPIES.match(text)
    line = _read_line(counted["line"] if counted else text)
    return [line] * (int(counted["n"]) if counted else 1) if line else []


def read_proposal(text: str) -> Proposal:
    """The order, the kind of action, each listed item, where money goes and the reason."""
    start = re.search(r"\b(?:Here's|Here is|I'll|I will|I'd)\b", text)
    body = text[start.start() :] if start else text
    header = re.split(r"\n\s*[-*•]|:\s*\n", body, maxsplit=1)[0]
    kind = next((k for k, p in _HEADER_KINDS if p.search(header)), "other")
    order = ORDER_ID.search(body)
    lines = [line for m in _BULLET.finditer(body) for line in _read_copies(m["line"])]
    cancelled = _CANCEL_ITEMS.search(body)
    if kind == "cancel" and cancelled and not lines:
        for item in cancelled["items"].split("; "):
            name, _, opts = item.partition(" (")
            lines.append(Line(name.strip(), parse_options(opts.rstrip(")"))))
    dest = _DESTINATION.search(body)
    reason = re.search(r"\breason: (?P<r>[^.\n]+)", body, re.I)
    return Proposal(
        kind,
        order[0].lstrip("#") if order else "",
        lines,
        (dest["d"] or dest["r"] or "").strip() if dest else "",
        reason["r"].strip() if reason else "",
        body.strip(),
    )


def judge(text: str, prop: Proposal, reading: Reading, extra: str | None) -> str:
    """Yes to a proposal whose every element the instruction supports (the thing to bring up at
    confirmation among what it lists, the money going where the instruction says, its reason
    the instruction's), else no with what is wrong."""
    instruction = reading.instruction
    if prop.kind == "other" and not consistent(text, instruction):
        return "no"
    if prop.kind == "other":
        wrong_address = _address_objection(reading, text)
        if wrong_address:
            return wrong_address
    found = objection(reading, prop)
    if found:
        return found
    if extra and not words(extra) & words(" ".join(LISTED.findall(text))) - {"return"}:
        return "No, " + extra[:1].lower() + extra[1:]
    wanted = wanted_payment(instruction, reading.me.payment_methods)
    if wanted and wanted != "original" and prop.destination:
        named = wanted.lower() in prop.destination.lower()
        card = wanted == "credit card" and re.search(r"\bending \d{4}", prop.destination)
        if not named and not card:
            return f"No, I want that to go to my {wanted}."
    reason = cancel_reason([prop.reason], instruction) if prop.reason else ""
    if prop.kind == "cancel" and prop.reason and reason is None:
        return "No, that's not my reason: " + cancel_reason_said(instruction)
    return "yes"


def _address_objection(reading: Reading, text: str) -> str | None:
    """An order's shipping address changed when the instruction asks for the account's (or it
    says the order should stay as it is), or the other way round."""
    said = reading.said
    if re.search(r"\bshipping address of\b", text) and not order_shipping_asked(said):
        if account_address_asked(said):
            return (
                "No, the order should keep its address; I want the address on my account changed."
            )
        return "No, I didn't ask to change that order's address."
    account = re.search(r"\bdefault address\b", text)
    if account and order_shipping_asked(said) and not account_address_asked(said):
        return "No, I don't want my default address changed; I want my order sent there."
    return None


def already_in(reading: Reading, extra: str, prop: Proposal) -> bool:
    """Whether the proposal already lists every product the thing to bring up names."""
    names = [n for n in reading.names if is_named(n, extra, reading.names)]
    listed = {line.name for line in prop.lines}
    return bool(names) and set(names) <= listed


def objection(reading: Reading, prop: Proposal) -> str | None:
    """What a careful person finds wrong in a proposal, in plain words; None when every
    element of it is what the instruction asks for."""
    verb = _KIND_VERB.get(prop.kind, prop.kind)
    kinds = reading.kinds(prop.order)
    unnamed = not kinds and _wished_change(reading, prop)
    if prop.kind in _KIND_VERB and prop.kind not in kinds and not unnamed:
        return f"No, I don't want to {verb} that."
    orders = {o.lstrip("#") for o in ORDER_ID.findall(reading.said)}
    if prop.order and orders and prop.order not in orders:
        return f"No, that's not the order I meant; I meant {', '.join('#' + o for o in sorted(orders))}."
    if prop.kind in ("return", "exchange", "modify"):
        return _items_objection(reading, prop, verb) or _options_objection(reading, prop)
    return None


def _wished_change(reading: Reading, prop: Proposal) -> bool:
    """An exchange or a change the instruction asks for without naming the action ("it came
    in silver, but you really wanted black"): every changed line is to what it wishes."""
    changed = [line for line in prop.lines if line.new is not None and line.new != line.old]
    if prop.kind not in ("exchange", "modify") or not changed:
        return False
    for line in changed:
        wish = reading.wish(line.name, line.old, prop.order, line.new)
        new = {k: v for k, v in wish.stated.items() if not same_value(v, line.old.get(k, ""))}
        if not new or not fits(line.new or {}, line.old, wish):
            return False
    return True


def _items_objection(reading: Reading, prop: Proposal, verb: str) -> str | None:
    listed = [line.name for line in prop.lines]
    keys = {line.name: [*line.old, *(line.new or {})] for line in prop.lines}
    wanted = [n for n in listed if reading.meant(n, keys[n]) and n not in reading.dropped]
    wanted = list(dict.fromkeys(wanted + _missing(reading, prop, listed)))
    only = " and the ".join(wanted)
    if listed and not wanted:
        return f"No, that's not what I asked for; I don't want to {verb} the {listed[0]}."
    for name in listed:
        kept = [ln for ln in prop.lines if ln.name == name and ln.new == ln.old]
        if prop.kind == "modify" and kept and not reading.meant(name, keys[name]):
            continue
        if any(name.lower() == d.lower() for d in reading.dropped):
            return f"No, I've changed my mind: I don't want to {verb} the {name} after all."
        if not reading.meant(name, keys[name]):
            if only:
                return f"No, I only want to {verb} the {only}, not the {name}."
            return f"No, I didn't ask to {verb} the {name}."
    for name in dict.fromkeys(listed):
        lines = [line for line in prop.lines if line.name == name]
        twin = _twin_objection(reading, name, lines, verb)
        if twin:
            return twin
        held = reading.me.orders.get("#" + prop.order, []).count(name)
        wanted_count = min(reading.count_wanted(name), held)
        if len(lines) < wanted_count:
            also = [n for n in dict.fromkeys(listed) if n != name]
            rest = "".join(f" and the {n}" for n in also)
            return (
                f"No, I want to {verb} {_NUMBER[wanted_count]} {name}s{rest}: "
                f"only {_COUNT_WORD.get(len(lines), str(len(lines)))} {name} is listed."
            )
        wants = [w for w in reading.dict_wants(name, prop.order) if w.current]
        if wants:
            unmatched = [
                line
                for line in lines
                if not any(fits(line.old, w.current, Wish(w.current)) for w in wants)
            ]
            if unmatched or len(lines) > len(wants):
                current = ", ".join(f"{k} {v}" for k, v in wants[0].current.items())
                return f"No, the {name} I mean is the one with {current}."
        elif len(lines) > 1 and not _SEVERAL_SAID.search(reading.prose(name)):
            return f"No, I only want to {verb} one {name}."
    missing = _missing(reading, prop, listed)
    if missing:
        return f"No, I want to {verb} the {only}: the {' and the '.join(missing)} is missing."
    return None


def _twin_objection(reading: Reading, name: str, lines: list[Line], verb: str) -> str | None:
    """Of two items with one name listed together, the one the instruction does not describe
    (it stays as it is)."""
    if len(lines) < 2 or not reading.twins(name):
        return None
    wish = reading.wish(name, {})
    other = [
        line
        for line in lines
        if reading.twin_not_meant(name, line.old, wish) and line.new != line.old
    ]
    meant = [line for line in lines if line not in other]
    if not other or not meant:
        return None
    return (
        f"No, I only want to {verb} the {name} with {_spoken(meant[0].old)}; "
        f"the one with {_spoken(other[0].old)} stays as it is."
    )


def _spoken(options: dict[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in options.items())


def _missing(reading: Reading, prop: Proposal, listed: list[str]) -> list[str]:
    """Items the instruction asks to act on with this proposal (same order, same kind of
    action) that it does not list."""
    family = "exchange" if prop.kind == "modify" else prop.kind
    held = reading.me.orders.get("#" + prop.order, [])
    missing = []
    for w in item_wants(reading.instruction):
        verb = "exchange" if w.verb in ("modify", "change", "replace", "swap") else w.verb
        if w.order == prop.order and verb == family and w.name not in listed:
            missing.append(w.name)
    every = bool(EVERY_ITEM.search(reading.words_said)) and reading.order_meant("#" + prop.order)
    unnamed = [
        t
        for t in sentences(reading.words_said)
        if _ACT_SAID[family].search(MIND_CHANGE.sub(" ", t))
        and not any(is_named(n, t, reading.names) for n in reading.names)
    ]
    for name in held:
        if name in listed or name in missing or name in reading.dropped or reading.kept(name):
            continue
        if every and KIND_SAID[family].search(reading.words_said):
            missing.append(name)
            continue
        if not reading.named(name):
            continue
        if unnamed:
            missing.append(name)
            continue
        prose = final_text(reading.sentences_naming(name))
        if prose and KIND_SAID[family].search(MIND_CHANGE.sub(" ", prose)):
            missing.append(name)
    return list(dict.fromkeys(missing))


def _options_objection(reading: Reading, prop: Proposal) -> str | None:
    for line in prop.lines:
        if line.new is None:
            continue
        wish = reading.wish(
            line.name, {} if reading.twins(line.name) else line.old, prop.order, line.new
        )
        if line.new == line.old and not wish.same_model:
            if not _changes(reading, prop, line, wish):
                continue
            wanted = f"; I'd like it with {describe(wish)}" if wish.stated else ""
            return f"No, I don't want the {line.name} exchanged for the same one{wanted}."
        if not wish.stated and not wish.strict:
            continue
        offered = reading.variants.get(line.name.lower(), [])
        variants = [(v.options, v.price) for v in offered]
        wish = settle(wish, variants, line.old)
        best = [variants[i][0] for i in best_variants(variants, line.old, wish)]
        ok = fits(line.new, line.old, wish) and (
            not best or any(_same_options(line.new, b) for b in best)
        )
        if not ok:
            return f"No, I want the {line.name} with {describe(wish)}."
    return None


def _changes(reading: Reading, prop: Proposal, line: Line, wish: Wish) -> bool:
    """Whether the instruction asks to change this line's item (a delivered item listed for an
    exchange is one to change; a pending order's item kept as it is may be one not meant)."""
    if reading.twins(line.name) and reading.twin_not_meant(line.name, line.old, wish):
        return False
    return prop.kind == "exchange" or reading.meant(line.name, [*line.old])


def _same_options(a: dict[str, str], b: dict[str, str]) -> bool:
    return all(k in b and same_value(v, b[k]) for k, v in a.items())
