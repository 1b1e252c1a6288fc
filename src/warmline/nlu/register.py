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
from warmline.nlu.register_cues import DIALECT_CUES, DIALECTS, NOT_VERBS, REGISTER, Cue
from warmline.nlu.spelling import english_words

DECIDES = 1.0
"""A label's cues must weigh this much to decide it."""
MAX_MARKERS = 16
CAPS_MIN_LETTERS = 8
CAPS_SHARE = 0.8
ORTHOGRAPHY_MIN_WORDS = 4
EMOJI_FROM = 0x2600

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_EMOTICON = re.compile(r"(?<!\w)(?::|;|=)-?[)(DPp/|]|(?<!\w)<3|(?<!\w)[xX]D(?!\w)")
_DRAWN_OUT = re.compile(r"(?<![\w])(?=[a-z]{4})[a-z]*([a-z])\1\1[a-z]*(?![\w])")
_SHOUTED_PUNCT = re.compile(r"[!?]{2,}")
_LOWER_I = re.compile(r"(?<![\w'])i(?![\w])")
_FINAL_PUNCT = re.compile(r"[.!?)\"'\]]\s*$")


def read_style(text: str) -> WritingStyle:
    """The register and dialect features ``text`` shows (see the module's docstring)."""
    straight = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    lower = " ".join(straight.lower().split())
    weights: dict[str, float] = defaultdict(float)
    markers: list[str] = []
    for cue in (*DIALECT_CUES, *REGISTER):
        for found in _found(cue, lower):
            weights[cue.label] += cue.weight
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


def _found(cue: Cue, lower: str) -> list[str]:
    """The words ``cue`` matched in ``lower`` (each once), those after a word of its
    ``not_after`` and those whose "-ing" form is no verb's left out."""
    found: list[str] = []
    for match in cue.pattern.finditer(lower):
        if cue.not_after and _word_before(lower, match.start()) in cue.not_after:
            continue
        if not all(_verb_form(word) for word in match.group(0).split()[1:]):
            continue
        word = match.group(0).strip()
        if word not in found:
            found.append(word)
    return found


def _word_before(text: str, at: int) -> str:
    before = text[:at].rstrip()
    if not before or not (before[-1].isalpha() or before[-1] == "'"):
        return ""  # the start, or punctuation between: a new clause
    return before.split()[-1]


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
    if _EMOTICON.search(text) or any(_is_emoji(ch) for ch in text):
        found.append("emoji")
    if _DRAWN_OUT.search(text.lower()):
        found.append("drawn_out")
    if _SHOUTED_PUNCT.search(text):
        found.append("repeated_punctuation")
    words = [w for w in _WORD.findall(text) if len(w) > 1]
    letters = "".join(words)
    upper = sum(ch.isupper() for ch in letters)
    if len(words) >= 2 and len(letters) >= CAPS_MIN_LETTERS and upper >= CAPS_SHARE * len(letters):
        found.append("all_caps")
    return found


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
