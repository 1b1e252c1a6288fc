"""A person's first and last name in a reply to "what's your full name?": "I'm Noah Brown",
"noah brown, 80279", "my name is Noah Brown and my zip is 80279".

Deterministic: email addresses, digits and punctuation break the text into runs of words;
filler ("my name is", "I'm", "it's", "and", "zip", "code", "yes") is dropped; the name is the
first run of two or three words that are none of the common words a request is made of. A reply
with other words than a name and filler is no name (so "cancel my order" is none), unless the
name follows "my name is", "I'm" or "this is"."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\S+@\S+")
_TOKEN = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*|\S")
_CUES = (
    ("my", "name", "is"),
    ("my", "name's"),
    ("name", "is"),
    ("name's",),
    ("i'm",),
    ("i", "am"),
    ("this", "is"),
    ("call", "me"),
)
_FILLER_WORDS = (
    "my name is it's its i'm im i am this and zip code postal postcode the yes yeah yep sure ok "
    "okay hi hello hey it name's name full first last of on account please thanks thank you "
    "here"
)
_COMMON_WORDS = (
    "a an to for in at by with from about what whats what's where when why how who which can "
    "could would will should do does did don't dont not no want need like order orders cancel "
    "return exchange refund status help person human agent email address number phone change "
    "track tracking item items package delivery shipping ship payment card remember know forgot "
    "have has had be been was were am are get got send sent again that there they we us our me "
    "your you'd i'd i'll i've just only still but or if so then now today"
)
_FILLER = frozenset(_FILLER_WORDS.split())
_COMMON = frozenset(_COMMON_WORDS.split())


def read_name(text: str) -> tuple[str, str] | None:
    """The first and last name in ``text`` (each capitalised; a three-word name's middle word
    goes with the last), or None."""
    tokens = [t.casefold() for t in _TOKEN.findall(_EMAIL.sub(" , ", text))]
    tokens = [t.replace("’", "'") for t in tokens]
    start = _after_cue(tokens)
    runs = _runs(tokens[start:] if start is not None else tokens)
    names = [run for run in runs if all(w not in _COMMON for w in run)]
    if not names or (start is None and len(names) != len(runs)):
        return None
    words = names[0]
    if not 2 <= len(words) <= 3:
        return None
    return words[0].capitalize(), " ".join(_cap(w) for w in words[1:])


def _after_cue(tokens: list[str]) -> int | None:
    """Where the words after the first "my name is" / "I'm" / "this is" begin (None: no cue)."""
    for index in range(len(tokens)):
        for cue in _CUES:
            if tuple(tokens[index : index + len(cue)]) == cue:
                return index + len(cue)
    return None


def _runs(tokens: list[str]) -> list[list[str]]:
    """The runs of words between punctuation, digits and filler (empty runs dropped)."""
    runs: list[list[str]] = [[]]
    for token in tokens:
        if token in _FILLER or not token[0].isalpha():
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(token)
    return [run for run in runs if run]


def _cap(word: str) -> str:
    """O'Brien, Smith-Jones."""
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word)
