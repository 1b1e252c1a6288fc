"""The persona's voice: register, acknowledgements and the wording guardrails.

* **Register** (``persona.register``): every rendered reply goes through the register's
  rewrites. ``formal`` spells out contractions and drops exclamation marks; ``casual`` shortens
  stock phrases ("Would you like me to" -> "Want me to"); ``neutral`` leaves the text as written.
* **Acknowledgements**: the opening line of a reply to a distressed customer, per cause (and a
  stronger set for strong frustration), several variants each, so that a conversation never hears
  the same one twice. A pack replaces a cause's variants with ``empathy.acknowledgements``.
  Real trouble (``trouble``) names the thing the customer named when rendered with
  ``acknowledgement_context`` ("I'm sorry your vacuum cleaner arrived broken — let's sort it
  out."); rendered without it (``Responder.acknowledge`` passes only ``asked`` today) or when
  nothing was named, it says "I'm sorry about that — let's sort it out."
* **Guardrails**: no template may promise (``I promise``, ``guarantee``) or blame (``your
  fault``, ``you should have``); a pack adds its own phrases with ``persona.forbidden_phrases``.
  The check runs on every template when the pack loads.
"""

from __future__ import annotations

import functools
import re

from warmline.domain.decision import Acknowledgement, AcknowledgementCause
from warmline.domain.pack import Register

ACKNOWLEDGEMENTS: dict[str, list[str]] = {
    "repeat": [
        "I can see you've asked about this {{ asked }} already, and I'm sorry you've had to "
        "repeat yourself.",
        "You've asked about this {{ asked }} now, and I'm sorry it still isn't sorted.",
        "I'm sorry you've had to ask {{ asked }}. Let's get this sorted.",
        "Thank you for your patience; I know you've asked about this {{ asked }}.",
    ],
    "frustration": [
        "I understand this is frustrating.",
        "I can see this has been annoying, and I'm sorry.",
        "That sounds frustrating. I'm sorry.",
        "I'm sorry about the trouble this has caused.",
    ],
    "frustration_strong": [
        "I'm really sorry. I can see this has been a very frustrating experience.",
        "I completely understand why you're upset, and I'm sorry.",
        "I'm truly sorry this has gone so badly for you.",
        "I hear how upset you are, and I'm sorry.",
    ],
    "urgency": [
        "I understand this is urgent, so I'll keep it quick.",
        "I can see time matters here, so let's move fast.",
        "I know this can't wait.",
        "Understood, this is urgent.",
    ],
    "confusion": [
        "Sorry for the confusion; let me make this clearer.",
        "I can see that wasn't clear. Let me help.",
        "That's a fair question; let me keep it simple.",
        "No problem, let's take it one step at a time.",
    ],
    "negative": [
        "I'm sorry to hear that.",
        "I'm sorry you're dealing with this.",
        "That's not the experience we want for you, and I'm sorry.",
        "I'm sorry things haven't gone well.",
    ],
    "trouble": [
        "I'm sorry {% if thing is defined and thing %}your {{ thing }} {{ trouble }}"
        "{% else %}about that{% endif %} — let's sort it out.",
        "I'm sorry to hear {% if thing is defined and thing %}your {{ thing }} {{ trouble }}"
        "{% else %}that{% endif %}. Let's put it right.",
        "That shouldn't have happened{% if thing is defined and thing %} to your {{ thing }}"
        "{% endif %}, and I'm sorry. Let's sort it out.",
        "I'm sorry about the trouble{% if thing is defined and thing %} with your {{ thing }}"
        "{% endif %}. Let's get it fixed.",
    ],
    "leave_threat": [
        "I'm very sorry we've let you down, and I don't want to lose you as a customer.",
        "I understand you're thinking of leaving, and I'm sorry it has come to this.",
        "I hear you, and I'm sorry we've made you feel this way.",
    ],
}

FORBIDDEN: list[tuple[str, re.Pattern[str]]] = [
    ("a promise", re.compile(r"\b(I|we) promise\b|\bguarantee[sd]?\b|\bwithout fail\b", re.I)),
    ("a promise", re.compile(r"\b100 ?%|\bdefinitely will\b|\bfor sure\b", re.I)),
    ("blame", re.compile(r"\byour (own )?fault\b|\byou should have\b|\bblame\b", re.I)),
    ("blame", re.compile(r"\byou (failed|forgot|neglected|didn't bother)\b", re.I)),
    ("blame", re.compile(r"\b(their|his|her|my colleague's|the agent's) fault\b", re.I)),
]

_CONTRACTIONS = {
    "I'm": "I am",
    "I've": "I have",
    "I'll": "I will",
    "I'd": "I would",
    "you're": "you are",
    "you've": "you have",
    "you'd": "you would",
    "you'll": "you will",
    "we're": "we are",
    "we've": "we have",
    "we'll": "we will",
    "they're": "they are",
    "they'll": "they will",
    "they've": "they have",
    "they'd": "they would",
    "we'd": "we would",
    "it'll": "it will",
    "that'll": "that will",
    "there'll": "there will",
    "who's": "who is",
    "where's": "where is",
    "can't": "cannot",
    "won't": "will not",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "haven't": "have not",
    "hasn't": "has not",
    "couldn't": "could not",
    "wouldn't": "would not",
    "shouldn't": "should not",
    "that's": "that is",
    "there's": "there is",
    "it's": "it is",
    "let's": "let us",
    "what's": "what is",
    "here's": "here is",
}
_FORMAL_PHRASES = {
    "Hi": "Hello",
    "Okay": "Very well",
    "Thanks": "Thank you",
    "sorted": "resolved",
    "Take care": "Kind regards",
    "No problem": "Certainly",
}
_CASUAL_PHRASES = {
    "Would you like me to": "Want me to",
    "Is there anything else I can help with": "Anything else I can help with",
    "Is there something else I can help with": "Anything else I can help with",
    "Thank you for contacting": "Thanks for chatting with",
    "I'm sorry": "Sorry",
    "Could you": "Can you",
    "Certainly": "Sure",
    "Hello": "Hi",
}


def _rule(phrase: str, replacement: str) -> tuple[re.Pattern[str], str]:
    """A whole-word, case-insensitive rewrite keeping the capital of the first letter."""
    return re.compile(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", re.I), replacement


_RULES: dict[Register, list[tuple[re.Pattern[str], str]]] = {
    "formal": [_rule(a, b) for a, b in {**_CONTRACTIONS, **_FORMAL_PHRASES}.items()],
    "casual": [_rule(a, b) for a, b in _CASUAL_PHRASES.items()],
    "neutral": [],
}


_SENTENCE_START = re.compile(r"(^|[.!?:;]\s+|\n)$")


def _keep_case(replacement: str, match: re.Match[str]) -> str:
    """The replacement capitalised as the phrase it replaces was. A phrase opening with the
    pronoun "I" that becomes one without it ("I'm sorry" -> "Sorry") is rewritten only where it
    opens a sentence."""
    found = match.group(0)
    if replacement.startswith("I ") or replacement == "I":
        return replacement
    pronoun = found[:1] == "I" and (len(found) == 1 or not found[1].isalpha())
    if pronoun and not _SENTENCE_START.search(match.string[: match.start()]):
        return found
    head = replacement[:1].upper() if found[:1].isupper() else replacement[:1].lower()
    return head + replacement[1:]


def apply_register(text: str, register: Register) -> str:
    """``text`` in the persona's register."""
    for pattern, replacement in _RULES[register]:
        text = pattern.sub(functools.partial(_keep_case, replacement), text)
    if register == "formal":
        text = re.sub(r"!+", ".", text)
    return text


def guardrail_problems(text: str, extra: list[str]) -> list[str]:
    """What in ``text`` breaks a guardrail: the built-in promise and blame patterns, and the
    pack's own phrases (matched whole-word, ignoring case)."""
    problems = [f"{kind}: '{m.group(0)}'" for kind, p in FORBIDDEN if (m := p.search(text))]
    for phrase in extra:
        if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.I):
            problems.append(f"forbidden phrase: '{phrase}'")
    return problems


def acknowledgement_key(cause: AcknowledgementCause, strong: bool) -> str:
    return "frustration_strong" if cause == "frustration" and strong else cause


def acknowledgement_context(ack: Acknowledgement) -> dict[str, str]:
    """What an acknowledgement's wording is rendered with: how often a request was made
    (``asked``) and, for trouble, what happened (``trouble``) to what (``thing``; empty when
    the customer did not say)."""
    return {"asked": asked(ack.times), "trouble": ack.trouble or "", "thing": ack.thing or ""}


def asked(times: int) -> str:
    """How often a request was made, in words: "twice", "3 times", "more than once"."""
    return {0: "more than once", 1: "more than once", 2: "twice"}.get(times, f"{times} times")
