"""Which offered labels a customer's words pick: the words that tell one label from another
(not prices, not filler), an id told by its last digits, several labels at once or "all of
them". Pure text matching for the guided actions (``policy/guided.py``)."""

from __future__ import annotations

import re

from warmline.domain.dates import MONTH_NAME, month_number
from warmline.policy.copies import copies_said, held

ALL_LABEL = "All of them"
"""The extra choice offered with a ``many`` question of more than one label: every label."""

ALL_WORDS = re.compile(r"\b(all|both|everything|every one|each of them|the lot)\b", re.I)
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "my",
        "me",
        "i",
        "to",
        "from",
        "of",
        "on",
        "in",
        "for",
        "with",
        "it",
        "its",
        "is",
        "be",
        "please",
        "want",
        "would",
        "like",
        "return",
        "refund",
        "back",
        "send",
        "that",
        "this",
        "those",
        "these",
        "them",
        "one",
        "ones",
        "order",
        "item",
        "items",
        "trip",
        "flight",
        "flights",
        "reservation",
        "booking",
        "full",
        "same",
        "exact",
        "also",
        "each",
        "per",
    ]
)
DATE = re.compile(
    r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b"
    rf"|\b(?P<name>{MONTH_NAME})\.?\s+(?P<nday>\d{{1,2}})(?:st|nd|rd|th)?\b(?![:.]\d)"
    rf"|\b(?P<dayn>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<namen>{MONTH_NAME})\b",
    re.I,
)
"""A date, as "2024-05-20", "May 20", "May 20th" or "20th of May". A date said is matched only
against labels that hold a date, whatever its form: "2024-05-20" is no 20:00, and picks the
trip of "May 20"."""
_MONEY = re.compile(r"\$?\d[\d,]*\.\d\d\b")
_ENDING = re.compile(
    r"\b(?:ends?|ending|last(?:\s+\w+)?\s+digits?(?:\s+are)?)(?:\s+(?:in|with|on|of))?\s+#?(\d{2,})\b",
    re.I,
)
"""An id told by its last digits: "the order number ends in 66", "ending with 0166"."""


def _day(match: re.Match[str]) -> str:
    """A date as one word of its month and day ("on0520"), whatever form it was written in; a
    year said is not needed to match a label that leaves it out."""
    name = match["name"] or match["namen"]
    month = (month_number(name) or 0) if name else int(match["month"])
    day = int(match["day"] or match["nday"] or match["dayn"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return " "
    return f" on{month:02d}{day:02d} "


def _tokens(text: str) -> set[str]:
    """The words of a text that can tell one label from another (no prices, no filler); a date
    is one word, whatever its form."""
    words = re.findall(r"[a-z0-9]+", _MONEY.sub(" ", DATE.sub(_day, text)).lower())
    found = set()
    for word in words:
        if word in _STOP or (len(word) < 3 and not word.isdigit()) or len(word) < 2:
            continue
        found.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return found


_CLAUSE_END = r"(?=,\s*(?:I|I'd|I'm|I'll|I've|but|so|and I|we|please)\b|[.;!?]|$)"
ORDER_DESCRIBED = re.compile(
    r"(?:\b(?:order|purchase|package|parcel|delivery|shipment)\s+(?:that\s+|which\s+)?"
    r"(?:had|has|with|contained|containing|contains|including|included)\b"
    r"|\b(?:came|arrived|shipped|ordered|bought)\s+(?:together\s+)?with\b"
    r"|\bin the same (?:order|package|parcel) as\b"
    r"|\b(?:keep|keeping|hold on to|holding on to)\b)"
    r"[^.;!?]*?" + _CLAUSE_END,
    re.I,
)
"""Words that name no item to choose: a record told by what else it holds ("my order that
had the pet bed in it", "the one that came with the dumbbells") and what the customer keeps
("I'll keep the clock")."""
_ALL_PHRASE = re.compile(
    r"\b(all of them|both of them|all (?:the|my|of the|\w+) (?:items|things)|every (?:item|one)"
    r"|the lot|the whole (?:order|lot))\b",
    re.I,
)
_ALL_VERB = re.compile(
    r"\b(?:return|exchange|send|refund|swap|change|replace|cancel)\w*\s+(?:back\s+)?"
    r"(?:them\s+)?(?:all|both|everything)\b(?!\s+(?:the|my|of|your)\b)",
    re.I,
)


_CHOOSING = r"(?:want|need|like|take|use|pick|choose|add|buy|get|pay|care for|go for)"
_DENIED = re.compile(
    r"(?:\b(?:no|without|never|no longer)\b"
    r"|(?<!\bdo )(?<!\bdoes )(?<!\bdid )(?<!\bwill )(?<!\bwould )\bnot\b"
    r"|\b(?:(?:do|does|did|will|would)(?:n't| not)|don't|won't)\s+(?:really\s+)?"
    + _CHOOSING
    + r"\b)"
    r"[^,;.!?]*?(?=[,;.!?]|\bbut\b|\binstead\b|\band (?:I|we|you|put|use|pay)\b|$)",
    re.I,
)
"""What the customer denies, to the end of its clause: "No travel insurance", "I don't want
the red one", "without bags and I'll pay..." name no label they want. A negated verb that is not
one of choosing tells what is wrong with a thing, not a refusal of it: "my cat won't sleep on
the pet bed", "the lamp does not turn on" still name the pet bed and the lamp."""


def says_all(text: str) -> bool:
    """Whether the text asks for every label: "all of them", "both", "return everything"; a
    word for all in a longer sentence ("it doesn't fit everything I carry") does not."""
    if _ALL_PHRASE.search(text) or _ALL_VERB.search(text):
        return True
    clauses = re.split(r"[.,;!?]|\b(?:and|but)\b", text)
    return any(ALL_WORDS.search(c) and len(c.split()) <= 4 for c in clauses)


def pick(text: str, labels: tuple[str, ...], many: bool) -> list[int]:
    """The labels the text clearly picks: for one value a single best match, for several every
    label it names ("all of them", "both": every one); empty when it picks none clearly. Of
    several, a label is listed once per copy meant (``copies_said``): "both water bottles"
    lists the one label of the two water bottles twice."""
    if not labels:
        return []
    counts, said = copies_said(text, labels) if many else ({}, text)
    if many and says_all(said):
        return every(labels, counts)
    exact = [i for i, label in enumerate(labels) if label.lower() == text.strip().lower()]
    if exact:
        return exact[:1]  # a tap: one copy of an item held more than once
    text = said
    text = _DENIED.sub(" ", text)
    if any(label.endswith(YOU) for label in labels):
        return _people(text, labels, many)
    picked = _matched(text, labels, many)
    return [i for i in picked for _ in range(counts.get(i, 1))]


def every(labels: tuple[str, ...], counts: dict[int, int] | None = None) -> list[int]:
    """Every label but "All of them", each once per copy it offers (or per copy said)."""
    counts = counts or {}
    return [
        i
        for i, label in enumerate(labels)
        if label != ALL_LABEL
        for _ in range(counts.get(i, held(label)))
    ]


YOU = " (you)"
"""The end of the label of the verified customer's own entry among people to pick."""
_SELF = re.compile(
    r"(?P<before>\w+\s+)?\b(?:me|myself)\b|\balone\b|\bsolo\b|\bjust I\b|\bonly I\b"
    r"|\band I\b(?!'| (?:am|want|would|need|have|will)\b)|^\s*I\s*[.!]?\s*$|\bI and\b"
    r"|\bI(?:'m| am) (?:the only one )?(?:travel+ing|flying|going)\b",
    re.I,
)
"""Words for the customer as one of the people meant: "me", "myself", "just me", "alone",
"Olivia and I"; not "let me", "tell me" nor "book me a flight" (who travels is asked)."""
_NOT_SELF = frozenset(
    [
        "let",
        "tell",
        "give",
        "show",
        "send",
        "help",
        "ask",
        "book",
        "get",
        "find",
        "buy",
        "reserve",
        "call",
        "email",
        "text",
    ]
)


def _says_self(text: str) -> bool:
    """Whether the text names the customer among the people meant (``_SELF``)."""
    for match in _SELF.finditer(text):
        before = (match["before"] or "").strip().lower()
        listed = re.match(r"\s*(?:and|,|&)", text[match.end() :])  # "book me and Olivia"
        if before not in _NOT_SELF or listed:
            return True
    return False


_PERSON = re.compile(
    r"(?<!\bfrom )(?<!\bto )(?<!\bin )(?<!\bat )(?<!\bvia )\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+\b"
)
"""A person named by first and last name, "Olivia Taylor"."""


def _people(text: str, labels: tuple[str, ...], many: bool) -> list[int]:
    """The people the text picks: by name, and the customer's own entry by "me", "myself";
    none (ask) when a person named by name matches no entry: never fewer than were named."""
    names = [label.removesuffix(YOU) for label in labels]
    picked = set(_matched(text, tuple(names), many))
    if _says_self(text):
        picked |= {i for i, label in enumerate(labels) if label.endswith(YOU)}
    said = {m.group(0).lower() for m in _PERSON.finditer(text)}
    unknown = [n for n in said if not any(n in name.lower() for name in names)]
    if unknown or (picked and not many and len(picked) > 1):
        return []
    return sorted(picked)


def _matched(text: str, labels: tuple[str, ...], many: bool) -> list[int]:
    """The labels the text's words pick, ``pick`` less its shortcuts."""
    own = [_tokens(label) for label in labels]
    said = _tokens(text) | _by_ending(text, own)
    common = set.intersection(*own) if len(own) > 1 else set()
    names = _name_words(text)
    matched = [
        frozenset(((tokens - common) & said) - (_code_words(label) & names))
        for tokens, label in zip(own, labels, strict=True)
    ]
    hits = [i for i, m in enumerate(matched) if m]
    if not hits:
        return []
    if many:
        # a word shared with a better match is that one's ("size" of "sneakers size 10" is not
        # the air purifier's "room size")
        hits = [i for i in hits if not any(matched[i] < matched[j] for j in hits)]
        # items named by their names: one matched only by an option word ("red" of the chair,
        # when the water bottle is to become red) is not meant
        named = [i for i in hits if matched[i] & _tokens(labels[i].split(" (")[0])]
        hits = named or hits
        sets = [matched[i] for i in hits]
        return [] if len(set(sets)) < len(sets) else hits
    best = max(len(matched[i]) for i in hits)
    top = [i for i in hits if len(matched[i]) == best]
    if len(top) > 1:  # "economy" of "economy" and "basic economy": the one said whole
        top = [i for i in top if not own[i] - common - said]
    return top if len(top) == 1 else []


def _name_words(text: str) -> set[str]:
    """Words the text writes only as a name ("Mia" in "Mia Li"), never in capitals or small
    letters: they do not match a code of a label ("MIA")."""
    written = re.findall(r"[A-Za-z]+", text)
    title = {w.lower() for w in written if w[0].isupper() and w[1:].islower()}
    other = {w.lower() for w in written if not (w[0].isupper() and w[1:].islower())}
    return title - other


def _code_words(label: str) -> set[str]:
    """The label's words written in capitals, like codes: "MIA", "JFK"."""
    return {w.lower() for w in re.findall(r"\b[A-Z]{2,}\b", label)}


def _by_ending(text: str, own: list[set[str]]) -> set[str]:
    """The label words (ids such as "w7430166") whose last digits the text tells."""
    endings = _ENDING.findall(text)
    return {
        token
        for tokens in own
        for token in tokens
        for end in endings
        if len(token) > len(end) + 2 and token.endswith(end) and not token.isalpha()
    }
