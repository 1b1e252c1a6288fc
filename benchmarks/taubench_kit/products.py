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
    if spots:
        return spots
    last = name.split()[-1]
    rivals = [
        n for n in names if n.lower() != name.lower() and n.split()[-1].lower() == last.lower()
    ]
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
            if not any(last[i:].lower() in n.lower() for n in names if n.lower() != name.lower())
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


#: the everyday word for a product whose shop name differs
_EVERYDAY = {"bicycle": ["bike"], "e-reader": ["ereader", "e-book reader"]}


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
            (start, end, n)
            for start, end, n, role in sentence_spots(sentence, names)
            if role != "reference"
        ]
        if not spots:
            owners = _owners_by_values(sentence, names)
            if name in owners or (previous_was_it and not owners):
                out.append(sentence)
            previous_was_it = name in owners or (previous_was_it and not owners)
            continue
        mine = [i for i, spot in enumerate(spots) if spot[2].lower() == name.lower()]
        previous_was_it = bool(mine) and spots[-1][2].lower() == name.lower()
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
    values = {
        n: {v for vs in catalogue.get(n.lower(), {}).values() for v in vs if len(v) > 2}
        for n in names
    }
    tokens = norm_tokens(sentence)
    owners = []
    for name, own in values.items():
        others = set().union(*(v for n, v in values.items() if n != name))
        if any(find_value(v, tokens, "") for v in own - others if v.lower() not in GENERIC_VALUES):
            owners.append(name)
    return owners


_TOGETHER = re.compile(r"\b(?:each|both|them|all|either)\b", re.I)
_REFERENCE = re.compile(
    r"\b(?:order|one|package|purchase|shipment|box)\b[^,;.]*?"
    r"\b(?:had|has|have|with|contain\w*|includ\w*|came)\b[^;.]*$"
    r"|\b(?:bought|ordered|purchased|came|arrived|got)\b[^,;.]*?\bwith\b[^;.]*$"
    r"|\balong(?:side| with)\b[^;.]*$",
    re.I,
)
_KEPT_ITEM = re.compile(r"\bkeep(?:ing)?\s+(?:the|my|your|that|this)?\s*(?:\w+\s+){0,2}$", re.I)
_LIST_JOIN = re.compile(r"^[\s,]*(?:and|or)?\s*(?:the|a|an|my|your)?\s*$", re.I)


def sentence_spots(sentence: str, names: list[str]) -> list[tuple[int, int, str, str]]:
    """The products a sentence names, in order, each with how it is meant: ``wanted`` (acted
    on), ``reference`` (it only tells which order: "the order with the lamp"), or ``kept``
    ("you'll keep the clock")."""
    spots = sorted((start, end, n) for n in names for start, end in name_spots(n, sentence, names))
    out: list[tuple[int, int, str, str]] = []
    previous = "wanted"
    for i, (start, end, n) in enumerate(spots):
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
        out.append((start, end, n, role))
    return out


def wanted_spots(name: str, text: str, names: list[str]) -> list[str]:
    """How each mention of a product in the text is meant (see ``sentence_spots``)."""
    names = sorted({*names, name}, key=str.lower)
    return [
        role
        for sentence in re.split(r"(?<=[.!?])\s+", text)
        for _, _, n, role in sentence_spots(sentence, names)
        if n.lower() == name.lower()
    ]
