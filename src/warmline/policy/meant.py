"""Which of the items a customer names are the ones meant by a request over several of them
(``many``): not the products that tell the order ("my order with the boots, the chair and the
keyboard", "the order that had the pet bed"), not those told only as what was ordered ("I
ordered some sunglasses and a speaker"), and never those the customer keeps ("the boots stay",
"the black pair is fine as it is", "I'll keep the clock"). The items left are those the
request says something should change about: a new option, a complaint, a return.

Pure text: ``policy/guided.py`` picks the labels from what is left."""

from __future__ import annotations

import re

from warmline.policy.labels import ORDER_DESCRIBED

ORDER_TOLD = re.compile(
    r"\b(?:I|we)(?:'ve| have)?\s+(?:just\s+|recently\s+)?(?:ordered|bought|purchased|placed)\b"
    r"[^.;!?]*?(?=,\s*(?:and\s+|but\s+|so\s+)?(?:I|I'd|I'm|I'll|I've|we|it|they|which|but|so)\b"
    r"|[.;!?]|$)",
    re.I,
)
"""What the customer says they ordered ("I ordered some sunglasses and a speaker", "the order
I placed for the keyboard, the boots and the hose"), to the end of its clause: it tells the
order; the items the rest of the request names are the ones meant, if it names any."""

_ALSO_GOT = re.compile(
    r"\s+(?=(?:I|we)\s+(?:also\s+(?:got|received|ordered|bought|have|had)|got|received)\b)",
    re.I,
)
"""Where a description of the order ends and what else came in it begins ("in the order with
the pet bed and the smartphone | I also got two notebooks"): the items after it are named as
items, not as the order."""

_NEW_SUBJECT = re.compile(
    r",\s+(?=(?:the|my|our|his|her|their)\s+(?:(?!and\b|or\b)[a-z-]+\s+){0,3}?"
    r"(?:is|are|was|were|has|have|had|keeps|won't|doesn't|does|did|didn't|isn't|came|arrived|"
    r"should|needs|turned|broke|stopped)\b)",
    re.I,
)
"""Where a description of the order ends at a new sentence's subject ("from the order that
had the tablet and the grill, | the pet bed is the wrong colour"): the item after it is named
as an item, not as the order."""

_CLAUSE = re.compile(
    r"[.;:!?]+|\b(?:but|while|whereas)\b"
    r"|,\s*(?=(?:and|so|then)\b|(?:I|I'd|I'm|I'll|we|it|they)\b)",
    re.I,
)
"""Where a clause ends: a comma only before a new subject, so that a label said with its
options ("the puzzle with pieces 500, theme animals, stays as it is") is one clause."""
_END = r"\s*(?:too|though|anyway|for now|for me)?\s*$"
_KEPT = re.compile(
    r"\b(?:stays?|remains?|(?:can|will|should|may)\s+(?:stay|remain))"
    r"(?:\s+(?:as\s+(?:it|they|she|he)\s+(?:is|are)|the\s+same|unchanged|untouched|"
    r"where\s+(?:it|they)\s+(?:is|are)|in\s+the\s+order|put))?"
    + _END
    + r"|\b(?:is|are|was|were)\s+(?:just\s+|perfectly\s+|totally\s+|all\s+)?"
    r"(?:fine|great|perfect|good|ok|okay|lovely|right|alright|all right)"
    r"(?:\s+as\s+(?:it|they)\s+(?:is|are))?"
    + _END
    + r"|\b(?:as\s+(?:it|they)\s+(?:is|are)|unchanged|untouched)"
    + _END
    + r"|^\s*(?:and\s+)?(?:please\s+)?leave\b",
    re.I,
)
"""A clause that keeps what it names: "the boots stay", "the speaker and the earbuds stay as
they are", "the grill itself is great", "leave the lamp alone". A clause that goes on to a new
option ("the hose should stay green but be 50ft": "stay green") keeps nothing."""


_NEW_OPTION = re.compile(
    r"\b(?:chang|switch|swap|exchang|replac|turn|mak)\w*\b(?:(?![.!?](?:\s|$))[^;])*?"
    r"\s(?P<new>(?:to|into|for)\s+(?:a|an)\s(?:(?![.!?](?:\s|$))[^;])*?)"
    r"(?=\s+and\s+(?:the|my|also)\b|,\s*(?:and\s+)?(?:the|my|but|so|I)\b|[.;!?](?:\s|$)|$)",
    re.I,
)
"""The new option an item is to be changed to, told with an indefinite article ("change the
drip one to a black espresso maker", "swap the helmet for a blue one"): it names no item."""


def without_new_options(text: str) -> str:
    """The text less the new options items are to be changed to."""
    return _NEW_OPTION.sub(lambda m: m[0][: m.start("new") - m.start()], text)


def without_kept(text: str) -> str:
    """The text less every clause that keeps what it names."""
    kept = [m for m in _clauses(text) if _KEPT.search(text[m[0] : m[1]])]
    for start, end in reversed(kept):
        text = f"{text[:start]} {text[end:]}"
    return text


def kept_words(text: str) -> str:
    """The clauses of a text that keep what they name ("" when none does)."""
    return " ".join(text[a:b] for a, b in _clauses(text) if _KEPT.search(text[a:b]))


def _clauses(text: str) -> list[tuple[int, int]]:
    """The spans of a text's clauses."""
    spans, start = [], 0
    for mark in _CLAUSE.finditer(text):
        spans.append((start, mark.start()))
        start = mark.end()
    spans.append((start, len(text)))
    return spans


def items_meant(text: str) -> list[str]:
    """The words that choose the items of a request, the most telling first: the text less
    the order it describes and the items kept, less also what was told as ordered and the new
    options asked for; then less only what was told as ordered; then less neither (each used
    when the ones before it name no item)."""
    told = _NEW_SUBJECT.sub("; ", _ALSO_GOT.sub(", ", without_kept(text)))
    words = ORDER_DESCRIBED.sub(" ", told)
    rest = ORDER_TOLD.sub(" ", words)
    return [without_new_options(rest), rest, words]
