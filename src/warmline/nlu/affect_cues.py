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
  "I can't believe", and exasperation at the last answer: "that's not what I asked for", "I
  never asked for", "that doesn't help at all", "I just want my money back". No floor:
  it tells the policy that a high score is the customer's feeling, not the topic's (a request to
  cancel reads negative too)
* ``trouble``: real trouble told, however calmly: damaged, broken, arrived broken, never arrived,
  not received, the wrong item sent, missing, lost bag, stolen, charged twice, double charged,
  waiting for days or weeks, a flight cancelled on the customer, bumped, downgraded, stranded;
  and the flat reports a support queue hears most (``_FAMILIES``): a payment declined or failed,
  money or a transfer not arrived or still pending, an unexpected fee or wrong amount, an
  unauthorised payment, something not working or crashing, locked out, a change made on the
  customer without asking, a lost card reported. Questions about what would happen ("will my
  card be declined?", "is there a fee?", "how long does delivery take?") tell of none. No floor either; ``trouble_in`` gives what happened and to what
  (``Trouble``), for an acknowledgement that names it
"""

from __future__ import annotations

import functools
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
    r"can'?t believe|cannot believe|kidding me|(so|really|completely) done with)\b"
    # exasperation said as a judgement of the last answer: "that's not what I asked for"
    r"|\b(that'?s|this is|it'?s|that is)\s+not\s+what\s+i\s+(asked|ordered|wanted|paid)\s+for\b"
    r"|\bi\s+never\s+asked\s+for\b|\bno\s+help\s+at\s+all\b"
    r"|\b(doesn'?t|does not|didn'?t|did not|isn'?t|is not)\s+help(ing|ful)?(\s+me)?\s+at\s+all\b"
    r"|\bi\s+just\s+want\s+(my\s+money\s+back|(it|this)\s+(fixed|sorted|to work))\b",
    _FLAGS,
)

# Real trouble, named: "my vacuum cleaner arrived broken", "the lamp stopped working", "our
# flight was cancelled on us", "you lost my bag". The thing is one to three words after a
# determiner, optionally followed by "I ordered" and the like.
_BROKEN = r"(broken|damaged|smashed|cracked|shattered|dented|scratched|faulty|defective|torn|"
_BROKEN += r"ripped|bent|stained|in pieces)"
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
# Trouble told the way support queues hear it most, without a broken thing: money or a transfer
# that did not arrive, a payment refused or failed, a fee or amount the customer did not expect,
# something that stopped working, a change made on the customer. Each family is past or present
# fact; questions about what would happen ("will any ATM decline my card?", "is there a fee for
# top-ups?", "how long does delivery take?") match none of them.
_MONEY_THING = r"(payments?|transfers?|top[- ]?ups?|withdrawals?|transactions?|deposits?|refunds?|"
_MONEY_THING += r"money|funds|cash|cheques?|checks?|charges?|debits?)"
_FAMILIES = [
    # refused or failed: "my card was declined", "why did my top-up fail?", "it didn't go through"
    re.compile(
        r"\b(was|were|got|been|being|is|are|keeps?|keep getting|keeps getting)\s+(getting\s+)?"
        r"(declined|rejected|refused|denied|bounced|reversed|reverted)\b"
        r"|\b(declined|rejected)\s+(once|twice|again|several times)\b"
        r"|\b(has|have)\s+(been\s+)?(reverted|reversed|bounced)\b"
        r"|\b(continually|constantly|always|repeatedly)\s+(declines?|rejects?|refuses?)\b"
        r"|\brefused\s+to\b"
        r"|\b(failed|keeps? failing)\b|\bdid\s+(my|the|it|this|that)\s+([\w-]+\s+){0,2}fail\b"
        r"|\b(didn'?t|did not|didnt|hasn'?t|has not|won'?t|isn'?t|is not)\s+(go|gone|going)\s+"
        r"through\b"
        r"|\b(didn'?t|didnt|did not|hasn'?t|has not|have not|haven'?t|wasn'?t|was not|not)\s+"
        r"(been\s+|being\s+)?(processed|process|complete|completed|posted|post|cleared|credited|"
        r"transferred|accepted)\b",
        _FLAGS,
    ),
    # not working: "the app keeps crashing", "it's not working", "the ATM will not let me"
    re.compile(
        r"(?<!\bi )(?<!\bwe )(?<!\bi'm )(?<!\bi am )\b(isn'?t|is not|aren'?t|are not|wasn'?t|"
        r"was not|not|didn'?t|didnt|did not|doesn'?t|does not|don'?t|do not|won'?t|will not)\s+"
        r"work(ing|s)?\b"
        r"|\b(for some reason|somehow)\s+(i\s+|it\s+)?(can'?t|cannot|won'?t|isn'?t|doesn'?t)\b"
        r"|\bkeeps?\s+(crashing|freezing|failing|leaking|breaking|logging me out|"
        r"disconnecting|declining|rejecting|closing)\b|\b(crashed|crashes|froze|leaks|leaking)\b"
        r"|\blocked out\b|\b(won'?t|will not|wouldn'?t|would not|doesn'?t|does not|didn'?t|"
        r"did not)\s+let\s+me\b"
        r"|\b(card|money|cash)\s+(got|is|was)\s+(stuck|swallowed|eaten|retained)\b"
        r"|\bwhy\s+(can'?t|cannot|won'?t|didn'?t|did not|doesn'?t|isn'?t|hasn'?t|has not|wasn'?t)"
        r"\s+(i|my|the|it)\b",
        _FLAGS,
    ),
    # not arrived or not there: "my transfer hasn't arrived", "it isn't in my account",
    # "still no refund", "pending for a long time", "the money has vanished"
    re.compile(
        r"\b(isn'?t|is not|aren'?t|are not|not|never)\s+(showing\s+)?(up\s+)?(in|on)\s+my\s+"
        r"(account|balance|statement|card)\b"
        r"|\b(not|isn'?t|is not)\s+showing\s+up\b"
        r"|\bno\s+(money|funds|payment|refund|cash)\s+(has|have)\s+(been\s+)?"
        r"(put|added|credited|arrived|come|received|paid)\b"
        r"|\bstill\s+no\s+(refund|money|payment|reply|response|answer|sign|word|update)\b"
        r"|\b(it|it'?s|is)\s+still\s+pending\b"
        r"|\bpending\s+(for\s+)?(a long time|ages|too long|days|weeks|hours|over|some time)\b"
        r"|\b(it'?s|it has|it has been|has been|it'?s been)\s+(been\s+)?(a long time|ages|"
        r"too long|forever)\b(?!\s+since)"
        r"|\b(i'?ve|i have|we'?ve|we have|still)\s+(been\s+)?waiting\b"
        r"|\b"
        + _MONEY_THING
        + r"\s+(has|have|had)?\s*(just\s+)?(vanished|disappeared|gone missing)\b"
        r"|\b(is|are|has|have)\s+(gone|disappeared|vanished)\s+from\s+my\b"
        r"|\b(says|shows|showing|marked( as)?)\s+delivered\s+but\b"
        r"|\bdelivered\s+to\s+(a|the)\s+(different|wrong)\b|\breturned\s+to\s+sender\b"
        r"|\b(parcel|package|order|bags?|luggage|suitcases?|delivery|shipment)\s+"
        r"(lost|missing|stolen)\b"
        r"|\b(shows|showing|says|listed as)\s+(cancell?ed|delayed)\b",
        _FLAGS,
    ),
    # money taken unexpectedly: "why was I charged a fee?", "I see an extra fee",
    # "a direct debit that I didn't authorize", "the exchange rate isn't right"
    re.compile(
        r"\b(was|were|got|been|being|did\s+i\s+get|did\s+we\s+get)\s+charged\b"
        r"|\bcharged\s+me\b|\bmade\s+to\s+pay\b|\bwho\s+(charged|debited|took)\b"
        r"|\bwhy\b[^.?!]{0,40}\b(fee|fees|charge|charges|charged)\b"
        r"|\b(see|seeing|saw|noticed?|found|got)\s+(a|an|this|some)?\s*(extra|additional|service)"
        r"\s+(fee|charge|payment|transaction|debit|withdrawal)"
        r"|\b(strange|unexpected|unknown|unrecogni[sz]ed|weird|odd|mysterious|suspicious|random)"
        r"\s+(fee|charge|payment|transaction|debit|withdrawal)"
        r"|\b(fee|charge|payment|transaction|debit)\s+(that\s+)?(showed up|shows up|appeared|"
        r"popped up)\b"
        r"|\b(i|we)\s+(didn'?t|did not|never|don'?t think (i|we))\s+(authori[sz]e|recogni[sz]e|"
        r"((make|made|approve|agree to)\b[^.?!]{0,15}\b(payment|charge|transaction|purchase|"
        r"withdrawal|debit|transfer)))"
        r"|\b(i|we)\s+(haven'?t|have not|didn'?t|did not|never)\s+used\s+my\s+card\b[^.?!]{0,30}"
        r"\b(but|yet)\b"
        r"|\b(see|seeing|there are)\s+(two|2|duplicate|double)\s+(charges|payments|transactions|"
        r"debits|withdrawals)\b|\bit\s+shows\s+(two|2|double)\b"
        r"|\bnever\s+seen\s+before\b|\b(unauthori[sz]ed|fraudulent)\b|\bis\s+(it|this)\s+fraud\b"
        r"|\b(someone|somebody)\s+(else\s+)?(has\s+)?(used|took|withdrew|charged|spent|accessed)\b"
        r"|\b(charg\w*|paid|payments?|billed|debited|taken)\b[^.?!]{0,25}\btwice\b"
        r"|\b(amount|rate|price|total|balance|charge|fee|bill|refund|sum)\b[^.?!]{0,30}?\b("
        r"(is|was|are|were|seems|looks)\s+(wrong|incorrect|off)|(isn'?t|wasn'?t|is not|was not)\s+"
        r"(right|correct))\b|\bincorrectly\b"
        r"|\bdifferent\s+(than|from)\s+what\s+(i|we)\b|\bdouble\s+what\b",
        _FLAGS,
    ),
    # done to the customer: "my flight got changed", "the connecting flight was moved",
    # "the app cancelled it", "you shipped it anyway", "closed without a reply"
    re.compile(
        r"\b(flight|outbound|return|connection|departure|seats?|transaction|payment|transfer|"
        r"withdrawal|top[- ]?up)\s+(was|were|got|has been|have been|had been)\s+(moved|changed|"
        r"rescheduled|delayed|cancell?ed|pushed back|bumped|reassigned)\b"
        r"|\b(app|system|bank|airline|website)\s+cancell?ed\s+(it|my|our|the)\b"
        r"|\b(shipped|sent|charged|processed|booked|billed)\s+(it\s+|me\s+)?anyway\b"
        r"|\bwithout\s+(a\s+|any\s+)?(reply|response|answer|explanation|notice|warning|"
        r"(me |us |anyone )?(asking|telling|knowing)|my (consent|permission))\b"
        r"|\b(get|got|getting|given)\s+(a\s+)?(different|conflicting)\s+answers?\b"
        r"|\b(arrived|came)\s+with\s+(a|an|some)\s+(\w+\s+)?" + _BROKEN + r"|\bmou?ld\b"
        r"|\bmade\s+(me|us)\s+miss\b"
        r"|\b(someone|somebody)\s+else'?s\s+(order|package|parcel|item|bag|luggage)\b"
        r"|\b(get|got|getting|received|sent|gave me|delivered)\s+(me\s+)?(the|a|an)\s+"
        r"(same\s+)?wrong\b"
        r"|\bordered\b[^.?!]{1,30}\b(and|but)\s+(got|received)\s+(a\s+|an\s+)?(size|different|"
        r"another|something else|\d)"
        r"|\b(report|reporting|file a report)\b[^.?!]{0,30}\b(lost|stolen|missing)\b"
        r"|(?<!thought i )(?<!thought we )\b(lost|misplaced)\s+(my|our|a|an)\s+([\w-]+\s+){0,2}(card|wallet|phone|"
        r"passport)\b|\b(card|phone|wallet)\s+as\s+(lost|stolen|missing)\b",
        _FLAGS,
    ),
]
_CONDITION = re.compile(r"\b(if|in case|whether|what happens|suppose|how to)\b[^.!?,;]*$", _FLAGS)
_NEGATION = re.compile(r"\b(nothing|none|not|no|never)\s*$", _FLAGS)


@functools.lru_cache(maxsize=512)  # a turn asks twice: for its cues and for its affect
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
    for plain in (_PLAIN, *_FAMILIES):
        for match in plain.finditer(text):
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
