"""The words an answer is checked by: content words (stemmed, without function words), the
sentences of a passage (a list item kept with the sentence that leads into it), and the facts a
sentence states that must be found as they are in a passage: numbers and amounts, days and
months, and names. Pure functions of the text; no model, no I/O."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import Stemmer


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _words(
    """
    a about above after again against all also am an and any are as at be because been before
    many
    being below between both but by can could did do does doing done down during each either
    else ever few for from further get gets getting got had has have having he her here hers
    herself him himself his how however i if in into is it its itself just let lets like may me
    might mine more most much must my myself need needs of off on once only or other our ours
    ourselves out over own per please same shall she should so some such than that the their
    theirs them themselves then there these they this those though through to too under until
    up upon us very via want wants was we were what when where whether which while who whom
    whose why will with within would yes you your yours yourself yourselves tell know thanks
    thank hi hello hey ok okay im ive id youre dont doesnt didnt cant wont isnt arent wasnt
    one ones s t d ll ve re m whats hows wheres whos thats theres guys yr u ur pls plz able
    possible still now really actually anyone something way go going goes make take takes
    happen happens ask asking
    """
)
"""Function words: a question's content is in the other words."""

NEGATIONS = _words(
    "not no never none nothing nobody cannot cant can't won't wont don't dont doesn't doesnt "
    "isn't isnt aren't arent wasn't wasnt weren't werent shouldn't shouldnt mustn't mustnt "
    "couldn't couldnt didn't didnt without neither nor non-refundable nonrefundable"
)

NUMBER_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fourteen": "14",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "ninety": "90",
    "hundred": "100",
    "once": "1",
    "twice": "2",
    "single": "1",
    "double": "2",
    "half": "50%",
}
SYNONYMS = {
    "baggag": "bag",
    "luggag": "bag",
    "suitcas": "bag",
    "cost": "fee",
    "price": "fee",
    "charg": "fee",
    "pay": "fee",
    "paid": "fee",
    "reimburs": "refund",
    "fli": "flight",
    "plane": "flight",
    "airplan": "flight",
    "reserv": "book",
    "deliveri": "ship",
    "deliv": "ship",
    "shipment": "ship",
    "purchas": "order",
    "kid": "child",
    "children": "child",
    "human": "person",
    "agent": "person",
    "repres": "person",
    "someon": "person",
    "biz": "busi",
    "checkin": "check",
    "weight": "weigh",
    "info": "inform",
    "heavi": "weigh",
}
"""Words customers and help pages use for one thing (stems), read as one word."""

DAYS = _words(
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "june july august september october november december weekday weekdays weekend weekends "
    "midnight noon"
)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]|\d+(?:[.,]\d+)*")
_NUMBER = re.compile(
    r"(?<![\w.])(?:[$€£]\s?)?\d+(?:[.,]\d+)*(?:\s?(?:%|percent\b))?", flags=re.IGNORECASE
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9$€£])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|etc|approx|incl|no|vs|mr|mrs|ms|dr|st)\.$", re.I)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_TABLE_RULE = re.compile(r"^\|?[\s:|-]+\|?$")


@functools.lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def tokens(text: str) -> list[str]:
    """The words and numbers of ``text``, lower-cased, apostrophes straightened."""
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]


def content_words(text: str) -> list[str]:
    """The stems of ``text``'s content words, in order (repeats kept): no function words, a
    number word written as its digits ("two" and "2" are one word), words for one thing read
    as one (``SYNONYMS``: "luggage" and "bags"), a hyphenated word as its parts."""
    out: list[str] = []
    for whole in tokens(text):
        for token in whole.split("-") if not whole[0].isdigit() else [whole]:
            bare = token.replace("'", "")
            if not token or token in STOPWORDS or bare in STOPWORDS:
                continue
            if token in NUMBER_WORDS:
                out.append(NUMBER_WORDS[token])
            elif token.isdigit() or not token[0].isdigit():
                word = stem(bare)
                out.append(SYNONYMS.get(word, word))
            else:
                out.append(token)
    return [w for w in out if w]


@functools.lru_cache(maxsize=16384)
def content_set(text: str) -> frozenset[str]:
    return frozenset(content_words(text))


def negated(text: str) -> bool:
    """Whether ``text`` says something is not so ("not", "no", "never", "can't", ...)."""
    return any(t in NEGATIONS or t.endswith("n't") for t in tokens(text))


def facts(text: str) -> frozenset[str]:
    """What a sentence states that must be found as it is in the passage it rests on: numbers
    and amounts (a number word as its digits, "$25" as "25"), days and months, and names (a
    capitalised word that does not open its sentence)."""
    found: set[str] = set()
    for match in _NUMBER.finditer(text):
        number = re.sub(r"[$€£\s]|percent", "", match.group(0).lower()).replace(",", "")
        found.add(number.rstrip("%").rstrip(".") + ("%" if "%" in number else ""))
    words = _TOKEN.findall(text)
    for i, word in enumerate(words):
        low = word.lower()
        if low in NUMBER_WORDS and low not in ("one", "once", "single", "double", "half"):
            found.add(NUMBER_WORDS[low])
        elif low in DAYS or _name(text, word, i):
            found.add(low)
    return frozenset(found)


def _name(text: str, word: str, i: int) -> bool:
    """Whether ``word`` (the ``i``-th of ``text``) reads as a name: capitalised, not opening
    a sentence, not a function word."""
    low = word.lower()
    return i > 0 and word[0].isupper() and low not in STOPWORDS and not _opens(text, word)


def _opens(text: str, word: str) -> bool:
    """Whether ``word`` opens a sentence or a list item of ``text`` (so its capital says
    nothing)."""
    return bool(re.search(rf"(?:^|[.!?:]\s+|\n\s*(?:[-*+•]|\d+[.)])?\s*){re.escape(word)}\b", text))


def passage_facts(text: str) -> frozenset[str]:
    """Every fact a passage could support: its facts, and the numbers and names of all its
    words (a capitalised word opening a sentence may be a name), lower-cased."""
    words = {t for t in tokens(text) if t not in STOPWORDS}
    words |= {NUMBER_WORDS[t] for t in words if t in NUMBER_WORDS}
    return facts(text) | frozenset(words)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage (a list item with the sentence that leads into it as
    ``lead``), and where it stands in the passage."""

    text: str
    index: int
    lead: str | None = None  # the lead-in of a list item ("You can bring:")
    block: int = 0  # the paragraph, list or table it belongs to (blank lines part them)

    @property
    def full(self) -> str:
        return f"{self.lead} {self.text}" if self.lead else self.text


def plain(text: str) -> str:
    """Markdown's marks taken out of ``text``: a link as its words, no emphasis or code marks."""
    return _EMPHASIS.sub("", _LINK.sub(r"\1", text))


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of a passage, in order: prose split after a full stop, a question or an
    exclamation mark (not after "e.g."), every list item a sentence of its own that keeps the
    sentence before it that leads into it (one ending with a colon); a table's rows are items
    led by its header row."""
    out: list[Sentence] = []
    lead: str | None = None
    for number, block in enumerate(re.split(r"\n\s*\n", plain(text))):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        prose: list[str] = []
        header: str | None = None
        for line in lines:
            if line.startswith("#") or _TABLE_RULE.match(line):
                continue  # a heading (the section path says it), a table's rule
            if line.startswith("|"):
                _flush(prose, out, number)
                prose = []
                cells = "; ".join(c.strip() for c in line.strip("|").split("|") if c.strip())
                if header is None:
                    header = cells
                else:
                    out.append(Sentence(cells, len(out), header, number))
                continue
            if _LIST_ITEM.match(line):
                _flush(prose, out, number)
                prose = []
                lead = out[-1].text if out and out[-1].text.endswith(":") else lead
                item = _LIST_ITEM.sub("", line)
                out.append(Sentence(item, len(out), lead, number))
            else:
                prose.append(line)
                lead = None
        _flush(prose, out, number)
    return out


def _flush(prose: list[str], out: list[Sentence], block: int) -> None:
    if not prose:
        return
    text = " ".join(prose)
    parts: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if parts and _ABBREVIATIONS.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    for part in parts:
        if part.strip():
            out.append(Sentence(part.strip(), len(out), block=block))
