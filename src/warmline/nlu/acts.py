"""Dialogue acts: what a turn does besides (or instead of) asking for something.

Each turn is read as one or two acts: a greeting, thanks, a goodbye, a yes (affirm), a no
(deny), a correction, a pick among what was shown (choice), a bare id or value (answer), or a
request. An opener (a greeting or thanks: "hi, can you ...", "thanks! and also ...") may come
with one request; ``request`` is then the part that asks, read on its own by the engine.

A correction says what was wrong and what was meant ("not the bag, the booking itself", "no, I
meant the other order", "not that order, the one from May"): ``negated`` and ``meant`` hold the
two phrases. A reference points back at what the bot showed or the request discussed ("the
other one", "the first", "the last one", "the one from May", "that order"): ``reference``.
Rules only, on word boundaries: "hiking boots" opens with no greeting, "nothing" is no "no".
"""

from __future__ import annotations

import re

from warmline.domain.dates import MONTH_NAME, month_number
from warmline.domain.understanding import DialogueActs, Reference

_SEP = r"(?:\s*[,.!;:\-]+\s*|\s+|$)"
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening|day))"
    r"(?:\s+(?:there|again|team|all|everyone))?" + _SEP,
    re.I,
)
_PRAISE = r"(?:cool|great|perfect|awesome|nice|excellent|wonderful|brilliant|lovely|fantastic|amazing|super|sweet|neat|good)"
_THANKS = re.compile(
    rf"^(?:(?:ok(?:ay)?|{_PRAISE}),?\s+)?(?:thanks|thank\s+you|thx|ty|cheers|many\s+thanks)"
    r"(?:\s+(?:so|very)\s+much|\s+a\s+lot|\s+again)?" + _SEP,
    re.I,
)
_JOIN = re.compile(r"^(?:and\s+also|and|also|plus|one\s+more\s+thing|another\s+thing)" + _SEP, re.I)
_GOODBYE = re.compile(
    r"^(?:bye|goodbye|good\s*bye|see\s+you|that(?:'s|\s+is)\s+(?:all|everything|it)|"
    r"have\s+a\s+(?:good|nice)\s+(?:day|one))\b",
    re.I,
)
_AGREE = (
    r"sounds?\s+(?:good|great|fine|perfect|right|like\s+a\s+plan)(?:\s+to\s+me)?|that\s+works(?:\s+for\s+me)?|"
    r"works\s+for\s+me|(?:that(?:'s|\s+is)\s+)?fine\s+(?:by|with)\s+me|let'?s\s+do\s+(?:it|that)|"
    r"please\s+do"
)
_AFFIRM = re.compile(
    rf"^(?:(?:ok(?:ay)?|{_PRAISE})\W+)*"
    rf"(?:yes|yeah|yep|yup|sure|ok|okay|correct|right|confirm(?:ed)?|go\s+ahead|do\s+it|{_AGREE})"
    r"(?:\W*\s(?:please|thanks|go\s+ahead|do\s+it|that'?s\s+right))*\W*$",
    re.I,
)
"""A yes: "yes", "ok", "sure", "go ahead", and agreement with what was proposed ("sounds good",
"that works", "perfect, go ahead"). A word of praise alone ("cool", "perfect") is no yes."""
_ACKNOWLEDGE = re.compile(
    rf"^(?:(?:oh|ok(?:ay)?|very|so|really|that(?:'s|\s+is)|how)\W+)*{_PRAISE}(?:\W+{_PRAISE})*\W*$",
    re.I,
)
"""An acknowledgement: praise that answers nothing ("cool", "great!", "ok perfect", "that's
awesome"). Like "ok" after an answer it asks for nothing; at a confirmation it is no yes."""
_DENY = re.compile(r"^(?:no|nope|nah|no\s+thanks?|no\s+thank\s+you|don'?t)\W*$", re.I)
_NOT_X_Y = re.compile(
    r"^(?:no\W+|nope\W+|sorry\W+|actually\W+)*(?:it(?:'s|\s+is|\s+was)\s+)?not\s+"
    r"(?P<negated>(?:the|that|this|my)\s+[^,;.!?]+?)\s*(?:[,;.!?]+|\bbut\b)\s*"
    r"(?:but\s+|i\s+meant?\s+|rather\s+)?(?P<meant>.+)$",
    re.I,
)
_I_MEANT = re.compile(
    r"^(?:no\W+|nope\W+|sorry\W+|actually\W+|oh\W+)*(?:i\s+meant?|i\s+was\s+talking\s+about|"
    r"what\s+i\s+meant\s+was|i\s+mean)\s+(?P<meant>.+)$",
    re.I,
)
_INSTEAD = re.compile(r"^(?:no\W+|actually\W+)+(?P<meant>.+?)\s+instead\W*$", re.I)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}
_THING = r"(?:one|order|reservation|booking|trip|flight|item|address|card)"
_OTHER = re.compile(rf"\b(?:the\s+)?other\s+{_THING}\b|\bthe\s+other\b", re.I)
_ORDINAL = re.compile(
    rf"\bthe\s+(?P<n>first|second|third|fourth|fifth|last)(?:\s+{_THING})?\b", re.I
)
_FROM_DATE = re.compile(
    rf"\b(?:the\s+)?(?:one|{_THING})\s+(?:from|in|on|of|for|dated)\s+"
    rf"(?P<month>{MONTH_NAME})\.?(?:\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?)?\b",
    re.I,
)
_THAT = re.compile(
    r"\b(?:that|this|the\s+same)\s+(?P<thing>order|reservation|booking|trip|flight|one)\b", re.I
)
_ANSWER = re.compile(
    r"^\W*(?:#?[a-z]*\d[\w-]{3,}|[\w.+-]+@[\w-]+\.[\w.]+|\+?[\d\s().-]{6,}|\d+)\W*$", re.I
)
CHOICE_MAX_WORDS = 7
"""A reference this short ("the other one", "the one from May 17") is a pick, no request."""


def read_acts(text: str) -> DialogueActs:
    """The dialogue acts of a turn (its text already cleaned)."""
    acts: list[str] = []
    rest = text.strip()
    while True:
        opener = _opener(rest)
        if opener is None:
            break
        act, rest = opener
        if act not in acts:
            acts.append(act)
    opened = bool(acts)
    rest = _JOIN.sub("", rest, count=1).strip() if opened else rest
    reference = read_reference(rest)
    main, negated, meant = _main_act(rest, reference)
    if main is not None:
        acts.append(main)
    request = rest if opened and main in ("request", "correction", "choice") else None
    return DialogueActs(
        acts=acts or ["request"],
        request=request or None,
        negated=negated,
        meant=meant,
        reference=reference,
    )


def without_openers(text: str) -> str:
    """The text past its greetings and thanks ("thanks, bye": "bye")."""
    rest = text.strip()
    while (opener := _opener(rest)) is not None:
        rest = opener[1]
    return rest


def says_goodbye(text: str) -> bool:
    """Whether the turn takes leave ("bye", "thanks, bye", "ok bye then", "that's all")."""
    rest = re.sub(
        r"^(?:(?:ok(?:ay)?|alright|all\s+right|fine|well)\W+)+", "", without_openers(text)
    )
    return _GOODBYE.match(rest) is not None


def _opener(text: str) -> tuple[str, str] | None:
    """A greeting or thanks the text opens with, and the rest (None: it opens with neither)."""
    for act, pattern in (("greeting", _GREETING), ("thanks", _THANKS)):
        match = pattern.match(text)
        if match is not None:
            return act, text[match.end() :].strip()
    return None


def _main_act(rest: str, reference: Reference | None) -> tuple[str | None, str | None, str | None]:
    """The act of the turn past its openers, with a correction's two phrases."""
    if not rest or not re.search(r"\w", rest):
        return None, None, None
    if _GOODBYE.match(rest):
        return "goodbye", None, None
    if _AFFIRM.match(rest):
        return "affirm", None, None
    if _DENY.match(rest):
        return "deny", None, None
    if _ACKNOWLEDGE.match(rest):
        return "acknowledge", None, None
    for pattern in (_NOT_X_Y, _I_MEANT, _INSTEAD):
        match = pattern.match(rest)
        if match is not None:
            groups = match.groupdict()
            return "correction", groups.get("negated"), _trim(groups["meant"])
    if reference is not None and len(rest.split()) <= CHOICE_MAX_WORDS:
        return "choice", None, None
    if _ANSWER.match(rest):
        return "answer", None, None
    return "request", None, None


def read_reference(text: str) -> Reference | None:
    """What the words point back at: the other one, the n-th shown, the one of a date, or
    the one discussed (None: nothing)."""
    dated = _FROM_DATE.search(text)
    if dated is not None:
        month = month_number(dated["month"])
        day = int(dated["day"]) if dated["day"] else None
        return Reference(kind="date", month=month, day=day, text=dated[0])
    other = _OTHER.search(text)
    if other is not None:
        return Reference(kind="other", text=other[0])
    ordinal = _ORDINAL.search(text)
    if ordinal is not None:
        return Reference(kind="ordinal", index=_ORDINALS[ordinal["n"].lower()], text=ordinal[0])
    that = _THAT.search(text)
    if that is not None:
        return Reference(kind="that", text=that[0])
    return None


def _trim(meant: str) -> str:
    """The meant phrase without its emphasis ("the booking itself" -> "the booking")."""
    meant = re.sub(r"\b(?:itself|themselves|instead|please|actually)\b", " ", meant, flags=re.I)
    return " ".join(meant.strip(" ,.!?;").split())
