"""The register and dialect features of one customer turn, read from its words: cheap (a few
dozen regular expressions, well under a millisecond), explainable (every cue found is named
in the reading) and coarse. It labels features of the text, never the person who wrote it:
the analytics compare how the service treats texts written one way or another
(docs/analytics.md, "Register and dialect"); nothing here reads a name or an account.

* **Register**: ``textspeak`` when a text-speak token is found ("u", "pls", "thx", "idk",
  "lol"); else ``casual`` when informal words weigh 1 or more (slang and fillers such as
  "gonna", "hey", "yeah", a dropped apostrophe "dont", an emoji or emoticon, a word drawn out
  "sooo", "!!" or "??", capitals throughout; a contraction or a business abbreviation "acct"
  weighs 0.5) and more than the formal cues; else ``formal`` when politeness formulas and
  letter conventions weigh 1 or more ("Dear Sir", "Kind regards", "I am writing to",
  "kindly", "please advise"; "I would like", "could you please", "sir" 0.5); else
  ``neutral``. Capitals and final punctuation missing are named among the cues but decide
  nothing: corpora and keyboards differ there (CLINC150 is lower-cased by its authors,
  phones capitalise by themselves).
* **Dialect features**: the varieties of ``register_cues.py`` (``aae``, ``indian_english``,
  ``british``) whose cues weigh 1 or more, strongest first; none is ``standard``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from warmline.domain.understanding import WritingStyle
from warmline.nlu.register_cues import (
    DIALECT_CUES,
    DIALECTS,
    MAX_PHRASE,
    NOT_VERBS,
    REGISTER,
    Cue,
)
from warmline.nlu.spelling import edits1, english_words

DECIDES = 1.0
"""A label's cues must weigh this much to decide it."""
MAX_MARKERS = 16
CAPS_MIN_LETTERS = 8
CAPS_SHARE = 0.8
ORTHOGRAPHY_MIN_WORDS = 4
EMOJI_FROM = 0x2600
_EMOJI_FIRST = chr(EMOJI_FROM)
_EMOTICON_CHARS = frozenset(":;=<")
DRAWN_OUT_MIN_LETTERS = 4
SLIP_MIN_LETTERS = 3
_CONTRACTED = ("'s", "'re", "'m", "'ve", "'d", "'ll")

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9']*|[^\sa-z0-9']")
_EMOTICON = re.compile(r"(?<!\w)(?::|;|=)-?[)(DPp/|]|(?<!\w)<3")
_TRIPLE = re.compile(r"([a-z])\1\1")
_SHOUTED_PUNCT = re.compile(r"[!?]{2,}")
_LOWER_I = re.compile(r"(?<![\w'])i(?![\w])")
_FINAL_PUNCT = re.compile(r"[.!?)\"'\]]\s*$")
_UPPER = re.compile(r"[A-Z]")
_LAST_WORD = re.compile(r"([a-z0-9']+)\s*$")

_CUES: tuple[Cue, ...] = (*DIALECT_CUES, *REGISTER)
_BY_PHRASE: dict[str, list[int]] = {}
_BY_NEED: dict[str, list[int]] = {}
for _index, _cue in enumerate(_CUES):
    for _phrase in _cue.phrases:
        _BY_PHRASE.setdefault(_phrase, []).append(_index)
    for _need in _cue.needs:
        _BY_NEED.setdefault(_need, []).append(_index)
_ALWAYS_TRIED = {i for i, c in enumerate(_CUES) if c.pattern is not None and not c.needs}


def read_style(text: str) -> WritingStyle:
    """The register and dialect features ``text`` shows (see the module's docstring)."""
    straight = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    lower = " ".join(straight.lower().split())
    weights: dict[str, float] = defaultdict(float)
    markers: list[str] = []
    for cue, found_words in _hits(lower):
        # a closed list's words add up ("yeah gonna"); a pattern counts once however often
        weights[cue.label] += cue.weight * (len(found_words) if cue.named else 1)
        for found in found_words:
            marker = f"{cue.label}:{cue.name}" + (f"={found}" if cue.named else "")
            if marker not in markers:
                markers.append(marker)
    for name in _typography(straight):
        weights["casual"] += 1.0
        markers.append(f"casual:{name}")
    markers += [f"orthography:{name}" for name in _orthography(straight)]
    dialects = sorted(
        (d for d in DIALECTS if weights[d] >= DECIDES),
        key=lambda d: (-weights[d], DIALECTS.index(d)),
    )
    return WritingStyle(
        formality=_register(weights), dialects=dialects, markers=markers[:MAX_MARKERS]
    )


def _register(weights: dict[str, float]) -> str:
    casual, formal = weights["casual"], weights["formal"]
    if weights["textspeak"] >= DECIDES:
        return "textspeak"
    if casual >= DECIDES and casual > formal:
        return "casual"
    if formal >= DECIDES and formal > casual:
        return "formal"
    return "neutral"


def _hits(lower: str) -> list[tuple[Cue, list[str]]]:
    """Each cue found in ``lower`` with the words it found, in the cues' order: the closed
    lists looked up word by word, the patterns tried when a word they need is there."""
    tokens = _TOKEN.findall(lower)
    found: dict[int, list[str]] = {}
    for gram in _grams(tokens):
        for index in _BY_PHRASE.get(gram, ()):
            found.setdefault(index, []).append(gram)
    words = set(tokens) | ({"'"} if "'" in lower else set())
    tried = sorted({i for word in words for i in _BY_NEED.get(word, ())} | _ALWAYS_TRIED)
    for index in tried:
        cue = _CUES[index]
        assert cue.pattern is not None
        if matched := _found(cue, cue.pattern, lower):
            found[index] = matched
    return [(_CUES[index], found[index]) for index in sorted(found)]


def _grams(tokens: list[str]) -> list[str]:
    """The turn's words and its runs of up to ``MAX_PHRASE`` words (no punctuation inside),
    each once, in order."""
    words = [t if t[0].isalnum() else "" for t in tokens]
    found = dict.fromkeys(w for w in words if w)
    for n in range(2, MAX_PHRASE + 1):
        for i in range(len(words) - n + 1):
            run = words[i : i + n]
            if all(run):
                found[" ".join(run)] = None
    return list(found)


def _found(cue: Cue, pattern: re.Pattern[str], lower: str) -> list[str]:
    """The words ``pattern`` matched in ``lower`` (each once), those after a word of the
    cue's ``not_after`` and those whose "-ing" form is no verb's left out."""
    found: list[str] = []
    for match in pattern.finditer(lower):
        before = _word_before(lower, match.start())
        if cue.not_after and _after_one_of(before, cue.not_after):
            continue
        if cue.only_after is not None and before not in cue.only_after:
            continue
        if not all(_verb_form(word) for word in match.group(0).split()[1:]):
            continue
        word = match.group(0).strip()
        if word not in found:
            found.append(word)
    return found


def _after_one_of(word: str, words: frozenset[str]) -> bool:
    """``word`` is one of ``words``, a contracted auxiliary ("what's he building", "where're
    they going") or one slip from one ("wil", "cna", "shoud")."""
    if word in words or word.endswith(_CONTRACTED):
        return True
    return len(word) >= SLIP_MIN_LETTERS and not words.isdisjoint(edits1(word))


def _word_before(text: str, at: int) -> str:
    """The word right before ``at``; "" at the start or after punctuation (a new clause)."""
    found = _LAST_WORD.search(text, 0, at)
    return found.group(1) if found else ""


def _verb_form(word: str) -> bool:
    """False for an "-ing" word that is a noun ("nothing", "morning") and an "-in" word that
    is no dropped "g" ("begin", "cabin"); True for every other word."""
    if word.endswith("ing"):
        return word not in NOT_VERBS
    bare = word.rstrip("'")
    if bare.endswith("in") and len(bare) >= 4 and not word.endswith("'"):
        english = english_words()
        return bare not in english and f"{bare}g" in english
    return True


def _typography(text: str) -> list[str]:
    """Informal typography: emoji or emoticons, a word drawn out, "!!" or "??", capitals
    throughout (at least ``CAPS_MIN_LETTERS`` letters, ids and acronyms of one word aside)."""
    found = []
    if (_EMOTICON.search(text) if _EMOTICON_CHARS & set(text) else False) or (
        max(text, default=" ") >= _EMOJI_FIRST and any(_is_emoji(ch) for ch in text)
    ):
        found.append("emoji")
    if _TRIPLE.search(text.lower()) and any(_drawn_out(w) for w in _WORD.findall(text.lower())):
        found.append("drawn_out")
    if _SHOUTED_PUNCT.search(text):
        found.append("repeated_punctuation")
    words = [w for w in _WORD.findall(text) if len(w) > 1]
    letters = "".join(words)
    upper = len(_UPPER.findall(letters))
    if len(words) >= 2 and len(letters) >= CAPS_MIN_LETTERS and upper >= CAPS_SHARE * len(letters):
        found.append("all_caps")
    return found


def _drawn_out(word: str) -> bool:
    """A word of four letters or more with a letter three times in a row ("sooo", "pleeease"),
    not "www"."""
    return len(word) >= DRAWN_OUT_MIN_LETTERS and _TRIPLE.search(word) is not None


def _is_emoji(ch: str) -> bool:
    """A pictograph or dingbat (from U+2600): not the degree, copyright or trade mark signs."""
    return ord(ch) >= EMOJI_FROM and unicodedata.category(ch) == "So"


def _orthography(text: str) -> list[str]:
    """Named, never deciding: no capital letter at all, a lower-case "i", no final
    punctuation (in a turn of ``ORTHOGRAPHY_MIN_WORDS`` words or more)."""
    if len(_WORD.findall(text)) < ORTHOGRAPHY_MIN_WORDS:
        return []
    found = []
    if not any(ch.isupper() for ch in text):
        found.append("no_capitals")
    if _LOWER_I.search(text):
        found.append("lower_case_i")
    if not _FINAL_PUNCT.search(text):
        found.append("no_final_punctuation")
    return found
