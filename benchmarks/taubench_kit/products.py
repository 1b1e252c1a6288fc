"""Where the instruction names the customer's products (by full name, everyday word or a word
of their own), how each mention is meant (acted on, only telling which order, kept), and the
words that belong to each product."""

from __future__ import annotations

import re

from .options import GENERIC_VALUES, OPTION_KEYS, catalogue_options, find_value, norm_tokens


def name_spots(name: str, text: str, names: list[str]) -> list[tuple[int, int]]:
    """Where the instruction names a product: its full name (plural too), else its last word
    when no other product the customer holds shares that word and is named in full."""
    said_as = "|".join(re.escape(w) for w in [name, *_EVERYDAY.get(name.lower(), [])])
    full = re.compile(rf"\b(?:{said_as})(?:e?s)?\b", re.I)
    spots = [(m.start(), m.end()) for m in full.finditer(text) if not _option_next(text, m.end())]
    last = name.split()[-1]
    rivals = [
        n for n in names if n.lower() != name.lower() and n.split()[-1].lower() == last.lower()
    ]
    if spots:
        return spots + _last_word_too(name, text, spots, rivals)
    if any(re.search(rf"\b{re.escape(n)}(?:e?s)?\b", text, re.I) for n in rivals):
        return []
    if rivals:
        others = {w.lower() for n in names if n.lower() != name.lower() for w in n.split()}
        own_words = [w for w in name.split()[:-1] if w.lower() not in others and len(w) > 3]
        return [
            (m.start(), m.end())
            for w in own_words
            for m in re.finditer(rf"\b{re.escape(w)}(?:e?s)?\b", text, re.I)
            if not _option_next(text, m.end())
        ]
    tail = next(
        (
            last[i:]
            for i in range(1, len(last) - 4)
            if not any(
                re.search(rf"\b{re.escape(last[i:])}", n, re.I)
                for n in names
                if n.lower() != name.lower()
            )
            and re.search(rf"\b{re.escape(last[i:])}(?:e?s)?\b", text, re.I)
        ),
        None,
    )
    noun = re.compile(rf"\b(?:{re.escape(last)}|{re.escape(tail or last)})(?:e?s)?\b", re.I)
    own = {w.lower() for w in name.split()}
    spots = []
    for m in noun.finditer(text):
        if _option_next(text, m.end()):
            continue
        start = m.start()
        before = re.search(r"([\w-]+)\s+$", text[:start])
        while before and before[1].lower() in own:
            start = before.start(1)
            before = re.search(r"([\w-]+)\s+$", text[:start])
        spots.append((start, m.end()))
    return spots


def _last_word_too(
    name: str, text: str, spots: list[tuple[int, int]], rivals: list[str]
) -> list[tuple[int, int]]:
    """Beside a product named in full, the same product told by its last word ("two jigsaw
    puzzles, the 2000-piece puzzle ..."), when no other product the customer holds ends so."""
    last = name.split()[-1]
    if len(name.split()) < 2 or rivals:
        return []
    return [
        (m.start(), m.end())
        for m in re.finditer(rf"\b{re.escape(last)}(?:e?s)?\b", text, re.I)
        if not any(start <= m.start() < end for start, end in spots)
        and not _option_next(text, m.end())
    ]


#: the everyday word for a product whose shop name differs
_EVERYDAY = {
    "bicycle": ["bike"],
    "e-reader": ["ereader", "e-book reader"],
    "vacuum cleaner": ["vacuum"],
    "t-shirt": ["t shirt", "tshirt"],
}


def _option_next(text: str, end: int) -> bool:
    """A product word used as an option value (``the laptop compartment``)."""
    after = text[end : end + 30].lower()
    return any(re.match(rf"\s+{re.escape(k.lower())}\b", after) for k in OPTION_KEYS)


def is_named(name: str, text: str, names: list[str]) -> bool:
    return bool(name_spots(name, text, names))


def item_prose(name: str, instruction: str, names: list[str]) -> str:
    """The instruction's words about one product: in each sentence that names it, the stretch
    from the previous product named up to the next one; and the sentences that follow it
    without naming any product. A product named only to tell which order it is owns no
    words."""
    names = sorted({*names, name}, key=str.lower)
    out: list[str] = []
    previous_was_it = False
    for sentence in re.split(r"(?<=[.!?;])\s+", instruction):
        spots = [
            (start, end, n, role)
            for start, end, n, role in sentence_spots(sentence, names)
            if role != "reference"
        ]
        if not spots:
            owners = [] if STAYS.search(sentence) else _owners_by_values(sentence, names)
            follows = previous_was_it and not owners and not STAYS.search(sentence)
            if name in owners or follows:
                out.append(sentence)
            previous_was_it = name in owners or follows
            continue
        mine = [
            i
            for i, spot in enumerate(spots)
            if spot[2].lower() == name.lower() and spot[3] != "kept"
        ]
        previous_was_it = bool(mine) and mine[-1] == len(spots) - 1
        for i in mine:
            start = spots[i - 1][1] if i else 0
            end = spots[i + 1][0] if i + 1 < len(spots) else len(sentence)
            out.append(sentence[start:end])
        tail = sentence[spots[-1][1] :]
        if mine and mine[-1] != len(spots) - 1 and _TOGETHER.search(tail):
            out.append(tail)
    return " ".join(out)


def _owners_by_values(sentence: str, names: list[str]) -> list[str]:
    """The products a sentence that names none talks about by their own option values (a
    ``2-piece softshell`` set is the luggage set, not the dumbbells)."""
    catalogue = catalogue_options()
    every = {n: {v for vs in catalogue.get(n.lower(), {}).values() for v in vs} for n in names}
    tokens = norm_tokens(sentence)
    owners = []
    for name, own in every.items():
        # a value is another product's too however it is written ("1L" and "1 liter")
        others = {" ".join(norm_tokens(v)) for n, vs in every.items() if n != name for v in vs}
        mine = [v for v in own if len(v) > 2 and " ".join(norm_tokens(v)) not in others]
        if any(find_value(v, tokens, "") for v in mine if v.lower() not in GENERIC_VALUES):
            owners.append(name)
    return owners


#: a sentence about an item that stays as it is ("the black pair is fine and stays as it is")
STAYS = re.compile(r"\b(?:stays?|remains?)\b(?! (?:with|in|on|at)\b)", re.I)
_TOGETHER = re.compile(r"\b(?:each|both|them|all|either)\b", re.I)
_REFERENCE = re.compile(
    r"\b(?:order|one|package|purchase|shipment|box)\b[^,;.]*?"
    r"\b(?:had|has|have|with|contain\w*|includ\w*|came)\b[^;.]*$"
    r"|\b(?:bought|ordered|purchased|came|arrived|got)\b[^,;.]*?\bwith\b[^;.]*$"
    r"|\balong(?:side| with)\b[^;.]*$",
    re.I,
)
_KEPT_ITEM = re.compile(
    r"\bkeep(?:ing)?\s+(?:the|my|your|that|this)?\s*(?:\w+\s+){0,2}"
    r"(?:(?:,\s*|and\s+|or\s+)(?:the\s+|my\s+|your\s+)?(?:\w+\s+){0,2})*$"
    r"|\b(?:except|other than|apart from|all but|everything but)\s+(?:for\s+)?"
    r"(?:the|my|your|that|this)?\s*(?:\w+\s+){0,2}$",
    re.I,
)
#: what follows a product that stays as it is ("the skateboard is fine", "the boots stay")
KEPT_AFTER = re.compile(
    r"^\s*(?:(?:is|are)\s+(?:fine|ok|okay|good|great|perfect)\b(?!\s+(?:with|for|but|if))"
    r"|(?:(?:can|will|should|may)\s+)?(?:stays?|remains?)\b"
    r"|(?:you|I)(?:'ll| will)?\s+keep\b)",
    re.I,
)
#: the item just named is kept, said later in its sentence ("you wonder whether the thermostat
#: comes in another colour, but you decide to keep the black one as it is")
_KEEPS_IT = re.compile(
    r"\bkeep (?:it|them|(?:the|this|that) (?:[\w-]+ ){0,4}?(?:one|pair))\b"
    r"(?: as (?:it|they) (?:is|are))?",
    re.I,
)
_LIST_JOIN = re.compile(r"^[\s,]*(?:and|or)?\s*(?:the|a|an|my|your)?\s*$", re.I)
#: a sentence that only tells what an order holds ("you ordered a lamp, a clock and a mat")
_INVENTORY = re.compile(
    r"\b(?:ordered|bought|purchased|got|received|has|have|had|contains?|includes?)\b", re.I
)
ACTING = re.compile(
    r"\b(?:want|wants|need|needs|like|return|exchange|cancel|change|swap|replace|refund|modify|"
    r"send|switch|should)\b",
    re.I,
)


def sentence_spots(sentence: str, names: list[str]) -> list[tuple[int, int, str, str]]:
    """The products a sentence names, in order, each with how it is meant: ``wanted`` (acted
    on), ``reference`` (it only tells which order: "the order with the lamp"), ``kept``
    ("you'll keep the clock", "the clock stays", "everything except the clock") or ``listed``
    (a sentence that only lists what an order holds: "you ordered a lamp, a clock and a mat")."""
    spots = sorted((start, end, n) for n in names for start, end in name_spots(n, sentence, names))
    roles: list[str] = []
    previous = "wanted"
    for i, (start, _end, _n) in enumerate(spots):
        stretch = sentence[spots[i - 1][1] if i else 0 : start]
        if _KEPT_ITEM.search(stretch):
            role = "kept"
        elif _REFERENCE.search(stretch):
            role = "reference"
        elif i and _LIST_JOIN.match(stretch):
            role = previous
        else:
            role = "wanted"
        previous = role
        roles.append(role)
    _kept_after(sentence, spots, roles)
    listing = len(spots) > 1 and not ACTING.search(sentence)
    if listing and _INVENTORY.search(sentence[: spots[0][0]]):
        roles = ["listed" if r == "wanted" else r for r in roles]
    return [(start, end, n, role) for (start, end, n), role in zip(spots, roles, strict=True)]


def _kept_after(sentence: str, spots: list[tuple[int, int, str]], roles: list[str]) -> None:
    """Products said to stay as they are after their name ("the speaker and the earbuds stay
    as they are"): the last of a list, and those listed with it."""
    kept_next = False
    for i in range(len(spots) - 1, -1, -1):
        end = spots[i + 1][0] if i + 1 < len(spots) else len(sentence)
        after = sentence[spots[i][1] : end]
        last = i == len(spots) - 1
        kept = KEPT_AFTER.match(after) or (last and _KEEPS_IT.search(after))
        if kept or (kept_next and _LIST_JOIN.match(after)):
            roles[i] = "kept"
            kept_next = True
        else:
            kept_next = False


def wanted_spots(name: str, text: str, names: list[str]) -> list[str]:
    """How each mention of a product in the text is meant (see ``sentence_spots``)."""
    names = sorted({*names, name}, key=str.lower)
    return [
        role
        for sentence in re.split(r"(?<=[.!?])\s+", text)
        for _, _, n, role in sentence_spots(sentence, names)
        if n.lower() == name.lower()
    ]
