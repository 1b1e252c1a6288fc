"""Reading a long turn sentence by sentence: the request sentence decides the intent.

Customers often open with a few sentences of context around the request ("I fly business from
Las Vegas to Orlando on May 25 with no bags booked yet. I want five checked bags in total.").
The intent model learnt from short requests, so the context dilutes the whole turn's reading.
A turn of two sentences or more (or clauses joined by ", so I ..." and the like) is also read
one sentence at a time:

* a *request sentence* carries a cue of asking ("I want / need / would like", "can you",
  "please", "how much", "when", a question mark, an imperative such as "cancel ...");
* the first request sentence read with confidence as an intent of the pack (not the reject
  class, not a conversational one) decides, unless the whole turn is confident of the same
  intent (nothing changes then);
* with no such sentence, a request sentence read as ``clarify`` replaces a whole turn that is
  not confident, when its top intent is more probable than the whole turn's: the question
  then offers the intents the request itself points to;
* otherwise the whole turn's reading stands. A turn of one sentence is read exactly as before.

The context sentences still give their entities: those are read from the whole turn
(``entities.py``). Calibration stays honest: the probability reported is the request sentence's
own, from the same calibrated model, and ``RequestSentence`` says which sentence it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from warmline.domain.understanding import REJECT_INTENT, RequestSentence, Zone
from warmline.nlu.intents import IntentClassifier, Ranking

MIN_WORDS = 3
"""A fragment shorter than this ("Hi.", "Thanks!", "Mr.") joins the sentence after it."""
MIN_CLAUSE_WORDS = 5
"""A clause shorter than this ("please remove it") stays with the one before it."""
MAX_SENTENCES = 8
"""At most this many sentences are read on their own (the first ones)."""
CONVERSATIONAL = frozenset({"greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge"})
"""Intents that never stand for the request of a long turn ("Thanks in advance.")."""

_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
_CLAUSE = re.compile(
    r",?\s+(?=(?:so|and so|but|and now|then)\s+(?:i|we)\b)"
    r"|,\s+(?=(?:can|could|would|will)\s+you\b|please\b)",
    re.I,
)
_CUE = re.compile(
    r"\b(?:i|we)\s+(?:really\s+|just\s+|also\s+|now\s+|only\s+)?"
    r"(?:want|need|would\s+(?:like|love|prefer|rather)|wish|wanna|have\s+to|must)\b"
    r"|\b(?:i|we)['’]d\s+(?:like|love|prefer|rather|appreciate)\b"
    r"|\b(?:can|could|would|will)\s+(?:you|i|we|someone)\b"
    r"|\b(?:please|pls|plz|kindly|let me know|is it possible|is there a way)\b"
    r"|\b(?:how|what|when|where|which|why|who)\b"
    r"|\?",
    re.I,
)
_IMPERATIVE = re.compile(
    r"^(?:also\s+|and\s+|so\s+|now\s+)?(?:cancel|change|add|remove|book|update|fix|correct|move|"
    r"send|ship|return|exchange|swap|switch|check|tell|show|give|refund|help|find|look|"
    r"upgrade|downgrade|modify|rebook|reschedule|put|take|drop|get|make|list|track|deliver|"
    r"charge|pay|use)\b",
    re.I,
)

_NEGATED = re.compile(
    r"\b(?:i|we)\s+(?:do\s+not|don['’]t|never|no\s+longer)\s+(?:really\s+)?(?:want|need|wish)\b"
    r"|^(?:please\s+)?(?:do\s+not|don['’]t|never)\b|\bplease\s+(?:do\s+not|don['’]t)\b",
    re.I,
)
"""A refusal ("I do not want to cancel anything", "please don't change the date") says what
must not happen: never the request of the turn."""
_DIFFERENCE = re.compile(
    r"\b(?:any|the|a|price)\s+(?:price\s+)?difference\b|\bdifference\s+in\s+(?:the\s+)?price\b",
    re.I,
)
_PAYING = re.compile(
    r"\b(?:pay|paid|paying|charge[ds]?|refund(?:ed)?|use|put|settle[ds]?|go(?:es)?\s+(?:on|to|through|"
    r"back)|card|paypal|visa|mastercard|amex|discover)\b",
    re.I,
)
_OTHER_REQUEST = re.compile(
    r"\b(?:exchang|swap|chang|return|cancel|modif|replac|switch|upgrad|book|send|ship)\w*",
    re.I,
)
"""How the price difference of an item change or an exchange is paid ("Use PayPal for any
difference, not my gift card", "put the difference on my Visa ending in 6367"): a detail of
that request, never a request of its own (not a change of the order's payment method)."""

ZoneOf = Callable[[Ranking], tuple[Zone, str]]


@dataclass(frozen=True)
class Sentence:
    text: str
    request: bool


@dataclass(frozen=True)
class SentenceReading:
    """The reading a long turn takes from its request sentence."""

    ranking: Ranking
    zone: Zone
    rule: str
    request: RequestSentence


def split(text: str) -> list[Sentence]:
    """The sentences (and clauses) of a turn, each marked whether it asks for something."""
    parts: list[str] = []
    for sentence in _END.split(text):
        parts.extend(_clauses(sentence))
    merged: list[str] = []
    carry = ""
    for part in parts:
        part = f"{carry} {part.strip()}".strip()
        if len(part.split()) < MIN_WORDS:
            carry = part
            continue
        merged.append(part)
        carry = ""
    if carry:
        if merged:
            merged[-1] = f"{merged[-1]} {carry}"
        else:
            merged.append(carry)
    return [Sentence(s, is_request(s)) for s in merged]


def _clauses(sentence: str) -> list[str]:
    """A sentence's clauses ("..., so I want ..."), each of ``MIN_CLAUSE_WORDS`` words or
    more: a shorter one ("please remove it") stays with the clause before it."""
    clauses: list[str] = []
    for part in _CLAUSE.split(sentence):
        part = part.strip()
        if not part:
            continue
        short = min(len(part.split()), len(clauses[-1].split())) if clauses else MIN_CLAUSE_WORDS
        if short < MIN_CLAUSE_WORDS:
            clauses[-1] = f"{clauses[-1]}, {part}"
        else:
            clauses.append(part)
    return clauses


def is_request(sentence: str) -> bool:
    """Whether a sentence carries a cue of asking (a want, a question, an imperative) and
    refuses nothing."""
    if _NEGATED.search(sentence) or pays_difference(sentence):
        return False
    return bool(_CUE.search(sentence) or _IMPERATIVE.search(sentence.strip()))


def pays_difference(sentence: str) -> bool:
    """Whether a sentence only says how a price difference is paid or refunded: a detail of
    the item change or exchange it goes with, asking for nothing else."""
    if not _DIFFERENCE.search(sentence) or not _PAYING.search(sentence):
        return False
    return not _OTHER_REQUEST.search(sentence)


def read_request(
    classifier: IntentClassifier, zone_of: ZoneOf, text: str, whole: Ranking, whole_zone: Zone
) -> SentenceReading | None:
    """The reading of a long turn its request sentence gives, or None: one sentence, no
    request sentence that reads better, or the whole turn already confident of it."""
    sentences = split(text)[:MAX_SENTENCES]
    if len(sentences) < 2 or not any(s.request for s in sentences):
        return None
    asked = [(i, s) for i, s in enumerate(sentences) if s.request]
    rankings = classifier.rank([s.text for _, s in asked])
    read = [(i, s, r, *zone_of(r)) for (i, s), r in zip(asked, rankings, strict=True)]
    read = [item for item in read if _in_scope(item[2])]
    chosen = next((item for item in read if item[3] == "confident"), None)
    if chosen is None:
        unsure = [item for item in read if item[3] == "clarify"]
        best = max(unsure, key=lambda item: item[2].scores[0].probability, default=None)
        if whole_zone == "confident" or best is None:
            return None
        if whole_zone == "clarify" and _top(best[2]) <= _top(whole):
            return None
        chosen = best
    index, sentence, ranking, zone, rule = chosen
    if whole_zone == "confident" and whole.scores[0].intent == ranking.scores[0].intent:
        return None
    request = RequestSentence(
        text=sentence.text,
        index=index + 1,
        sentences=len(sentences),
        intent=ranking.scores[0].intent,
        probability=round(_top(ranking), 4),
        whole_intent=whole.scores[0].intent if whole.scores else None,
        whole_probability=round(_top(whole), 4),
        whole_zone=whole_zone,
    )
    return SentenceReading(ranking, zone, f"request sentence {index + 1}: {rule}", request)


def _top(ranking: Ranking) -> float:
    return ranking.scores[0].probability if ranking.scores else 0.0


def _in_scope(ranking: Ranking) -> bool:
    """A sentence read as one of the pack's requests: not the reject class, not small talk."""
    if not ranking.scores:
        return False
    intent = ranking.scores[0].intent
    return intent != REJECT_INTENT and intent not in CONVERSATIONAL
