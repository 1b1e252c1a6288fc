"""What an airline instruction asks for: which request (and the request in plain words), how
many bags, whether to insure, why the trip is cancelled, a passenger's correction, and the
payment methods it names among those offered."""

from __future__ import annotations

import re

from .airline_trips import NAME
from .instruction import sentences

_NEGATED = re.compile(r"\b(?:not|n't|never|no longer want to)\s+(?:\w+\s+){0,2}$", re.I)


def _said(pattern: str, text: str) -> bool:
    """Whether the text says it, not negated just before ("do not want to cancel")."""
    for m in re.finditer(pattern, text, re.I):
        if not _NEGATED.search(text[max(0, m.start() - 30) : m.start()]):
            return True
    return False


_MONTH_WORDS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
_BAGS = r"\b(?:checked )?(?:bags?|suitcases?|luggage|baggage)\b"
#: (label words, what the instruction says for that request, weight)
_REQUESTS: list[tuple[str, str, float]] = [
    (r"compensation", r"\bcompensat|\bgesture\b|\bvoucher\b|\bsomething for the trouble\b", 6),
    (
        r"already started",
        r"\balready (?:flew|flown|used|taken)\b|\bused the (?:first|outbound)\b",
        6,
    ),
    (
        r"\bcancel a reservation\b",
        r"\bcancel (?:it|that|the|this|my|our|your|a)\b|\bto cancel\b"
        r"|\b(?:want|need|like|get)\w* (?:it|that|this|the|my|our|your)(?: \w+){0,2} cancell?ed\b",
        3,
    ),
    (
        r"\bbook\b",
        r"\b(?:want|like|need)s? to book\b|\bbook (?:a|an|me|two|three)\b|\bnew booking\b"
        r"|^book\b|[.;] book\b|\bbook (?:you|me|us|him|her|them|my|our|I)\b"
        r"|\b(?:need|want|like)s? an? (?:new |one-way |round[- ]trip )+flight\b"
        r"|\b(?:need|want|like)s? (?:a|an|two|three) (?:[\w-]+ ){0,4}tickets?\b",
        3,
    ),
    (
        r"change my flights",
        r"\binstead\b|\bpush\b|\breschedul|\bdifferent (?:flight|date)s?\b|\bfly out on\b"
        r"|\brather (?:leave|fly|depart|go)\b|\b(?:later|earlier) (?:date|day|flight)\b"
        r"|\b(?:switch|change|move) to the (?:cheapest|nonstop|earlier|later)\b"
        r"|\b(?:change|move) (?:my|the|their|his|her) (?:flight|date)s?\b"
        rf"|\bmove (?:her|him|them|me|us|it|the trip|the flight|my flight) (?:up |back )?to "
        rf"(?:(?:a|an|the) )?(?:\d|earlier|later|next|following|{_MONTH_WORDS}|flight|date|day)",
        3,
    ),
    (
        r"cabin",
        r"\bupgrade\b|\bdowngrade\b|\b(?:change|switch)\w* (?:the |my |our )?cabin\b|\bcabin class\b|\b(?:up|move\w*) (?:\w+ )*?to (?:regular )?(?:business|economy)\b",
        4,
    ),
    (
        r"\badd a checked bag\b",
        rf"\b(?:want|need|add|bring|take)\w*\b[^.]*{_BAGS}[^.]*\bin total\b"
        rf"|\b(?:want|need|add|bring|take)\w*\b[^.]*\b(?:more|extra|additional|another)\b[^.]*{_BAGS}"
        rf"|\badd(?:ing|ed)?\b[^.]*?{_BAGS}",
        3,
    ),
    (
        r"remove a checked bag",
        rf"\bremov\w*\b[^.]*{_BAGS}|{_BAGS}[^.]*\bremov|\bonly need one\b",
        5,
    ),
    (
        r"allowance",
        r"\bhow many\b[^.]*\b(?:free|without paying|at no (?:extra )?(?:cost|charge)|included)\b"
        r"|\ballowance\b|\bwhat an extra bag costs\b",
        5,
    ),
    (
        r"correct a passenger",
        r"\bmisspel|\bshould be\b|\breplaced? (?:by|with)\b|\btake (?:his|her|their) place\b"
        r"|\bwrong (?:name|date of birth)\b",
        5,
    ),
    (
        r"number of passengers",
        r"\badd\b[^.]{0,40}\bto (?:my|your|the|our) (?:existing )?(?:reservation|booking)",
        4,
    ),
    (r"look up", r"\bdetails\b|\bforgot\b|\bwhich day\b|\blook up\b|\bwhat (?:time|date)\b", 2),
    (r"status", r"\bstatus\b|\bon time\b|\bexpected to (?:leave|depart|arrive)\b", 3),
    (r"insurance", r"\binsurance\b", 0.5),
    (r"refund arrives", r"\bwhen\b[^.]*\brefund\b", 1),
    (r"complaint", r"\bcomplain", 1),
    (r"lost or damaged", r"\blost\b|\bdamaged\b|\bbroken\b", 2),
]


def request_score(label: str, text: str) -> float:
    """How much the instruction asks for the request a label names (an intent's label)."""
    score = 0.0
    for label_words, said_as, weight in _REQUESTS:
        if re.search(label_words, label, re.I) and _said(said_as, text):
            if label_words == r"\badd a checked bag\b" and (
                _said(_REQUESTS[7][1], text) or _said(_REQUESTS[3][1], text)
            ):
                continue
            if label_words == r"number of passengers" and re.search(_BAGS, text, re.I):
                continue
            score = max(score, weight)
    return score


def names_a_request(label: str) -> bool:
    """Whether a choice label names one of the requests a traveller makes."""
    return any(re.search(label_words, label, re.I) for label_words, _, _ in _REQUESTS)


#: the request in plain words, for a bot that did not understand it the first time
_PLAIN = {
    "compensation": "I'd like compensation for a cancelled or delayed flight.",
    "cancel a reservation": "I'd like to cancel a reservation.",
    "book a new flight": "I'd like to book a new flight.",
    "change my flights": "I'd like to change my flights.",
    "cabin": "I'd like to change the cabin class of my reservation.",
    "add a checked bag": "I'd like to add checked bags to my reservation.",
    "remove a checked bag": "I'd like to remove a checked bag.",
    "allowance": "How many checked bags are free?",
    "correct a passenger": "I need to correct a passenger's details on my reservation.",
    "number of passengers": "I'd like to add a passenger to my reservation.",
    "look up": "I'd like to look up my reservation.",
    "status": "I'd like to check the status of my flight.",
}


def plain_request(text: str) -> str | None:
    """The request the text asks for most, in plain words."""
    scored = [(request_score(label, text), phrase) for label, phrase in _PLAIN.items()]
    best = max(scored, default=(0.0, ""))
    return best[1] if best[0] > 0 else None


_NUMBER = {
    "no": 0,
    "zero": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
}


#: no checked bag at all ("you will not check any bags", "hand luggage only")
_NO_BAGS = re.compile(
    r"\b(?:not|n't|never) (?:\w+ )?(?:check|bring|take)\w* (?:any )?(?:checked )?"
    r"(?:bags?|luggage|baggage|suitcases?)\b"
    r"|\b(?:hand|carry-?on) (?:luggage|baggage|bags?) only\b"
    r"|\bonly (?:a |with )?(?:hand|carry-?on) (?:luggage|baggage|bags?)\b",
    re.I,
)


def wanted_bags(text: str, held: int = 0) -> int | None:
    """The number of checked bags the instruction settles on ("three checked bags in total",
    none for "you will not check any bags"); bags "more" than a trip ``held`` are added to them
    ("two more bags", "add two bags")."""
    counts = []
    number = r"\b(no|zero|one|a|an|two|three|four|five|\d)\s+"
    for m in re.finditer(
        number + r"(?:more|extra|additional|other)\s+(?:checked\s+)?(?:bags?|suitcases?)\b",
        text,
        re.I,
    ):
        value = _NUMBER.get(m.group(1).lower(), 1 if m.group(1).lower() == "an" else None)
        counts.append((False, m.start(), held + (int(m.group(1)) if value is None else value)))
    for m in re.finditer(
        number + r"(?:checked\s+)?(?:bags?|suitcases?|pieces of luggage)\b", text, re.I
    ):
        value = _NUMBER.get(m.group(1).lower())
        value = int(m.group(1)) if value is None else value
        total = bool(re.match(r"[^.]{0,25}\b(?:in total|between)", text[m.end() :]))
        added = re.search(r"\badd(?:ing)?\s+(?:\w+\s+)?$", text[max(0, m.start() - 20) : m.start()])
        counts.append((total, m.start(), value + (held if added and not total else 0)))
    for m in _NO_BAGS.finditer(text):
        counts.append((False, m.start(), 0))
    if not counts:
        return None
    totals = [c for c in counts if c[0]]
    return sorted(totals or counts)[-1][2]


def wanted_insurance(text: str) -> str | None:
    """Yes or no to travel insurance, as the instruction finally decides."""
    stance = None
    for sentence in sentences(text):
        if not re.search(r"\binsurance\b", sentence, re.I):
            continue
        last = re.split(r",? but |; ", sentence)[-1]
        if re.search(r"\binsurance\b|\bit\b", last, re.I):
            negative = re.search(r"\b(?:no|not|without|neither|nor|refuse\w*)\b|n't\b", last, re.I)
            stance = "no" if negative else "yes"
    return stance


#: a cause the instruction denies ("if asked whether the reason is health or weather, you say
#: no", "it is not because of health")
_DENIED_CAUSE = re.compile(
    r"[^.;]*\bif (?:you are |you're |you get )?asked (?:whether|if)\b[^.;]*\b(?:say|answer)s? no\b[^.;]*"
    r"|\b(?:not|neither)\s+(?:because of |due to |for |about )?(?:the |your |any )?"
    r"(?:health|weather|sickness|illness)\b(?:\s+(?:or|nor)\s+(?:health|weather))?",
    re.I,
)


def wanted_reason(text: str) -> str:
    """Why the trip is cancelled, in the words the pack's question offers (a cause the
    instruction denies is none)."""
    text = _DENIED_CAUSE.sub(" ", text)
    if re.search(r"\bairline cancel|\bcancel\w* by the airline\b|\byou cancel", text, re.I):
        return "the airline cancelled the flight"
    if re.search(r"\bhealth\b|\bsick\b|\bill(?:ness)?\b|\bflu\b|\bdoctor\b|\binjur", text, re.I):
        return "health reasons, I'm sick"
    if re.search(r"\bweather\b|\bstorm\b|\bsnow\b|\bhurricane\b", text, re.I):
        return "bad weather"
    if re.search(
        r"\bplans? (?:have |has )?changed\b|\bchange of plans?\b|\bcalled off\b", text, re.I
    ):
        return "change of plan"
    return "another reason"


def passenger_change(text: str) -> tuple[str, str, str | None] | None:
    """(old name, new name, new date of birth or None) of a passenger correction."""
    born = re.search(
        rf"(?P<old>{NAME})'s (?:date of birth|birth ?date|dob|birthday)\b[^.]*?"
        r"\b(?:should be|is actually|is really|is in fact|to) (?P<dob>(?:19|20)\d\d-\d\d-\d\d)",
        text,
    ) or re.search(
        rf"\b(?:date of birth|birth ?date|dob|birthday) of (?P<old>{NAME})\b[^.]*?"
        r"\b(?:should be|is actually|is really|is in fact|to) (?P<dob>(?:19|20)\d\d-\d\d-\d\d)",
        text,
    )
    if born:
        return born["old"], born["old"], born["dob"]
    patterns = [
        rf"(?P<old>{NAME}) should be (?P<new>{NAME})",
        rf"(?P<old>{NAME}) (?:to be )?replaced (?:by|with) (?P<new>{NAME})",
        rf"replace (?P<old>{NAME}) (?:by|with) (?P<new>{NAME})",
    ]
    for pattern in patterns:
        m = re.search(pattern, text)
        if m:
            born = re.search(
                rf"{re.escape(m['new'])},? (?:\w+ )?born (?:on )?(20\d\d-\d\d-\d\d|19\d\d-\d\d-\d\d)",
                text,
            )
            return m["old"], m["new"], born.group(1) if born else None
    return None


# --- payment ------------------------------------------------------------------------------------

CARD = re.compile(
    r"\b(visa|mastercard|amex|discover)\b(?:[^.]{0,25}?\bending (?:in )?(\d{4}))?", re.I
)


#: every method of a kind ("use up both of your gift cards", "all your gift cards")
_EVERY_ONE = re.compile(r"\b(?:both|all|two|three|each)\s+(?:of\s+)?(?:(?:your|my|the)\s+)?$", re.I)


def wanted_methods(text: str) -> dict[str, int]:
    """How many payment methods of each kind the instruction pays with (``gift card``,
    ``card``, ``certificate``): two gift cards for "use up both of your gift cards"."""
    counts: dict[str, int] = {}
    if CARD.search(text) or re.search(r"\bcredit card\b", text, re.I):
        counts["card"] = 1
    for kind, pattern in (
        ("gift card", r"\bgift ?cards?\b"),
        ("certificate", r"\bcertificates?\b"),
    ):
        for m in re.finditer(pattern, text, re.I):
            every = _EVERY_ONE.search(text[max(0, m.start() - 30) : m.start()])
            number = {"two": 2, "three": 3}.get(every[0].split()[0].lower(), 2) if every else 1
            counts[kind] = max(counts.get(kind, 0), number)
    return counts


def payment_labels(choices: list[str], text: str) -> list[str]:
    """The offered payment methods the instruction names, in the order it names them."""
    picked: list[tuple[int, str]] = []
    for m in CARD.finditer(text):
        brand, last = m.group(1).lower(), m.group(2)
        hits = [c for c in choices if c.lower().startswith(brand) and (not last or last in c)]
        if len(hits) == 1:
            picked.append((m.start(), hits[0]))
    for m in re.finditer(r"\bcredit card\b", text, re.I):
        cards = [c for c in choices if re.search(r"\bending \d{4}\b", c)]
        if len(cards) == 1:
            picked.append((m.start(), cards[0]))
    for kind, pattern in (
        ("gift card", r"\bgift ?cards?\b"),
        ("certificate", r"\bcertificates?\b"),
    ):
        for m in re.finditer(pattern, text, re.I):
            near = text[max(0, m.start() - 40) : m.end() + 40]
            amounts = re.findall(r"\$(\d+)", near)
            hits = [c for c in choices if kind in c.lower()]
            exact = [c for c in hits if any(f"${a}" in c for a in amounts)]
            every = _EVERY_ONE.search(text[max(0, m.start() - 30) : m.start()])
            hits = hits if every and not exact else exact or hits
            if len(hits) == 1 or (every and hits):
                picked += [(m.start(), hit) for hit in hits]
    ordered: list[str] = []
    for _, label in sorted(picked):
        if label not in ordered:
            ordered.append(label)
    return ordered


def spoken_payment(label: str) -> str:
    return re.sub(r"\s*\(\$[\d.,]+(?: left)?\)$", "", label) if "ending" in label else label
