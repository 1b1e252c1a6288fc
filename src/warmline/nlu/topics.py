"""Topics: what a turn is about that decides who should answer it, read from its wording.

Regulated topics are requests a bot must not answer and a person must take. A customer asking
for medical, legal or financial *advice*, or lodging a complaint under a regulator's rules, is
owed a qualified person. The patterns look for the request, not the subject: "I cancelled for
medical reasons" or "my card was charged twice" are ordinary service requests and match
nothing. Regulated topic codes (stable; they appear in the decision's reasons):

* ``health``: medical advice ("is it safe to fly while pregnant", "can I fly with a blood clot")
* ``legal``: legal advice or action ("my legal rights", "talk to my lawyer", "sue you")
* ``financial_advice``: investment, tax or credit advice ("should I invest", "tax advice")
* ``regulated_complaint``: a formal complaint, or one taken to a regulator, an ombudsman or an
  authority ("I'll report you to the DOT")

Service topics are ordinary requests a bot may serve, but that shape a handover
(``policy/escalation.py``):

* ``complaint``: complaint wording, however calm ("I'd like to complain about the delay"; not
  "I can't complain", "no complaints")
* ``staff_complaint``: a complaint about a member of staff ("the agent at the gate was rude",
  "I want to complain about the person I spoke to"): a service complaint, never a regulated one
* ``health_circumstance``: a health circumstance told as the reason for a request ("my son is
  ill and can't travel", "I broke my leg and need to cancel"): no advice is asked, but the
  request is urgent
"""

from __future__ import annotations

import re

_FLAGS = re.I

_CONDITION = (
    r"(pregnan\w*|surgery|operation|heart|blood|clots?|dvt|condition|illness|infection|injur\w*|"
    r"stroke|diabet\w*|chemo\w*|fracture\w*|epilep\w*|asthma|pacemaker|(a |my )?cast\b|"
    r"broken (leg|arm|ankle|wrist|foot|bone|rib|hip|back|neck)|concussion|covid|fever)"
)

TOPICS: dict[str, re.Pattern[str]] = {
    "health": re.compile(
        r"\b(medical|health) advice\b"
        r"|\bis it (safe|ok|okay|dangerous|risky) (for me )?to (fly|travel)\b.{0,40}"
        r"\b(pregnan\w*|surgery|operation|heart|blood|clot|condition|illness|infection|injur\w*|"
        r"stroke|diabet\w*|chemo\w*|broken|fracture|epilep\w*|asthma)"
        rf"|\b(can|could|should|may) i (still |safely )?(fly|travel)\b.{{0,30}}\b{_CONDITION}"
        r"|\b(am i|are you) (still )?fit to (fly|travel)\b"
        r"|\bis it (safe|ok|okay|dangerous|risky) to (take|use|mix) (my )?(medication|medicine|pills?|"
        r"insulin|drugs?|sleeping pills?)\b"
        r"|\bshould i (take|stop taking|skip) (my )?(medication|medicine|pills?|insulin|dose)\b"
        r"|\b(while|when) (i'?m |i am |being )?pregnant\b"
        r"|\b(diagnos(e|is)|symptoms? of|side effects? of|drug interaction)\b"
        r"|\b(chest pain|(having|have) a heart attack|can'?t breathe|overdose|suicid\w*|"
        r"self.?harm)\b",
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
        r"|\bombudsman\b|\bregulators?\b"
        r"|\b(report|complain|escalate) (you |this |it )?to (the )?"
        r"(authorities|dot|caa|fca|cfpb|bbb|ftc|faa)\b"
        r"|\b(complaint|report) with (the )?(dot|caa|fca|cfpb|bbb|ftc|faa)\b"
        r"|\b(department of transportation|federal trade commission|civil aviation authority|"
        r"federal aviation administration|consumer financial protection bureau|"
        r"better business bureau|attorney general)\b"
        r"|\b(consumer protection|trading standards)\b",
        _FLAGS,
    ),
}
"""The regulated topics, in the order they are reported."""

_STAFF = (
    r"(gate |check-?in |desk |counter |booking |phone |support |service |customer service |"
    r"delivery |ground )?(agents?|staff( members?)?|members? of (your )?staff|employees?|"
    r"(cabin )?crew|flight attendants?|attendants?|stewards?|stewardess(es)?|pilots?|captain|"
    r"representatives?|reps?|person|people|guy|man|woman|lady|drivers?|couriers?|cashiers?|"
    r"clerks?|managers?|colleagues?|team members?|operators?|team)"
)
_BAD = (
    r"(rude|unhelpful|impolite|dismissive|aggressive|condescending|disrespectful|"
    r"unprofessional|hostile|abusive|useless|insulting|racist|sexist|mean|nasty|arrogant|"
    r"incompetent|patronising|patronizing|obnoxious)"
)
_QUALIFIER = r"(\s+(at|on|in|from|behind|by|of|who|that|i|we)\b[\w\s'-]{0,30}?)?"

SERVICE_TOPICS: dict[str, re.Pattern[str]] = {
    "complaint": re.compile(
        r"(?<!\bnot )(?<!n't )(?<!\bno )(?<!\bnever )\bcomplain(s|ed|ing|ts?)?\b", _FLAGS
    ),
    "staff_complaint": re.compile(
        rf"\b{_STAFF}{_QUALIFIER}\s+(was|were|is|are|has been|have been|being)\s+"
        rf"((so|very|really|extremely|incredibly|quite|absolutely|super|completely|just)\s+)?"
        rf"{_BAD}\b"
        rf"|\b{_BAD}\s+{_STAFF}\b"
        rf"|\b{_STAFF}{_QUALIFIER}\s+(treated|shouted at|yelled at|insulted|ignored|laughed at|"
        r"swore at|hung up on|was rude to|were rude to) (me|us|my)\b"
        rf"|\bcomplain(t|ts|ing)?\b[\w\s']{{0,20}}?\babout (the |your |a |an |one of your |this |"
        rf"that )?{_STAFF}\b",
        _FLAGS,
    ),
    "health_circumstance": re.compile(
        r"\b(i'?m|i am|i've been|i have been|i was|(my|our) [a-z]+ (is|was|has been|are|were)|"
        r"(he|she|they)('s| is| are|'re| was| were| has been| have been))\s+"
        r"((very|really|so|quite|seriously|too|still|now|fallen|fell|got|become)\s+)?"
        r"(ill|sick|unwell|poorly|in (the )?hospital|hospitali[sz]ed|injured|pregnant)\b"
        r"|\b(broke|broken|fractured|injured|hurt|sprained)\s+(my|his|her|their|our)\s+"
        r"(leg|arm|ankle|wrist|foot|hip|back|neck|knee|shoulder|ribs?)\b"
        r"|\b(had|have|has|having|need|needs|needed|scheduled for) (an? |emergency |urgent )*"
        r"(surgery|operation)\b"
        r"|\b(had|has) a (heart attack|stroke)\b"
        r"|\b(admitted|rushed|taken) to (the )?hospital\b"
        r"|\btested positive\b|\b(got|have|has|caught) (covid|the flu|pneumonia|cancer)\b"
        r"|\bmedical (reasons?|emergency|grounds|condition)\b"
        r"|\b(my )?doctor (said|says|told|advised|won'?t let)\b",
        _FLAGS,
    ),
}
"""The service topics, in the order they are reported after the regulated ones."""


def regulated_topics(text: str) -> list[str]:
    """The regulated topics ``text`` asks about, in a fixed order."""
    return [name for name, pattern in TOPICS.items() if pattern.search(text)]


def turn_topics(text: str) -> list[str]:
    """Every topic of ``text``: the regulated ones, then the service ones. A turn with a
    regulated complaint is not also a service one, and a staff complaint is also a complaint."""
    found = regulated_topics(text)
    for name, pattern in SERVICE_TOPICS.items():
        if pattern.search(text):
            found.append(name)
    if "staff_complaint" in found and "complaint" not in found:
        found.insert(found.index("staff_complaint"), "complaint")
    if "regulated_complaint" in found:
        found = [t for t in found if t not in ("complaint", "staff_complaint")]
    return found
