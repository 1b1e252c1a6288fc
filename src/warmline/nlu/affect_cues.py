"""Lexical cues of how a customer feels, read from the surface of one turn.

Single comments like GoEmotions' carry little of what marks an upset customer in a support chat:
shouting, swearing, "this is the third time I ask", "I'll take my business elsewhere". These
rules find them; ``affect.py`` turns them into floors under the model's scores.

Cue codes (stable; they appear in decision reasons):

* ``shouting``: most letters in capitals (at least 8 letters), or "!!" and more
* ``profanity``: a swear word or insult from a short list, including starred spellings (f*ck)
* ``repeat_complaint``: having to ask again: "third time I ask", "I already told you", "how many
  times do I have to", "I keep asking" (not things that happen again: "declined several times")
* ``leave_threat``: "take my business elsewhere", "never flying with you again", "switching to
  another airline", "I'm done with you" (closing an account is a request, not a threat)
* ``urgent_words``: "urgent", "asap", "right now", "immediately", "emergency", "my flight leaves"
* ``confused_words``: "I don't understand", "confused", "what do you mean", "makes no sense", "??"
"""

from __future__ import annotations

import re

_FLAGS = re.I

SHOUT_MIN_LETTERS = 8
SHOUT_CAPS_SHARE = 0.6

_PROFANITY = re.compile(
    r"\b(f+u+c+k+\w*|f\*+c?k\w*|f\W?\*+\W?\w*|sh[i1]t+\w*|s\*+t|bullsh[i1]t|crap+y?|"
    r"damn+(ed|it)?|goddamn\w*|wtf|ffs|stfu|bloody|bastards?|ass(hole)?s?|a\*+s|"
    r"bitch\w*|b\*+h|piss(ed)?|dick(head)?s?|idiots?|idiotic|stupid|morons?|"
    r"useless|ridiculous|pathetic)\b",
    _FLAGS,
)
_ASKING = r"(ask|asked|asking|contact|contacted|contacting|write|wrote|writing|call|called|calling|"
_ASKING += r"message|messaged|chat|chatted|tell|told|telling|explain|explained|explaining|say|said)"
_REPEAT = re.compile(
    r"\b(second|2nd|third|3rd|fourth|4th|fifth|5th|\d+(st|nd|rd|th)|umpteenth|nth)\s+time\s+"
    r"(that\s+)?(i|i'?m|i am|i'?ve|i have|we|we'?re|we'?ve)?\s*(been\s+|had to\s+|have to\s+)?"
    + _ASKING
    + r"|\b"
    + _ASKING
    + r"\b.{0,25}\b(several|many|multiple|countless|\d+|three|four|five|"
    r"ten|so many)\s+times\b"
    r"|\bhow many times\s+(do|must|should|have|will)\s+i\b"
    r"|\bi\s+(keep|kept)\s+(asking|telling|saying|repeating|explaining|calling|writing)\b"
    r"|\bi('ve| have)?\s+(already|just)\s+(told|said|asked|explained)\b"
    r"|\bi('ve| have) (asked|told you|said|explained)\b.{0,30}\b(before|already|twice)\b"
    r"|\b(for the last time|asked (you )?twice|told you twice|asked this before)\b",
    _FLAGS,
)
_LEAVE = re.compile(
    r"\b(take|taking)\s+my\s+(business|money|custom)\s+(elsewhere|somewhere else)\b"
    r"|\b(switch|switching|moving|move|go|going)\s+to\s+(a\s+|another\s+)?"
    r"(competitor|another (airline|company|store|provider|bank|carrier))\b"
    r"|\b(i'?ll|i will|i am|i'?m|i'?m going to)\s+never\s+(fly|shop|buy|use|order|book)\w*\b"
    r".{0,40}\bagain\b"
    r"|\bnever\s+(flying|shopping|buying|using|ordering|booking)\s+with\s+you\b.{0,20}\bagain\b"
    r"|\b(i'?m|i am)\s+(done|finished|through)\s+with\s+(you|your|this company|this airline)\b"
    r"|\byou('ve| have) (just )?lost (a|me as a|my) (customer|business)\b"
    r"|\b(cancel|close)\s+(my|the)\s+(account|membership)\b.{0,40}\b(because|fed up|sick of|"
    r"had enough|terrible|useless)\b",
    _FLAGS,
)
_URGENT = re.compile(
    r"\b(urgent(ly)?|asap|a\.s\.a\.p|right now|right away|immediately|emergency|"
    r"straight away|as soon as possible|hurry|quickly|time.?sensitive|deadline|"
    r"running out of time|no time|in an hour|in \d+ (minutes|mins|hours)|tonight|"
    r"(flight|train|plane) (leaves|departs|is in)|boarding (now|soon|in)|about to board|"
    r"stuck at|stranded|missed my (flight|connection))\b",
    _FLAGS,
)
_CONFUSED = re.compile(
    r"\b(i\s+(still\s+|really\s+|just\s+)?(do not|don'?t|dont|can'?t|cannot)\s+"
    r"(understand|get it|follow|figure)|"
    r"confus(ed|ing)|what do you mean|makes no sense|doesn'?t make sense|not sure (what|how|why)|"
    r"i have no idea|unclear|lost here|huh)\b|\?\s*\?",
    _FLAGS,
)


def shouting(text: str) -> bool:
    """Most letters in capitals, or two or more exclamation marks in a row."""
    if "!!" in text:
        return True
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < SHOUT_MIN_LETTERS:
        return False
    return sum(ch.isupper() for ch in letters) / len(letters) >= SHOUT_CAPS_SHARE


def turn_cues(text: str) -> list[str]:
    """The cue codes found in one turn, in a fixed order."""
    found = []
    if shouting(text):
        found.append("shouting")
    if _PROFANITY.search(text):
        found.append("profanity")
    if _REPEAT.search(text):
        found.append("repeat_complaint")
    if _LEAVE.search(text):
        found.append("leave_threat")
    if _URGENT.search(text):
        found.append("urgent_words")
    if _CONFUSED.search(text):
        found.append("confused_words")
    return found
