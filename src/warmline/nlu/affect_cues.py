"""Lexical cues of how a customer feels, read from the surface of one turn.

Single comments like GoEmotions' carry little of what marks an upset customer in a support chat:
shouting, swearing, "this is the third time I ask", "I'll take my business elsewhere". These
rules find them; ``affect.py`` turns them into floors under the model's scores.

Cue codes (stable; they appear in decision reasons):

* ``shouting``: most letters in capitals (at least 8 letters), or "!!" and more
* ``profanity``: a swear word, insult or cry of outrage from a short list, including starred
  spellings (f*ck), "ridiculous", "unacceptable", "outrageous"
* ``repeat_complaint``: having to ask again: "third time I ask", "I already told you", "I told
  you", "how many times do I have to", "I keep asking", and not being heard: "you're not
  listening", "are you even reading" (not things that happen again: "declined several times")
* ``leave_threat``: "take my business elsewhere", "never flying with you again", "switching to
  another airline", "I'm done with you" (closing an account is a request, not a threat)
* ``urgent_words``: "urgent", "asap", "right now", "immediately", "emergency", "my flight leaves"
* ``confused_words``: "I don't understand", "confused", "what do you mean", "makes no sense", "??"
* ``feeling_words``: the customer says how they feel or judge it: "annoyed", "frustrating",
  "I'm upset", "fed up", "disappointed", "worried", "terrible", "a nightmare", "ugh", "rude",
  "I can't believe". No floor:
  it tells the policy that a high score is the customer's feeling, not the topic's (a request to
  cancel reads negative too)
* ``trouble``: real trouble told, however calmly: damaged, broken, arrived broken, never arrived,
  not received, the wrong item sent, missing, lost bag, stolen, charged twice, double charged,
  waiting for days or weeks, a flight cancelled on the customer, bumped, downgraded, stranded. No floor either; ``trouble_in`` gives what happened and to what
  (``Trouble``), for an acknowledgement that names it
"""

from __future__ import annotations

import re

from warmline.domain.understanding import Trouble

_FLAGS = re.I

SHOUT_MIN_LETTERS = 8
SHOUT_CAPS_SHARE = 0.6

_PROFANITY = re.compile(
    r"\b(f+u+c+k+\w*|f\*+c?k\w*|f\W?\*+\W?\w*|sh[i1]t+\w*|s\*+t|bullsh[i1]t|crap+y?|"
    r"damn+(ed|it)?|goddamn\w*|wtf|ffs|stfu|bloody|bastards?|ass(hole)?s?|a\*+s|"
    r"bitch\w*|b\*+h|piss(ed)?|dick(head)?s?|idiots?|idiotic|stupid|morons?|"
    r"useless|ridiculous|pathetic|unacceptable|outrageous|disgraceful|appalling|disgusting|"
    r"shameful)\b",
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
    r"|\b(for the last time|asked (you )?twice|told you twice|asked this before|i told you)\b"
    r"|\b(you'?re|you are|you aren'?t|you're still|you are still)\s+(not\s+)?"
    r"(listening|reading)\b|\byou\s+(don'?t|do not|never)\s+(listen|read)\b"
    r"|\bare you (even |actually )?(listening|reading)\b",
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


_FEELING = re.compile(
    r"\b(annoy(ed|ing)|irritat(ed|ing)|frustrat(ed|ing)|upset(ting)?|angry|furious|livid|fuming|"
    r"disappoint(ed|ing)|unhappy|fed up|sick (and tired )?of|tired of|had enough|worried|"
    r"anxious|nervous|stressed|desperate|devastated|gutted|heartbroken|miserable|sad|"
    r"terrible|awful|horrible|dreadful|worst|nightmare|hate|(so|really|very|getting) mad|"
    r"mad at|i'?m (\w+ )?concerned|ugh+|argh+|rude|unfair|not fair|unbelievable|"
    r"can'?t believe|cannot believe|kidding me|(so|really|completely) done with)\b",
    _FLAGS,
)

# Real trouble, named: "my vacuum cleaner arrived broken", "the lamp stopped working", "our
# flight was cancelled on us", "you lost my bag". The thing is one to three words after a
# determiner, optionally followed by "I ordered" and the like.
_BROKEN = r"(broken|damaged|smashed|cracked|shattered|dented|scratched|faulty|defective|torn|"
_BROKEN += r"ripped|in pieces)"
_HAPPENED = (
    r"(still\s+)?((arrived|came|was delivered|showed up|turned up)\s+"
    + _BROKEN
    + r"|(is|was|are|were|got|has been|have been)\s+("
    + _BROKEN[1:-1]
    + r"|missing|lost)"
    + r"|(never|still hasn'?t|still has not|still didn'?t|still not|hasn'?t|has not|haven'?t|"
    r"have not|didn'?t|did not)\s+(arrived|arrive|come|came|shown up|turned up|been delivered)"
    + r"|stopped working|(doesn'?t|does not|won'?t|will not)\s+(work|turn on|switch on|charge))"
)
_THING = r"(?P<thing>[a-z][\w'-]*(\s+[a-z][\w'-]*){0,2}?)"
_ORDERED = r"(\s+(that\s+)?(i|we|you)\s+(ordered|bought|got|received|purchased|sent( me)?))?"
_NAMED = [
    re.compile(
        r"\b(my|the|our)\s+" + _THING + _ORDERED + r"\s+(?P<what>" + _HAPPENED + r")\b", _FLAGS
    ),
    re.compile(
        r"\b(my|our|the)\s+(?P<thing>(connecting )?flight|connection)\s+"
        r"(?P<what>(was|got|has been)\s+cancell?ed)(\s+on\s+(me|us))?\b",
        _FLAGS,
    ),
    re.compile(
        r"\b(you|they|the airline|airline|someone|somebody)\s+(guys\s+)?(?P<what>lost|misplaced|"
        r"damaged|broke)\s+(my|our)\s+(?P<thing>bags?|luggage|suitcases?)\b",
        _FLAGS,
    ),
]
_NOT_THING = re.compile(
    r"(a|an|and|or|of|from|for|with|in|on|at|to|by|that|which|who|it|its|i|me|we|you|they|he|"
    r"she|is|was|are|were|has|have|had|not|this|these|those)",
    _FLAGS,
)
# Real trouble without the thing it happened to.
_PLAIN = re.compile(
    r"\b((arrived|came|delivered)\s+"
    + _BROKEN
    + r"|(is|are|was|were|'s)\s+"
    + _BROKEN
    + r"|damaged in (transit|the post|delivery)|never (arrived|came)|"
    r"(hasn'?t|has not|didn'?t|did not|still not) (arrived|arrive|come|been delivered)|"
    r"(haven'?t|hasn'?t|have not|has not|never|still not) (received|got|gotten)|"
    r"(got|received|sent me|delivered) (the |a )?wrong (item|size|colou?r|order|product)|"
    r"damaged (delivery|package|parcel|box|item|order)|stolen|stole my|"
    r"bumped (off|from)|downgraded|"
    r"missing (from|in) (my|the|our)|(is|are|was|were|came|arrived) (still )?missing|"
    r"(items?|pieces?|parts?) missing|stopped working|"
    r"charged (me )?(twice|two times|double)|double[- ]?charged|billed (me )?twice|"
    r"duplicate (charge|payment)|"
    r"wait(ed|ing) (for )?(over |more than |almost |nearly |about )?(days|weeks|months|ages|"
    r"forever|a week|a month|(two|three|four|five|six|several|many|\d+) (days|weeks|months))|"
    r"(flight|connection) (was |got |has been )?cancell?ed on (me|us)|"
    r"lost (my |our )?(bags?|luggage|suitcases?)|stranded|stuck at the airport)\b",
    _FLAGS,
)
_CONDITION = re.compile(r"\b(if|in case|whether|what happens|suppose|how to)\b[^.!?,;]*$", _FLAGS)
_NEGATION = re.compile(r"\b(nothing|none|not|no|never)\s*$", _FLAGS)


def trouble_in(text: str) -> Trouble | None:
    """The real trouble ``text`` tells of, naming the thing when the text does; None when it
    tells of none (a question "what if my bag is lost?", "nothing is missing" tells of none)."""
    for pattern in _NAMED:
        for match in pattern.finditer(text):
            thing = match.group("thing")
            if _unreal(text[: match.start()]) or any(
                _NOT_THING.fullmatch(word) for word in thing.split()
            ):
                continue
            what = match.group("what").lower()
            if pattern is _NAMED[2]:
                what = f"{'were' if thing.lower().endswith('s') else 'was'} {what}"
            return Trouble(what=" ".join(what.split()), thing=" ".join(thing.split()))
    for match in _PLAIN.finditer(text):
        if not _unreal(text[: match.start()]):
            return Trouble(what=" ".join(match.group(0).lower().split()))
    return None


def _unreal(before: str) -> bool:
    """A condition earlier in the clause ("what if my bag is lost?") or a negation just before
    ("nothing is missing")."""
    return bool(_CONDITION.search(before) or _NEGATION.search(before))


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
    if _FEELING.search(text):
        found.append("feeling_words")
    if trouble_in(text) is not None:
        found.append("trouble")
    return found
