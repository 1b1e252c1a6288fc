"""Spelling normalisation before intent ranking: a word that is neither in the pack's training
texts nor in a general English word list is replaced by the nearest known word, one edit away.

* Known words: every word of the pack's training texts, the English frequency list
  (``english_words``: the dictionary symspellpy ships, about 83,000 words with counts), and
  contractions written without their apostrophe ("dont", "im", "youre").
* A word is corrected only when it is alphabetic, at least ``MIN_LENGTH`` letters, not in upper
  case ("ATM", "PIN"), not capitalised inside a sentence (a name: "Zalando"), and part of no
  token with digits or symbols (ids "#W123", "ABC123", e-mail addresses, links stay as written).
* The candidates are the known words one edit away (a letter dropped, added, changed, or two
  neighbours swapped: Damerau-Levenshtein distance 1, the slips keyboards make). The pack's own
  words come first, by how often its examples use them; then English words by frequency.
  A word with no candidate stays as written.

``Speller.correct`` costs a set look-up per word and, for an unknown word, a few hundred
(its one-edit variants); the English list is read once per process.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections import Counter
from collections.abc import Iterable, Sequence

MIN_LENGTH = 3
LETTERS = "abcdefghijklmnopqrstuvwxyz"
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"^([\"'(\[]*)([A-Za-z]+)([\"')\].,!?;:]*)$")
_SPOKEN = re.compile(r"^([\"'(\[]*)([A-Za-z0-9/]+?)([\"')\].,!?;:]*)$")
_PACK_WORD = re.compile(r"[a-z]+")
_SENTENCE_END = re.compile(r"[.!?]$")

CONTRACTIONS = (
    "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "havent", "hasnt", "hadnt",
    "couldnt", "wouldnt", "shouldnt", "cant", "wont", "aint", "im", "ive", "youre", "youve",
    "youll", "theyre", "theyve", "thats", "whats", "wheres", "hows", "theres", "heres", "whos",
    "lets", "wouldve", "couldve", "shouldve",
)  # fmt: skip
"""Contractions written without the apostrophe: known words, never corrected."""

CHAT = (
    "lol", "omg", "btw", "asap", "imo", "tbh", "np", "ok", "okay", "yeah", "yep", "nope", "hey",
    "hiya", "erm", "umm", "hmm", "ugh", "meh", "nah", "haha", "hehe", "lmao", "yay", "oops",
)  # fmt: skip
"""Chat words and fillers: known, never corrected."""

SUFFIXES = ("s", "es", "ed", "ing", "er", "ly", "y")
"""A known word of four letters or more with one of these added is known too ("clicky")."""

FOREIGN_SHARE = 0.5
"""A text with more than this share of its words unknown is left as written: another language,
or not words at all."""

TEXT_SPEAK = {
    "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "thx": "thanks",
    "thnx": "thanks", "ty": "thank you", "cuz": "because", "coz": "because", "bc": "because",
    "b4": "before", "w/": "with", "w/o": "without", "acct": "account", "msg": "message",
    "msgs": "messages", "ppl": "people", "rly": "really", "tmrw": "tomorrow", "tmr": "tomorrow",
    "2day": "today", "idk": "i don't know", "txn": "transaction", "txns": "transactions",
    "xfer": "transfer", "rcvd": "received", "btwn": "between", "smth": "something",
    "wat": "what", "wut": "what", "kno": "know", "wud": "would", "cud": "could",
    "shud": "should", "tht": "that", "abt": "about", "pmt": "payment", "amt": "amount",
    "nvm": "never mind",
}  # fmt: skip
"""Text-speak written out: a whole word, in any case, with its punctuation kept. Forms that
are also numbers or letters with other uses ("2", "4", "c", "y") stay as written."""


@functools.cache
def english_words() -> dict[str, int]:
    """The English frequency list: word -> count in a large corpus, lower case."""
    source = importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    counts: dict[str, int] = {}
    for line in source.read_text("utf-8").splitlines():
        word, _, count = line.partition(" ")
        if word.isalpha():
            counts[word] = int(count)
    return counts


def pack_words(texts: Iterable[str]) -> Counter[str]:
    """The words of a pack's training texts, lower case, with how often each is used."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_PACK_WORD.findall(text.lower()))
    return counts


def edits1(word: str) -> set[str]:
    """Every string one edit from ``word``: deletion, transposition, substitution, insertion."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in LETTERS]
    inserts = [a + c + b for a, b in splits for c in LETTERS]
    return set(deletes + transposes + replaces + inserts)


class Speller:
    """Corrects unknown words to the nearest known one; see the module docstring."""

    def __init__(self, words: dict[str, int], english: dict[str, int] | None = None) -> None:
        self.words = dict(words)
        self.english = english_words() if english is None else english
        self._contractions = frozenset(CONTRACTIONS + CHAT)

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> Speller:
        return cls(dict(pack_words(texts)))

    def known(self, word: str) -> bool:
        if word in self.words or word in self.english or word in self._contractions:
            return True
        return any(
            word.endswith(end)
            and len(word) - len(end) >= 4
            and (word[: -len(end)] in self.words or word[: -len(end)] in self.english)
            for end in SUFFIXES
        )

    def best(self, word: str) -> str | None:
        """The known word one edit from ``word`` (lower case) to read it as, if any."""
        candidates = edits1(word)
        mine = [(self.words[c], c) for c in candidates if c in self.words]
        if mine:
            return max(mine)[1]
        general = [(self.english[c], c) for c in candidates if c in self.english]
        return max(general)[1] if general else None

    def correct(self, text: str) -> str:
        """``text`` with its unknown words corrected; spacing and punctuation as written."""
        tokens = list(_TOKEN.finditer(text))
        fixes: list[tuple[re.Match[str], str]] = []
        words = unknown = 0
        sentence_start = True
        for n, match in enumerate(tokens):
            token = match.group(0)
            parts = _WORD.match(token)
            if parts is not None:
                words += 1
                word = parts.group(2).lower()
                unknown += not (self.known(word) or word in TEXT_SPEAK)
            # a capital at a sentence's start may be a slip, unless a name follows ("Aarav Nguyen")
            name_next = n + 1 < len(tokens) and tokens[n + 1].group(0)[:1].isupper()
            fixed = self._token(token, sentence_start and not name_next)
            if fixed is not None:
                fixes.append((match, fixed))
            sentence_start = bool(_SENTENCE_END.search(token))
        if not fixes or unknown > FOREIGN_SHARE * words:
            return text
        out, last = [], 0
        for match, fixed in fixes:
            out += [text[last : match.start()], fixed]
            last = match.end()
        return "".join([*out, text[last:]])

    def _token(self, token: str, capital_ok: bool) -> str | None:
        """The token corrected, or ``None`` when it stays as written; a capitalised word only
        when ``capital_ok``."""
        spoken = _SPOKEN.match(token)
        if spoken is not None:
            form = spoken.group(2)
            full = TEXT_SPEAK.get(form.lower()) if form.lower() not in self.words else None
            if full is not None:
                full = full[0].upper() + full[1:] if form[0].isupper() else full
                return spoken.group(1) + full + spoken.group(3)
        parts = _WORD.match(token)
        if parts is None:
            return None
        before, word, after = parts.groups()
        lower = word.lower()
        if len(word) < MIN_LENGTH or self.known(lower) or word.isupper():
            return None
        if word[0].isupper() and not capital_ok:
            return None
        best = self.best(lower)
        if best is None:
            return None
        if word[0].isupper():
            best = best[0].upper() + best[1:]
        return before + best + after
