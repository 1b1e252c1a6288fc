"""Lexical cues of how a customer feels, read from the surface of one turn.

Single comments like GoEmotions' carry little of what marks an upset customer in a support chat:
shouting, swearing, "this is the third time I ask", "I'll take my business elsewhere". These
rules find them; ``affect.py`` turns them into floors under the model's scores.

Cue codes (stable; they appear in decision reasons):

* ``shouting``: most letters in capitals (at least 8 letters), or "!!" and more
* ``profanity``: a swear word or insult from a short list, including starred spellings (f*ck)
* ``repeat_complaint``: "third time", "again and again", "I already told you", "how many times"
* ``leave_threat``: "cancel my account", "take my business elsewhere", "never again", "switching to"
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
_REPEAT = re.compile(
    r"\b((second|2nd|third|3rd|fourth|4th|fifth|5th|\d+(st|nd|rd|th)|umpteenth|nth|"
    r"several|many|multiple|countless)\s+times?)\b"
    r"|\b(again and again|over and over|yet again|for the last time)\b"
    r"|\b(already|just)\s+(told|said|asked|explained|gave|sent)\b"
    r"|\bhow many times\b"
    r"|\b(keep|kept)\s+(asking|telling|saying|repeating|getting)\b"
    r"|\bi('ve| have) (asked|told you|said|explained)\b.{0,30}\b(before|already|twice)\b",
    _FLAGS,
)
_LEAVE = re.compile(
    r"\b(cancel|close|delete|terminate)\s+(my|the)\s+(account|membership|subscription)\b"
    r"|\b(take|taking)\s+my\s+(business|money|custom)\s+(elsewhere|somewhere else)\b"
    r"|\b(switch|switching|moving|move|go|going)\s+to\s+(a\s+|another\s+)?"
    r"(competitor|another (airline|company|store|provider|bank|carrier))\b"
    r"|\bnever\s+(again\s+)?(fly|flying|shop|shopping|buy|buying|use|using|order|ordering|"
    r"book|booking)\b.{0,40}\bagain\b"
    r"|\b(last time i|done with you|i'?m done|leaving you|you('ve| have) lost (a|me as a) customer)\b"
    r"|\b(lawyer|sue you|chargeback|report you|complain to)\b",
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
    r"\b(i\s+(do not|don'?t|dont|can'?t|cannot)\s+(understand|get it|follow|figure)|"
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
