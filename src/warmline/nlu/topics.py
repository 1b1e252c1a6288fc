"""Regulated topics: requests a bot must not answer and a person must take.

A customer asking for medical, legal or financial *advice*, or lodging a complaint under a
regulator's rules, is owed a qualified person. The patterns look for the request, not the
subject: "I cancelled for medical reasons" or "my card was charged twice" are ordinary service
requests and match nothing. Topic codes (stable; they appear in the decision's reasons):

* ``health``: medical advice ("is it safe to fly while pregnant", "should I take my medication")
* ``legal``: legal advice or action ("my legal rights", "talk to my lawyer", "sue you")
* ``financial_advice``: investment, tax or credit advice ("should I invest", "tax advice")
* ``regulated_complaint``: a formal complaint or escalation to a regulator or ombudsman
"""

from __future__ import annotations

import re

_FLAGS = re.I

TOPICS: dict[str, re.Pattern[str]] = {
    "health": re.compile(
        r"\b(medical|health) advice\b"
        r"|\bis it (safe|ok|okay|dangerous|risky) (for me )?to (fly|travel)\b.{0,40}"
        r"\b(pregnan\w*|surgery|operation|heart|blood|clot|condition|illness|infection|injur\w*|"
        r"stroke|diabet\w*|chemo\w*|broken|fracture|epilep\w*|asthma)"
        r"|\bis it (safe|ok|okay|dangerous|risky) to (take|use|mix) (my )?(medication|medicine|pills?|"
        r"insulin|drugs?|sleeping pills?)\b"
        r"|\bshould i (take|stop taking|skip) (my )?(medication|medicine|pills?|insulin|dose)\b"
        r"|\b(while|when) (i'?m |i am |being )?pregnant\b"
        r"|\b(diagnos(e|is)|symptoms? of|side effects? of|drug interaction)\b"
        r"|\b(chest pain|heart attack|can'?t breathe|overdose|suicid\w*|self.?harm)\b",
        _FLAGS,
    ),
    "legal": re.compile(
        r"\blegal (advice|action|rights|proceedings|claim|counsel)\b"
        r"|\bmy (legal )?rights under\b"
        r"|\b(my|a|an) (lawyer|attorney|solicitor)\b"
        r"|\b(sue|suing) (you|your|the)\b|\btake (you|this) to court\b|\blawsuit\b"
        r"|\bsmall claims\b|\bis it (legal|illegal|lawful) (for you|for them|to)\b",
        _FLAGS,
    ),
    "financial_advice": re.compile(
        r"\b(financial|investment|tax|pension|mortgage) advice\b"
        r"|\bshould i (invest|buy (shares|stocks?|crypto|bitcoin)|sell (my )?(shares|stocks?))\b"
        r"|\b(which|what) (stocks?|shares|funds?|crypto) (should|to) (i )?(buy|invest)\b"
        r"|\bhow (should|do) i invest\b|\bis (it|this) a good investment\b",
        _FLAGS,
    ),
    "regulated_complaint": re.compile(
        r"\b(formal|official|written) complaint\b"
        r"|\b(file|lodge|make|raise|submit) an? complaint\b"
        r"|\bombudsman\b|\bregulator\b|\b(report|complain) (you |this )?to the "
        r"(regulator|authorities|dot|caa|fca|cfpb|bbb|ftc|department of transportation)\b"
        r"|\b(consumer protection|trading standards)\b",
        _FLAGS,
    ),
}


def regulated_topics(text: str) -> list[str]:
    """The regulated topics ``text`` asks about, in a fixed order."""
    return [name for name, pattern in TOPICS.items() if pattern.search(text)]
