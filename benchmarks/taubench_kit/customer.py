"""The scripted customer: a rule-based person who knows a tau-bench task's instruction and their
own identity facts, never the gold actions or outputs.

It opens with the instruction's first request in the first person, answers verification
questions with the facts asked for, picks offered choices by their overlap with the instruction,
says yes to a proposal the instruction supports, brings up the instruction's next request when
asked whether there is anything else, and ends when nothing is left.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from .wants import (
    ItemWant,
    Variant,
    Wish,
    best_variants,
    cancel_reason,
    catalogue_options,
    describe,
    dict_wish,
    final_text,
    fits,
    is_named,
    item_prose,
    item_wants,
    norm_tokens,
    option_domain,
    parse_options,
    pick_option,
    prose_wish,
    read_variant,
    remember_items,
    same_value,
    settle,
    wanted_payment,
    wanted_spots,
    with_colors,
    words,
)

END = "No, that's all, thanks."
UNSURE = "I'm not sure."

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(#])|(?<=;)\s+(?=For #)")
_IDENTITY = re.compile(
    r"^(?:your|you are|you're)\s+(?:name|user id|zip|email|date of birth)\b"
    r"|^your (?:name|user id) is\b",
    re.I,
)
# persona and behaviour sentences: who the customer is, not what they want
_PERSONA = [
    re.compile(
        r"^(?:you are|you're) (?:a |an |very |quite )?[a-z-]+(?:, (?:and )?[a-z-]+)*,?"
        r"(?: and [a-z-]+)?(?: person)?\.?$",
        re.I,
    ),
    re.compile(r"^you are (?:reactive|detail-oriented|not|quite|somewhat|generally)\b", re.I),
    re.compile(r"\b(?:your personality|in your tone|you speak|you like to|you tend to)\b", re.I),
    re.compile(r"\bwill not say anything\b|\bonly (?:say|provide|answer)\b", re.I),
    re.compile(r"^(?:if|when) the agent\b", re.I),
]
_NEXT_REQUEST = re.compile(
    r"^(?:also|additionally|in addition|besides|after that|afterwards|then|finally|"
    r"once (?:that|this|it)|for the other|for another|and for|meanwhile|moreover|for #?w\d+)\b"
    r"|\byou (?:also|then) (?:want|would like|wish|need)\b|\balso (?:want|like|need)\b",
    re.I,
)
_PRONOUNS: list[tuple[str, str]] = [
    (r"\byou're\b", "I'm"),
    (r"\byou've\b", "I've"),
    (r"\byou'd\b", "I'd"),
    (r"\byou'll\b", "I'll"),
    (r"\byou are\b", "I am"),
    (r"\byou were\b", "I was"),
    (r"\byou do't\b", "I don't"),
    (r"\byourself\b", "myself"),
    (r"\byours\b", "mine"),
    (r"\byour\b", "my"),
]
_OBJECT_AFTER = re.compile(
    r"\b(?:to|for|with|at|from|about|of|by|tell|ask|give|send|help|let|offer|told|asked|"
    r"gave|sent|helped|let|offered|contact|call|remind|charge|charged|show|make|made)\s+$",
    re.I,
)
_IMPERATIVE_DROP = re.compile(r"^(?:be|express|insist|act|pretend|behave|try|do not|don't)\b", re.I)
_IMPERATIVE_THAT = re.compile(
    r"^(?:emphasi[sz]e|mention|say|tell (?:the agent|them)|explain|stress|make it clear|"
    r"let (?:the agent|them) know)\s+(?:that\s+)?",
    re.I,
)
_REQUEST_VERB = re.compile(
    r"\b(?:want|wants|like|need|wish|cancel|return|exchange|change|modify|update|book|"
    r"refund|know|check|add|remove|switch|upgrade|downgrade)\b",
    re.I,
)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def is_persona(sentence: str) -> bool:
    return (
        bool(_IDENTITY.search(sentence))
        or bool(_IMPERATIVE_DROP.search(sentence))
        or any(p.search(sentence) for p in _PERSONA)
    )


def _swap_you(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in re.finditer(r"\byou\b", text, re.I):
        before = text[: match.start()]
        out.append(text[last : match.start()])
        after = text[match.end() :]
        as_object = _OBJECT_AFTER.search(before) or re.match(r"\s*(?:[,.;:!?]|$)", after)
        out.append("me" if as_object else "I")
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def first_person(sentence: str) -> str:
    """``You want to return my... `` becomes ``I want to return my...``."""
    text = _IMPERATIVE_THAT.sub("", sentence)
    for pattern, repl in _PRONOUNS:
        text = re.sub(pattern, functools.partial(_cased_match, repl), text, flags=re.I)
    text = _swap_you(text)
    text = re.sub(r"\bI wanna\b", "I want to", text)
    text = re.sub(r"\bI (wants|needs|has|does|is)\b", lambda m: "I " + _base(m.group(1)), text)
    return text[:1].upper() + text[1:]


def _base(verb: str) -> str:
    return {"wants": "want", "needs": "need", "has": "have", "does": "do", "is": "am"}[verb]


def _cased_match(replacement: str, match: re.Match[str]) -> str:
    return _cased(match.group(0), replacement)


def _cased(found: str, replacement: str) -> str:
    if replacement.startswith("I"):
        return replacement
    return replacement.capitalize() if found[:1].isupper() else replacement


def requests(instruction: str) -> list[list[str]]:
    """The instruction's requests in order, each a list of first-person sentences."""
    groups: list[list[str]] = []
    for sentence in sentences(instruction):
        if is_persona(sentence):
            continue
        starts_new = (
            bool(_NEXT_REQUEST.search(sentence))
            and any(_REQUEST_VERB.search(s) for s in groups[-1])
            if groups
            else True
        )
        if starts_new:
            groups.append([])
        groups[-1].append(first_person(sentence))
    return groups


@dataclass
class Identity:
    """What a person knows about themselves."""

    user_id: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    zip: str = ""
    dob: str = ""
    payment_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: order id -> the product names it holds (what a person remembers of their orders)
    orders: dict[str, list[str]] = field(default_factory=dict)
    #: order id -> its status (a person knows whether an order has arrived)
    statuses: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_user(
        cls, user_id: str, user: dict[str, Any], orders: dict[str, Any] | None = None
    ) -> Identity:
        name = user.get("name") or {}
        held = {
            str(o): [str(i.get("name", "")) for i in (orders or {}).get(o, {}).get("items", [])]
            for o in user.get("orders", []) or []
        }
        statuses = {
            str(o): str((orders or {}).get(o, {}).get("status", ""))
            for o in user.get("orders", []) or []
        }
        return cls(
            payment_methods=dict(user.get("payment_methods") or {}),
            orders=held,
            statuses=statuses,
            user_id=user_id,
            email=str(user.get("email", "")),
            first_name=str(name.get("first_name", "")),
            last_name=str(name.get("last_name", "")),
            zip=str((user.get("address") or {}).get("zip", "")),
            dob=str(user.get("dob", "")),
        )


_ASKS = [
    ("email", re.compile(r"\be-?mail\b", re.I)),
    ("user_id", re.compile(r"\buser ?id\b|\busername\b", re.I)),
    ("dob", re.compile(r"\bdate of birth\b|\bbirth ?(?:day|date)\b|\bborn\b", re.I)),
    ("name", re.compile(r"\b(?:full )?name\b", re.I)),
    ("zip", re.compile(r"\bzip\b|\bpostal code\b|\bpost ?code\b", re.I)),
]


def asked_facts(bot_text: str) -> list[str]:
    """The identity facts a question asks for, in the order of ``_ASKS``; when it offers
    another way (``... or ... instead``), only the first."""
    questions = " ".join(q for q in re.findall(r"[^.!?\n]*\?", bot_text))
    asked = [name for name, pattern in _ASKS if pattern.search(questions)]
    if "email" in asked and re.search(r"\binstead\b|\brather\b|\bor\b", bot_text, re.I):
        return ["email"]
    return asked


def identity_answer(bot_text: str, me: Identity) -> str | None:
    """The facts asked for, or None when the text asks for none."""
    values = {
        "email": me.email,
        "user_id": me.user_id,
        "dob": me.dob,
        "name": f"{me.first_name} {me.last_name}".strip(),
        "zip": me.zip,
    }
    parts = [values[fact] for fact in asked_facts(bot_text) if values[fact]]
    if not parts:
        return None
    return " and ".join(parts) if len(parts) > 1 else parts[0]


_COMMON = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "have",
        "has",
        "had",
        "was",
        "were",
        "are",
        "you",
        "your",
        "my",
        "me",
        "our",
        "not",
        "but",
        "order",
        "orders",
        "ordered",
        "item",
        "items",
        "want",
        "would",
        "like",
        "can",
        "could",
        "please",
        "just",
        "also",
    ]
)


def _stem(token: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def _tokens(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9#]+", text.lower())
    return {_stem(t) for t in words if (len(t) > 2 or t.isdigit()) and t not in _COMMON}


_ENDS_IN = re.compile(r"\bends? (?:in|with) (\d+)\b", re.I)


def support(label: str, instruction_sentences: list[str]) -> float:
    """How well the instruction supports a choice label (0-100): an id of the label named in the
    instruction is full support; otherwise the best fuzzy token overlap with one sentence."""
    ids = re.findall(r"#?[A-Z0-9]{6,}", label)
    text = " ".join(instruction_sentences)
    if any(i.lstrip("#") in text for i in ids if any(c.isdigit() for c in i)):
        return 100.0
    endings = _ENDS_IN.findall(text)
    if any(i.endswith(e) for i in ids for e in endings):
        return 100.0
    label_tokens = _tokens(label)
    if not label_tokens:
        return 0.0
    best = 0.0
    for sentence in instruction_sentences:
        shared = label_tokens & _tokens(sentence)
        fuzzy = fuzz.token_set_ratio(label, sentence)
        overlap = 100.0 * len(shared) / len(label_tokens)
        best = max(best, 0.9 * overlap + 0.1 * fuzzy if shared else 0.3 * fuzzy)
        head = _tokens(re.split(r"\s[(-]", label, maxsplit=1)[0])
        if head != label_tokens and head & _tokens(sentence):
            best = max(best, 60.0 + 40.0 * len(head & _tokens(sentence)) / len(head))
    return best


_SEVERAL = re.compile(
    r"\bwhich (?:ones|of them)\b|\ball that apply\b|\bany of\b|\bone or more\b"
    r"|\bseveral\b|\bmore than one\b|\ball of them\b",
    re.I,
)
PICK_THRESHOLD = 40.0


_PERSON = re.compile(r"\b(?:person|human|agent|supervisor|representative)\b", re.I)
_PERSON_CHOICE = re.compile(
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


def _family_bonus(label: str, said: list[str]) -> float:
    """Support for a label naming an action the instruction asks for in other words."""
    text = " ".join(said)
    words = _tokens(label)
    found = [bonus for word, said_as, bonus in _ACTIONS if word in words and said_as.search(text)]
    return max(found, default=0.0)


def _label_support(label: str, said: list[str]) -> float:
    """A label naming an action (cancel, return, exchange) is supported only by the instruction
    asking for that action; any other label by its overlap with the instruction."""
    if _tokens(label) & {word for word, _, _ in _ACTIONS}:
        return _family_bonus(label, said)
    return support(label, said)


_ALL_LABEL = re.compile(r"^\s*all(?: of them| items)?\s*$", re.I)
_ALL_ITEMS = re.compile(
    r"\ball (?:of )?(?:the |my |your )*items\b|\b(?:return|exchange) (?:the|all) items\b"
    r"|\beverything\b",
    re.I,
)


def pick_choices(question: str, choices: list[str], instruction: str) -> list[str]:
    """The offered choices the instruction supports best: one, or several when the question
    allows several and the instruction names several; none when nothing is supported. A person
    is picked only when the instruction asks for one; when a single other choice is offered, a
    cooperative customer takes it."""
    said = [s for s in sentences(instruction) if not is_persona(s)]
    wants_all = bool(_ALL_ITEMS.search(" ".join(said)))
    if re.search(r"\ball of them\b", question, re.I) and wants_all:
        return [c for c in choices if not _ALL_LABEL.match(c)]
    choices = [c for c in choices if not _ALL_LABEL.match(c)]
    wants_person = bool(_PERSON.search(" ".join(said)))
    offered = [c for c in choices if wants_person or not _PERSON_CHOICE.search(c)]
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


def _head(label: str) -> str:
    return re.split(r"\s[(-]", label, maxsplit=1)[0].strip()


def spoken(label: str, choices: list[str]) -> str:
    """How a person names a choice: by its head (``Wall Clock`` for ``Wall Clock (color white)
    - $195.59``) unless another choice has the same head."""
    head = _head(label)
    return head if [_head(c) for c in choices].count(head) == 1 else label


def is_confirmation(choices: list[str]) -> bool:
    lowered = {c.strip().lower() for c in choices}
    return bool(lowered) and lowered <= {"yes", "no", "yes, go ahead", "no, thanks"}


_ORDER_ID = re.compile(r"#?W\d{7}\b")
_RESERVATION = re.compile(r"\b(?=[A-Z]*\d)[A-Z0-9]{6}\b|\b[A-Z]{6}\b")
_VERBS = {
    "cancel": re.compile(r"\bcancel|\bnot (?:to )?receive\b|\bdon'?t (?:need|want)\b", re.I),
    "return": re.compile(r"\breturn|\brefund|\bsend (?:it|them) back\b", re.I),
    "exchange": re.compile(r"\bexchange|\bswap|\breplace", re.I),
    "address": re.compile(r"\baddress\b", re.I),
    "payment": re.compile(r"\bpayment|\bpay\b|\bcard\b|\bpaypal\b|\bgift card\b", re.I),
}


_ACTION_LINE = re.compile(r"[^.!?\n]*\b(?:I'll|I will|I would|I'd|we'll)\b[^.!?\n]*", re.I)


_LISTED = re.compile(r"^\s*[-*•]\s*([^(:\n]+)", re.M)


def _listed_products_wanted(proposal: str, wanted: str) -> bool:
    """When the instruction names some of the products a proposal lists (one per line), it
    must name them all: a person notices an item they did not ask about."""
    heads = [_tokens(h) for h in _LISTED.findall(proposal)]
    heads = [h for h in heads if h]
    said = _tokens(wanted)
    named = [bool(h & said) for h in heads]
    return all(named) or not any(named)


def consistent(proposal: str, instruction: str) -> bool:
    """Whether what the bot proposes is what the instruction asks for: every order or
    reservation id it names appears in the instruction (when the instruction names ids of that
    kind), and every kind of change it proposes is one the instruction mentions."""
    wanted = " ".join(s for s in sentences(instruction) if not is_persona(s))
    named_orders = {o.lstrip("#") for o in _ORDER_ID.findall(wanted)}
    for order in _ORDER_ID.findall(proposal):
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


def free_answer(question: str, instruction: str) -> str:
    """The instruction's sentence (in the first person) most related to a free question."""
    said = [first_person(s) for s in sentences(instruction) if not is_persona(s)]
    if not said:
        return UNSURE
    if re.search(r"\border (?:number|id)\b", question, re.I):
        with_id = [s for s in said if _ORDER_ID.search(s)]
        if with_id:
            return with_id[0]
    scored = [
        (fuzz.token_set_ratio(question, s) + 50 * len(_tokens(question) & _tokens(s)), s)
        for s in said
    ]
    score, best = max(scored, key=lambda t: t[0])
    return best if score >= 40 else UNSURE


_ANYTHING_ELSE = re.compile(
    r"\banything else\b|\bsomething else\b|\bany other\b|\belse (?:can|could) I\b", re.I
)


_MIND_CHANGE = re.compile(
    r"\bchange (?:your|my) mind\b[^.;]*|\bdecide (?:to not|not to)\b[^.;]*", re.I
)
_AT_CONFIRMATION = re.compile(
    r"(?:if|when|before) (?:the agent asks for confirmation|confirming|you confirm)[^,]*,\s*"
    r"(?P<what>[^.;]*)",
    re.I,
)
_PAYMENT_LABEL = re.compile(r"\bpaypal\b|\bending \d{4}\b|\bgift card\b|\boriginal\b", re.I)
_ORDER_LABEL = re.compile(r"^\s*(?:order\s*)?#?W\d{7}\b", re.I)


def mind_change(proposal: str, instruction: str) -> str | None:
    """The instruction's change of mind about something the proposal names, first person."""
    for clause in _MIND_CHANGE.findall(instruction):
        named = words(clause) - words("change your mind and decide to not the after all but")
        listed = words(" ".join(_LISTED.findall(proposal)) or proposal)
        if named & listed:
            rest = re.split(r"\bdecide (?:to not|not to)\s+", clause, maxsplit=1, flags=re.I)
            if len(rest) == 2:
                return f"No, I've changed my mind: I don't want to {first_person(rest[1])}."
            return "No, I've changed my mind."
    return None


def at_confirmation(instruction: str) -> str | None:
    """What the instruction says to bring up when asked to confirm, first person."""
    match = _AT_CONFIRMATION.search(instruction)
    if not match:
        return None
    what = re.sub(r"^(?:mention|say|tell (?:them|the agent))\s+(?:that\s+)?", "", match["what"])
    what = re.sub(r"^decide to\s+", "I want to ", what.strip())
    return first_person(what).rstrip(".") + "."


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


def _first_payment(choices: list[str]) -> str | None:
    return choices[0] if any(_PAYMENT_LABEL.search(c) for c in choices) else None


def order_choice(choices: list[str], request: str, me: Identity) -> str | None:
    """The offered order holding the product the request talks about (a person knows what
    each of their orders holds); by elimination, the only one that can."""
    if not all(_ORDER_LABEL.match(c) for c in choices):
        return None
    said = words(request)
    holding = []
    for choice in choices:
        order_id = "#" + re.findall(r"W\d{7}", choice)[0]
        products = me.orders.get(order_id, [])
        if any(words(p) <= said or (words(p) & said - {"the"}) for p in products):
            holding.append(choice)
    return holding[0] if len(holding) == 1 else None


_SUGGESTION = re.compile(
    r"\byou can (?:[^.;]*? or )?(?P<what>(?:change|modify) (?:its|the) items)(?: instead)?\b", re.I
)
_GOAL_ITEMS = re.compile(r"\bexchange|\bmodify|\bchange\b", re.I)


# --- a proposal as the bot shows it, and a careful person's reading of it ---

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
_KIND_SAID = {
    "cancel": re.compile(
        r"\bcancel|\bnot (?:to )?receive\b|\bdon'?t (?:need|want) (?:it|them|the order)\b", re.I
    ),
    "return": re.compile(r"\breturn|\brefund|\bsend (?:it|them|both[^.]*?) back\b", re.I),
    "exchange": re.compile(
        r"\bexchange|\bmodify|\bswap|\breplace|\bswitch|\bupgrade|\bdowngrade|\binstead\b"
        r"|\bchang(?:e|ed|ing)\b(?! (?:your|my) mind)|\brather have\b|\bprefer\b"
        r"|\b(?:the )?same [^.;]*\bbut\b|\bin (?:a )?different\b|\bwant (?:it|them|one) in\b",
        re.I,
    ),
}
#: the action itself asked for (a refund's destination is no request to return)
_ACT_SAID = {
    "cancel": re.compile(r"\bcancel", re.I),
    "return": re.compile(r"\breturn|\bsend (?:it|them|both[^.]*?) back\b", re.I),
    "exchange": re.compile(
        r"\bexchange|\bswap|\breplace|\bmodify|\bchange (?!(?:your|my) mind)", re.I
    ),
}
_KIND_VERB = {"cancel": "cancel", "return": "return", "exchange": "exchange", "modify": "change"}


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


def read_proposal(text: str) -> Proposal:
    """The order, the kind of action, each listed item, where money goes and the reason."""
    start = re.search(r"\b(?:Here's|Here is|I'll|I will|I'd)\b", text)
    body = text[start.start() :] if start else text
    header = re.split(r"\n\s*[-*•]|:\s*\n", body, maxsplit=1)[0]
    kind = next((k for k, p in _HEADER_KINDS if p.search(header)), "other")
    order = _ORDER_ID.search(body)
    lines = [line for line in (_read_line(m["line"]) for m in _BULLET.finditer(body)) if line]
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


_DROPPED = re.compile(
    r"\bchanges? (?:your|my) mind\b[^.;]*?\b(?:decides? |decided )?(?:to not|not to|against)\s+"
    r"(?:\w+ )?(?P<what>[^.;]*)",
    re.I,
)
_EVERY_ITEM = re.compile(
    r"\ball (?:of )?(?:the |my |your )*items\b|\b(?:return|exchange) (?:the|all) items\b"
    r"|\beverything (?:in|from) (?:the|that|this|my|your) order\b|\b(?:whole|entire) order\b",
    re.I,
)
_SEVERAL_SAID = re.compile(r"\b(?:both|all|two|three|every|each)\b", re.I)


@dataclass
class Reading:
    """What the instruction finally wants, as the customer reads it against what the bot shows:
    the products named, the items dropped by a change of mind, each item's wished options."""

    instruction: str
    me: Identity
    #: item name (lower case) -> the variants the bot offered for it
    variants: dict[str, list[Variant]] = field(default_factory=dict)

    @functools.cached_property
    def said(self) -> str:
        """The instruction without who the customer is (what they are asked to express, insist
        on or bring up when the agent does something is kept: it says what they want)."""
        return " ".join(
            s
            for s in sentences(self.instruction)
            if not _IDENTITY.search(s) and not any(p.search(s) for p in _PERSONA[:3])
        )

    @functools.cached_property
    def words_said(self) -> str:
        """What the instruction says in words: its option dicts left out (a ``laptop``
        compartment is no laptop)."""
        return re.sub(r"\{[^{}]*\}", " ", self.said)

    @functools.cached_property
    def names(self) -> list[str]:
        held = {n for products in self.me.orders.values() for n in products if n}
        return sorted(held | {w.name for w in item_wants(self.instruction)})

    @functools.cached_property
    def dropped(self) -> list[str]:
        """Products the instruction decides, after a change of mind, not to act on."""
        found = []
        for m in _DROPPED.finditer(self.instruction):
            found += [n for n in self.names if is_named(n, m["what"], self.names)]
        return found

    def named(self, name: str) -> bool:
        roles = wanted_spots(name, self.words_said, self.names)
        return "wanted" in roles or bool(self.dict_wants(name))

    def meant(self, name: str, keys: list[str]) -> bool:
        """An item the instruction asks about: named, or held in an order it names when it
        talks about one of the item's options (``change the deck material``)."""
        if self.named(name):
            return True
        orders = {"#" + o.lstrip("#") for o in _ORDER_ID.findall(self.said)}
        held = any(name in self.me.orders.get(o, []) for o in orders)
        every = _EVERY_ITEM.search(self.words_said)
        if every and any(name in ps and self.order_meant(o) for o, ps in self.me.orders.items()):
            return True
        text = " ".join(norm_tokens(self.words_said))
        return held and any(len(k) > 5 and f" {k} " in f" {text} " for k in keys)

    def twins(self, name: str) -> bool:
        """Whether an order holds two items of this name (which one is meant is told by how
        the instruction describes it)."""
        return any(products.count(name) > 1 for products in self.me.orders.values())

    def order_meant(self, order: str) -> bool:
        """An order the instruction names, or one holding a product it mentions (even only to
        tell which order it is)."""
        if order.lstrip("#") in self.said:
            return True
        return any(
            wanted_spots(n, self.words_said, self.names) for n in self.me.orders.get(order, [])
        )

    def sentences_naming(self, name: str) -> str:
        return " ".join(s for s in sentences(self.words_said) if is_named(name, s, self.names))

    def prose(self, name: str) -> str:
        return item_prose(name, self.words_said, self.names) or self.said

    def dict_wants(self, name: str, order: str = "") -> list[ItemWant]:
        low = name.lower()
        return [
            w
            for w in item_wants(self.instruction)
            if (w.name.lower() == low or w.name.lower().endswith(" " + low))
            and (not order or not w.order or w.order == order)
        ]

    def wish(
        self, name: str, old: dict[str, str], order: str = "", shown: dict[str, str] | None = None
    ) -> Wish:
        """The item's wished options: a templated target, else the prose about it."""
        offered = [v.options for v in self.variants.get(name.lower(), [])]
        domain = with_colors(option_domain([old, *offered, shown or {}]))
        for key, values in catalogue_options().get(name.lower(), {}).items():
            domain.setdefault(key, set()).update(values)
        wants = self.dict_wants(name, order)
        matching = [w for w in wants if fits(old, w.current, Wish(w.current))] or wants
        if matching and matching[0].has_target:
            return dict_wish(matching[0], old)
        if matching and matching[0].prose:
            return prose_wish(matching[0].prose, old, domain)
        return prose_wish(self.prose(name), old, domain)

    def kinds(self, order: str) -> set[str]:
        """The kinds of write the instruction asks for (an exchange and a change of a pending
        order's items are the same wish; a refund of a pending order is its cancellation)."""
        text = _MIND_CHANGE.sub(" ", self.said)
        kinds = {kind for kind, said in _KIND_SAID.items() if said.search(text)}
        if "exchange" in kinds:
            kinds.add("modify")
        if "return" in kinds and self.me.statuses.get("#" + order, "").startswith("pending"):
            kinds.add("cancel")
        return kinds

    def objection(self, prop: Proposal) -> str | None:
        """What a careful person finds wrong in a proposal, in plain words; None when every
        element of it is what the instruction asks for."""
        verb = _KIND_VERB.get(prop.kind, prop.kind)
        if prop.kind in _KIND_VERB and prop.kind not in self.kinds(prop.order):
            return f"No, I don't want to {verb} that."
        orders = {o.lstrip("#") for o in _ORDER_ID.findall(self.said)}
        if prop.order and orders and prop.order not in orders:
            return f"No, that's not the order I meant; I meant {', '.join('#' + o for o in sorted(orders))}."
        if prop.kind in ("return", "exchange", "modify"):
            return self._items_objection(prop, verb) or self._options_objection(prop)
        return None

    def _items_objection(self, prop: Proposal, verb: str) -> str | None:
        listed = [line.name for line in prop.lines]
        keys = {line.name: [*line.old, *(line.new or {})] for line in prop.lines}
        wanted = [n for n in listed if self.meant(n, keys[n]) and n not in self.dropped]
        wanted = list(dict.fromkeys(wanted + self._missing(prop, listed)))
        only = " and the ".join(wanted)
        if listed and not wanted:
            return f"No, that's not what I asked for; I don't want to {verb} the {listed[0]}."
        for name in listed:
            kept = [ln for ln in prop.lines if ln.name == name and ln.new == ln.old]
            if prop.kind == "modify" and kept and not self.meant(name, keys[name]):
                continue
            if any(name.lower() == d.lower() for d in self.dropped):
                return f"No, I've changed my mind: I don't want to {verb} the {name} after all."
            if not self.meant(name, keys[name]):
                if only:
                    return f"No, I only want to {verb} the {only}, not the {name}."
                return f"No, I didn't ask to {verb} the {name}."
        for name in dict.fromkeys(listed):
            lines = [line for line in prop.lines if line.name == name]
            wants = [w for w in self.dict_wants(name, prop.order) if w.current]
            if wants:
                unmatched = [
                    line
                    for line in lines
                    if not any(fits(line.old, w.current, Wish(w.current)) for w in wants)
                ]
                if unmatched or len(lines) > len(wants):
                    current = ", ".join(f"{k} {v}" for k, v in wants[0].current.items())
                    return f"No, the {name} I mean is the one with {current}."
            elif len(lines) > 1 and not _SEVERAL_SAID.search(self.prose(name)):
                return f"No, I only want to {verb} one {name}."
        missing = self._missing(prop, listed)
        if missing:
            return f"No, I want to {verb} the {only}: the {' and the '.join(missing)} is missing."
        return None

    def _missing(self, prop: Proposal, listed: list[str]) -> list[str]:
        """Items the instruction asks to act on with this proposal (same order, same kind of
        action) that it does not list."""
        family = "exchange" if prop.kind == "modify" else prop.kind
        held = self.me.orders.get("#" + prop.order, [])
        missing = []
        for w in item_wants(self.instruction):
            verb = "exchange" if w.verb in ("modify", "change", "replace", "swap") else w.verb
            if w.order == prop.order and verb == family and w.name not in listed:
                missing.append(w.name)
        every = bool(_EVERY_ITEM.search(self.words_said)) and self.order_meant("#" + prop.order)
        unnamed = [
            t
            for t in sentences(self.words_said)
            if _ACT_SAID[family].search(_MIND_CHANGE.sub(" ", t))
            and not any(is_named(n, t, self.names) for n in self.names)
        ]
        for name in held:
            if name in listed or name in missing or name in self.dropped:
                continue
            if every and _KIND_SAID[family].search(self.words_said):
                missing.append(name)
                continue
            if not self.named(name):
                continue
            if unnamed:
                missing.append(name)
                continue
            prose = final_text(self.sentences_naming(name))
            if prose and _KIND_SAID[family].search(_MIND_CHANGE.sub(" ", prose)):
                missing.append(name)
        return list(dict.fromkeys(missing))

    def _options_objection(self, prop: Proposal) -> str | None:
        for line in prop.lines:
            if line.new is None:
                continue
            wish = self.wish(
                line.name, {} if self.twins(line.name) else line.old, prop.order, line.new
            )
            if not wish.stated and not wish.strict:
                if prop.kind == "exchange" and line.new == line.old:
                    return f"No, I don't want the {line.name} exchanged for the same one."
                continue
            offered = self.variants.get(line.name.lower(), [])
            variants = [(v.options, v.price) for v in offered]
            wish = settle(wish, variants, line.old)
            best = [variants[i][0] for i in best_variants(variants, line.old, wish)]
            ok = fits(line.new, line.old, wish) and (
                not best or any(_same_options(line.new, b) for b in best)
            )
            if not ok:
                return f"No, I want the {line.name} with {describe(wish)}."
        return None


def _same_options(a: dict[str, str], b: dict[str, str]) -> bool:
    return all(k in b and same_value(v, b[k]) for k, v in a.items())


_ITEM_LABEL_OPTS = re.compile(r"^(?P<head>[^(:]+?)\s*\((?P<opts>[^)]*)\)")


def _cancel_reason_said(instruction: str) -> str:
    mistake = re.search(r"\bmistake|\baccident|\bby error\b", instruction, re.I)
    return "I ordered it by mistake." if mistake else "I no longer need it."


def _dropped_label(label: str, reading: Reading) -> bool:
    head = re.split(r"\s[(-]|:", label, maxsplit=1)[0].strip().lower()
    return any(head == d.lower() for d in reading.dropped)


_PERSON_PLEASE = "I'd like to talk to a person, please."


_APOLOGY = re.compile(
    r"\bsorry\b|\bfrustrat|\bannoying\b|\basked about this\b|\bI understand\b", re.I
)


def _turn_key(bot_text: str, choices: list[str]) -> str:
    """A bot turn without its apologies, with its choices."""
    kept = [s for s in sentences(bot_text) if not _APOLOGY.search(s)]
    return " ".join(kept) + " | " + " | ".join(choices)


@dataclass
class Customer:
    """One scripted customer for one task."""

    instruction: str
    me: Identity
    pending: list[list[str]] = field(default_factory=list)
    said_requests: int = 0
    done: bool = False
    current: str = ""
    seen_items: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    mentioned_at_confirmation: bool = False
    changed_mind: bool = False
    #: the proposals declined so far (a second showing of one asks for a person)
    declined: list[str] = field(default_factory=list)
    #: every bot turn heard (its question and choices)
    heard: list[str] = field(default_factory=list)
    reading: Reading = field(init=False)

    def __post_init__(self) -> None:
        self.pending = requests(self.instruction)
        self.reading = Reading(self.instruction, self.me)

    def opening(self) -> str:
        return self._next_request() or UNSURE

    def _next_request(self) -> str | None:
        if not self.pending:
            return None
        self.said_requests += 1
        self.current = " ".join(self.pending.pop(0))
        return self.current

    def confirm(self, proposal: str) -> str:
        """Yes, or no with what is wrong, or the change the instruction asks to bring up; a
        proposal declined once and shown again unchanged asks for a person."""
        answer = self._judge(proposal)
        if answer.lower().startswith("no"):
            prop = read_proposal(proposal)
            if prop.text in self.declined:
                return _PERSON_PLEASE
            self.declined.append(prop.text)
        return answer

    def _judge(self, proposal: str) -> str:
        changed = None if self.changed_mind else mind_change(proposal, self.instruction)
        if changed:
            self.changed_mind = True
            return changed
        extra = at_confirmation(self.instruction)
        prop = read_proposal(proposal)
        if extra and not self.mentioned_at_confirmation:
            self.mentioned_at_confirmation = True
            if not self._already_in(extra, prop):
                return extra
        if prop.kind == "other" and not consistent(proposal, self.instruction):
            return "no"
        objection = self.reading.objection(prop)
        if objection:
            return objection
        if extra and not words(extra) & words(" ".join(_LISTED.findall(proposal))) - {"return"}:
            return "No, " + extra[:1].lower() + extra[1:]
        wanted = wanted_payment(self.instruction, self.me.payment_methods)
        if wanted and wanted != "original" and prop.destination:
            named = wanted.lower() in prop.destination.lower()
            card = wanted == "credit card" and re.search(r"\bending \d{4}", prop.destination)
            if not named and not card:
                return f"No, I want that to go to my {wanted}."
        reason = cancel_reason([prop.reason], self.instruction) if prop.reason else ""
        if prop.kind == "cancel" and prop.reason and reason is None:
            return "No, that's not my reason: " + _cancel_reason_said(self.instruction)
        return "yes"

    def _already_in(self, extra: str, prop: Proposal) -> bool:
        """Whether the proposal already lists every product the thing to bring up names."""
        names = [n for n in self.reading.names if is_named(n, extra, self.reading.names)]
        listed = {line.name for line in prop.lines}
        return bool(names) and set(names) <= listed

    def choose(self, bot_text: str, choices: list[str]) -> str:
        """The answer to a question offering choices."""
        remember_items(choices, self.seen_items)
        variant_answer = self._pick_variant(choices)
        if variant_answer:
            return variant_answer
        option = pick_option(choices, self.instruction, self.seen_items, self.current)
        context = self.current or self.instruction
        direct = (
            option
            or cancel_reason(choices, self.instruction)
            or payment_choice(choices, context, self.me)
            or payment_choice(choices, self.instruction, self.me)
            or _first_payment(choices)
        )
        if direct:
            return re.sub(r"\s+-\s+\$[\d,.]+\s*$", "", direct)
        by_status = self._action_by_status(choices)
        if by_status:
            return by_status
        not_mine = self._none_of_these_orders(choices)
        if not_mine:
            return not_mine
        holding = self._order_holding_wanted(choices)
        if holding:
            return holding
        picked = pick_choices(bot_text, choices, context)
        if not picked and context != self.instruction:
            picked = pick_choices(bot_text, choices, self.instruction)
        if not picked:
            held = order_choice(choices, context, self.me)
            picked = [held] if held else []
        if not picked:
            heads = {c: _ITEM_LABEL_OPTS.match(c) for c in choices}
            picked = [c for c, m in heads.items() if m and self.reading.named(m["head"].strip())]
        picked = self._the_ones_meant(picked, choices)
        if picked and self.changed_mind and all(_dropped_label(c, self.reading) for c in picked):
            return self._move_on()
        all_asked = re.search(r"\ball of them\b", bot_text)
        if len(picked) > 1 and all_asked and _ALL_ITEMS.search(self.instruction):
            return "all of them"
        if picked:
            return " and ".join(spoken(c, choices) for c in picked)
        question = bot_text.strip().splitlines()[-1] if bot_text.strip() else ""
        repeated = question in self.asked
        self.asked.append(question)
        offered = [c for c in choices if not _PERSON_CHOICE.search(c) and not _ALL_LABEL.match(c)]
        if any(_ITEM_LABEL_OPTS.match(c) or _ORDER_LABEL.match(c) for c in offered):
            return (self.current or UNSURE) if repeated else UNSURE
        return spoken(offered[0], choices) if repeated and offered else UNSURE

    def _pick_variant(self, choices: list[str]) -> str | None:
        """Among one item's offered variants, the one the instruction finally wants; when none
        fits, what is wanted instead; None when the choices are not variants."""
        variants = [v for v in (read_variant(c) for c in choices) if v]
        if not variants:
            return None
        head = variants[0].head
        self.reading.variants[head.lower()] = variants
        if any(head.lower() == d.lower() for d in self.reading.dropped):
            if self.changed_mind:
                return self._move_on()
            self.changed_mind = True
            return f"I've changed my mind: I don't want to exchange the {head} after all."
        if not self.reading.meant(head, list(option_domain([v.options for v in variants]))):
            return self._leave_as_is(head, variants)
        same = next((v for v in variants if v.same), None)
        old = same.options if same else self._current_options(head)
        wish = self.reading.wish(head, {} if self.reading.twins(head) else old)
        if self._twin_not_meant(head, old, wish):
            return self._leave_as_is(head, variants)
        if not wish.stated and not wish.strict:
            return self._leave_as_is(head, variants)
        offered = [(v.options, v.price) for v in variants]
        wish = settle(wish, offered, old)
        best = best_variants(offered, old, wish)
        if not best:
            return f"None of those is what I want: I'd like the {head} with {describe(wish)}."
        return variants[best[0]].label

    def _order_holding_wanted(self, choices: list[str]) -> str | None:
        """The one offered order that holds a product the instruction asks about."""
        if not choices or not all(_ORDER_LABEL.match(c) for c in choices):
            return None
        wanted = {n for n in self.reading.names if self.reading.named(n)}
        holding = [
            c
            for c in choices
            if wanted & set(self.me.orders.get("#" + re.findall(r"W\d{7}", c)[0], []))
        ]
        return re.findall(r"#?W\d{7}", holding[0])[0] if len(holding) == 1 else None

    def _none_of_these_orders(self, choices: list[str]) -> str | None:
        """When every offered order is one the instruction cannot mean (not the one it names,
        holding none of the products it asks about), what a person says instead."""
        if not choices or not all(_ORDER_LABEL.match(c) for c in choices):
            return None
        said = self.reading.said
        ids = {o.lstrip("#") for o in _ORDER_ID.findall(said)}
        ends = _ENDS_IN.findall(said)
        wanted = [n for n in self.reading.names if self.reading.named(n)]
        for choice in choices:
            order = re.findall(r"W\d{7}", choice)[0]
            held = self.me.orders.get("#" + order, [])
            if order in ids or any(order.endswith(e) for e in ends):
                return None
            if not ids and not ends and (not wanted or set(wanted) & set(held)):
                return None
        what = f" with the {' and the '.join(wanted)}" if wanted else ""
        ending = f", the one ending in {ends[0]}" if ends else ""
        return f"None of those: it's my order{what}{ending}."

    def _twin_not_meant(self, head: str, old: dict[str, str], wish: Wish) -> bool:
        """Of two items with one name in an order, the one the instruction does not describe
        ("the stainless steel drip one" is not the black french press)."""
        if not self.reading.twins(head) or not wish.described or not old:
            return False
        said = [v for vs in wish.described.values() for v in vs]
        return not any(same_value(v, o) for v in said for o in old.values())

    def _leave_as_is(self, head: str, variants: list[Variant]) -> str:
        """An item not to change: "keep as it is" for an order not yet shipped (the change
        leaves it alone); for a delivered one, say so (an exchange for the same is no no-op)."""
        keep = next((v for v in variants if v.same and "keep" in v.label.lower()), None)
        held = [o for o, products in self.me.orders.items() if head in products]
        pending = any(self.me.statuses.get(o, "").startswith("pending") for o in held)
        return keep.label if keep and pending else self._only(head)

    def _only(self, head: str) -> str:
        """What a person says when asked about an item they did not bring up."""
        meant = [n for n in self.reading.names if self.reading.named(n) and n != head]
        said = f"{self.current} {self.reading.said}"
        verb = next((v for v in ("exchange", "return", "modify") if v in said.lower()), "")
        if not verb and _KIND_SAID["exchange"].search(said):
            verb = "exchange"
        if meant and verb:
            return f"I only want to {verb} the {' and the '.join(meant)}, not the {head}."
        return f"I don't want to change the {head}."

    def _move_on(self) -> str:
        """The next request, or the end when none is left."""
        self.changed_mind = False
        nxt = self._next_request()
        self.done = nxt is None
        return nxt or END

    def _action_by_status(self, choices: list[str]) -> str | None:
        """A refund asked for a product of an order not yet delivered is its cancellation; of
        a delivered one, its return (a person knows whether their order has arrived)."""
        text = self.reading.said
        if not re.search(r"\brefund|\bmoney back\b|\bdon'?t (?:want|need)\b", text, re.I):
            return None
        if re.search(r"\breturn|\bcancel|\bsend (?:it|them) back\b", text, re.I):
            return None
        names = [n for n in self.reading.names if self.reading.named(n)]
        holding = {o for o, products in self.me.orders.items() if set(products) & set(names)}
        statuses = {self.me.statuses.get(o, "") for o in holding}
        if not statuses:
            return None
        word = "cancel" if all(s.startswith("pending") for s in statuses) else None
        if all(s == "delivered" for s in statuses):
            word = "return"
        return next((c for c in choices if word and re.search(rf"\b{word}", c, re.I)), None)

    def _current_options(self, head: str) -> dict[str, str]:
        seen = self.seen_items.get(head.lower())
        if seen:
            return parse_options(", ".join(seen))
        wants = self.reading.dict_wants(head)
        return dict(wants[0].current) if wants else {}

    def _the_ones_meant(self, picked: list[str], choices: list[str]) -> list[str]:
        """Of offered items sharing a name, the ones whose options the instruction names; of
        items picked by a word of another's options (a ``wireless`` mouse is no earbuds), the
        ones the instruction names."""
        heads = {c: _ITEM_LABEL_OPTS.match(c) for c in picked}
        named = [c for c, m in heads.items() if m and self.reading.named(m["head"].strip())]
        if named and all(heads.values()):
            picked = named
        out = []
        for label in picked:
            match = _ITEM_LABEL_OPTS.match(label)
            if not match:
                out.append(label)
                continue
            name = match["head"].strip()
            wants = [w for w in self.reading.dict_wants(name) if w.current]
            twins = [c for c in choices if c != label and c.startswith(name + " (")]
            opts = parse_options(match["opts"])
            if wants and twins:
                if not any(fits(opts, w.current, Wish(w.current)) for w in wants):
                    continue
            elif twins and self._twin_not_meant(name, opts, self.reading.wish(name, {}, "", opts)):
                continue
            out.append(label)
        return out or picked

    def reply(self, bot_text: str, choices: list[str]) -> str:
        """The answer to the bot's last turn (its texts joined) and the choices it offered;
        the same question three times in a row (or five in all) asks for a person rather than
        loop."""
        turn = _turn_key(bot_text, choices)
        self.heard.append(turn)
        if self.heard[-3:] == [turn] * 3 or self.heard.count(turn) >= 5:
            return _PERSON_PLEASE
        if choices and is_confirmation(choices):
            return self.confirm(bot_text)
        answer = identity_answer(bot_text, self.me) if "?" in bot_text or not choices else None
        if answer and not choices:
            return answer
        if choices and self.changed_mind and any(_PERSON_CHOICE.search(c) for c in choices):
            self.changed_mind = False
            nxt = self._next_request()
            self.done = nxt is None
            return nxt or END
        if choices:
            return self.choose(bot_text, choices)
        suggested = _SUGGESTION.search(bot_text)
        if suggested and _GOAL_ITEMS.search(self.current) and suggested[0] not in self.asked:
            self.asked.append(suggested[0])
            return f"Okay, then I'd like to {suggested['what']} instead."
        if _ANYTHING_ELSE.search(bot_text):
            nxt = self._next_request()
            if nxt is None:
                self.done = True
                return END
            return nxt
        if "?" in bot_text:
            return free_answer(bot_text, self.instruction)
        nxt = self._next_request()
        if nxt is None:
            self.done = True
            return END
        return nxt
