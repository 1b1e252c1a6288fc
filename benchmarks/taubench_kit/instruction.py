"""What the instruction asks, sentence by sentence: which sentences only tell who the customer
is, the requests in order and in the first person, the change of mind it announces and what it
says to bring up when asked to confirm."""

from __future__ import annotations

import functools
import re

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(#])|(?<=;)\s+(?=For #)")
_IDENTITY = re.compile(
    r"^(?:your|you are|you're)\s+(?:name|user id|zip|email|date of birth)\b"
    r"|^your (?:name|user id) is\b",
    re.I,
)
# persona and behaviour sentences: who the customer is, not what they want
_PERSONA = [
    re.compile(
        r"^(?:you are|you're) (?:a |an |very |quite )?[a-z-]+(?:, (?:and )?[a-z-]+)*,?"
        r"(?: and [a-z-]+)?(?: person)?\.?$",
        re.I,
    ),
    re.compile(r"^you are (?:reactive|detail-oriented|not|quite|somewhat|generally)\b", re.I),
    re.compile(r"\b(?:your personality|in your tone|you speak|you like to|you tend to)\b", re.I),
    re.compile(r"\bwill not say anything\b|\bonly (?:say|provide|answer|give)\b", re.I),
    re.compile(r"^you (?:give|provide|share|tell) (?:your|the) [\w ]+ only (?:when|if)\b", re.I),
    re.compile(r"^(?:if|when) the agent\b", re.I),
]
_NEXT_REQUEST = re.compile(
    r"^(?:also|additionally|in addition|besides|after that|afterwards|then|finally|"
    r"once (?:that|this|it)|for the other|for another|and for|meanwhile|moreover|for #?w\d+)\b"
    r"|\byou (?:also|then) (?:want|would like|wish|need)\b|\balso (?:want|like|need)\b",
    re.I,
)
_PRONOUNS: list[tuple[str, str]] = [
    (r"\byou're\b", "I'm"),
    (r"\byou've\b", "I've"),
    (r"\byou'd\b", "I'd"),
    (r"\byou'll\b", "I'll"),
    (r"\byou are\b", "I am"),
    (r"\byou were\b", "I was"),
    (r"\byou do't\b", "I don't"),
    (r"\byourself\b", "myself"),
    (r"\byours\b", "mine"),
    (r"\byour\b", "my"),
]
_OBJECT_AFTER = re.compile(
    r"\b(?:to|for|with|at|from|about|of|by|tell|ask|give|send|help|let|offer|told|asked|"
    r"gave|sent|helped|let|offered|contact|call|remind|charge|charged|show|make|made)\s+$",
    re.I,
)
_IMPERATIVE_DROP = re.compile(r"^(?:be|express|insist|act|pretend|behave|try|do not|don't)\b", re.I)
_IMPERATIVE_THAT = re.compile(
    r"^(?:emphasi[sz]e|mention|say|tell (?:the agent|them)|explain|stress|make it clear|"
    r"let (?:the agent|them) know)\s+(?:that\s+)?",
    re.I,
)
_REQUEST_VERB = re.compile(
    r"\b(?:want|wants|like|need|wish|cancel|return|exchange|change|modify|update|book|"
    r"refund|know|check|add|remove|switch|upgrade|downgrade)\b",
    re.I,
)

MIND_CHANGE = re.compile(
    r"\bchange (?:your|my) mind\b[^.;]*|\bdecide (?:to not|not to)\b[^.;]*", re.I
)
_AT_CONFIRMATION = re.compile(
    r"(?:if|when|before) (?:the agent asks for confirmation|confirming|you confirm)[^,]*,\s*"
    r"(?P<what>[^.;]*)",
    re.I,
)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def is_persona(sentence: str) -> bool:
    return (
        bool(_IDENTITY.search(sentence))
        or bool(_IMPERATIVE_DROP.search(sentence))
        or any(p.search(sentence) for p in _PERSONA)
    )


def is_about_them(sentence: str) -> bool:
    """Whether a sentence only tells who the customer is (identity facts, personality); unlike
    ``is_persona``, what they are asked to express, insist on or bring up is kept."""
    return bool(_IDENTITY.search(sentence)) or any(p.search(sentence) for p in _PERSONA[:3])


def wanted_sentences(instruction: str) -> list[str]:
    """The instruction's sentences that say what the customer wants (no persona)."""
    return [s for s in sentences(instruction) if not is_persona(s)]


def _swap_you(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in re.finditer(r"\byou\b", text, re.I):
        before = text[: match.start()]
        out.append(text[last : match.start()])
        after = text[match.end() :]
        as_object = _OBJECT_AFTER.search(before) or re.match(r"\s*(?:[,.;:!?]|$)", after)
        out.append("me" if as_object else "I")
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def first_person(sentence: str) -> str:
    """``You want to return my... `` becomes ``I want to return my...``."""
    text = _IMPERATIVE_THAT.sub("", sentence)
    for pattern, repl in _PRONOUNS:
        text = re.sub(pattern, functools.partial(_cased_match, repl), text, flags=re.I)
    text = _swap_you(text)
    text = re.sub(r"\bI wanna\b", "I want to", text)
    text = re.sub(r"\bI (wants|needs|has|does|is)\b", lambda m: "I " + _base(m.group(1)), text)
    return text[:1].upper() + text[1:]


def _base(verb: str) -> str:
    return {"wants": "want", "needs": "need", "has": "have", "does": "do", "is": "am"}[verb]


def _cased_match(replacement: str, match: re.Match[str]) -> str:
    return _cased(match.group(0), replacement)


def _cased(found: str, replacement: str) -> str:
    if replacement.startswith("I"):
        return replacement
    return replacement.capitalize() if found[:1].isupper() else replacement


def requests(instruction: str) -> list[list[str]]:
    """The instruction's requests in order, each a list of first-person sentences."""
    groups: list[list[str]] = []
    for sentence in sentences(instruction):
        if is_persona(sentence):
            continue
        starts_new = (
            bool(_NEXT_REQUEST.search(sentence))
            and any(_REQUEST_VERB.search(s) for s in groups[-1])
            if groups
            else True
        )
        if starts_new:
            groups.append([])
        groups[-1].append(first_person(sentence))
    return groups


def at_confirmation(instruction: str) -> str | None:
    """What the instruction says to bring up when asked to confirm, first person."""
    match = _AT_CONFIRMATION.search(instruction)
    if not match:
        return None
    what = re.sub(r"^(?:mention|say|tell (?:them|the agent))\s+(?:that\s+)?", "", match["what"])
    what = re.sub(r"^decide to\s+", "I want to ", what.strip())
    return first_person(what).rstrip(".") + "."
