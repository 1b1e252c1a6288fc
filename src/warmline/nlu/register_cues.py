"""The cues ``register.py`` reads a turn's register and dialect features from: each a pattern
over the turn's words, the label it is evidence for and how much (its weight), named so that a
reading can say what it saw.

Labels: registers ``formal``, ``casual``, ``textspeak`` (``neutral`` is what remains) and the
varieties ``aae`` (African-American English), ``indian_english`` and ``british``. A variety is
shown when its cues found weigh 1 or more: one distinctive grammatical feature (habitual
"be", completive "done", copula absence, "finna"; "do the needful", "today itself"; a British
spelling or word), or two of those shared with other vernaculars or with casual writing
("ain't", negative concord, "he don't", "they was", "y'all", weighing 0.5 each).

The AAE features are the morphosyntactic ones the sociolinguistic literature documents
(Green, *African American English: A Linguistic Introduction*, 2002; Rickford, *African
American Vernacular English*, 1999; the eWAVE atlas, Kortmann et al., 2020); the Indian
English ones those of Sailaja, *Indian English*, 2009, and eWAVE. A grammatical pattern is not
read after a word that makes the standard construction (``NOT_AFTER``: "will it be working",
"does it work", "are they charging" are standard English).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from warmline.nlu.spelling import CONTRACTIONS, TEXT_SPEAK

_W = r"(?<![\w'])"  # a word starts here
_E = r"(?![\w'])"  # a word ends here


@dataclass(frozen=True)
class Cue:
    """``pattern`` found in the turn (lower case, apostrophes straightened), or one of
    ``phrases`` among its words, is evidence of ``weight`` for ``label``; ``needs``: a pattern
    is tried only when one of these words is in the turn (most turns try few);
    ``named``: the marker names the words found (a closed list);
    ``not_after``: the match does not count right after one of these words (nor after a
    word one slip from one: "wil it be"); ``only_after``: it counts only after one of these
    ("": at the start of a clause)."""

    label: str
    name: str
    weight: float
    pattern: re.Pattern[str] | None
    phrases: frozenset[str] = frozenset()
    named: bool = False
    not_after: frozenset[str] = frozenset()
    only_after: frozenset[str] | None = None
    needs: frozenset[str] = frozenset()


def _list(text: str) -> list[str]:
    return text.split()


def _words(*words: str) -> frozenset[str]:
    """A closed list of words and phrases (of at most ``MAX_PHRASE`` words)."""
    assert all(len(w.split()) <= MAX_PHRASE for w in words)
    return frozenset(words)


MAX_PHRASE = 3


def _cue(
    label: str,
    name: str,
    weight: float,
    pattern: str | frozenset[str],
    *,
    needs: str = "",
    named: bool = False,
    not_after: frozenset[str] = frozenset(),
    only_after: frozenset[str] | None = None,
) -> Cue:
    if isinstance(pattern, frozenset):
        return Cue(label, name, weight, None, pattern, named)
    words = frozenset(needs.split())
    return Cue(
        label, name, weight, re.compile(pattern), frozenset(), named, not_after, only_after, words
    )


AUXILIARIES = frozenset(
    _list(
        "is are was were am be been being will would shall should can could may might must do does "
        "did don't doesn't didn't won't wouldn't can't cannot couldn't shouldn't isn't aren't wasn't "
        "weren't have has had haven't hasn't hadn't to let lets let's make makes made help helps "
        "see saw watch hear heard that whether gonna wanna gotta going need needs having dont doesnt "
        "didnt wont wouldnt cant couldnt shouldnt isnt arent wasnt werent havent hasnt "
        "for with at of from about by"
    )
)
"""Words after which a pronoun and a bare verb, "be" or an "-ing" form are standard English:
"will it be", "does it work", "are they charging", "let it go", "whether it be"; and the
prepositions, after which "y'all" or "you" is an object ("scared for y'all saying")."""
OBJECT_BEFORE = AUXILIARIES | frozenset(
    _list("get got getting keep kept leave left find found want wanted like would")
)
"""And the verbs after which "it" is an object before a bare verb ("get it work")."""

CLAUSE_START = frozenset(_list("why how and but so now cause because cuz when if then"))
"""Words after which "you" + "-ing" is a clause with its copula left out ("why you charging
me"); elsewhere "you" may be an object ("I saw you calling"), and a question opening "you
working today?" leaves the auxiliary out in casual English of any variety."""

NOT_VERBS = frozenset(
    _list(
        "thing nothing something anything everything morning evening during king ring spring string "
        "bring sing wing sling sting swing cling fling wring ceiling sibling pudding wedding ping "
        "bling ding lightning sterling shilling earring awning icing fucking freaking frigging "
        "friggin frickin effing flipping"
    )
)
"""Words ending in "-ing" that are no verb's "-ing" form (or an intensifier: "she fucking
sucks")."""

_ING = r"([a-z]{2,}ing|[a-z]{3,}in'?)"
_SUBJECT = r"(i|you|he|she|it|we|they|y'all|yall|u|this|people|everybody|everyone)"
_DET_NOUN = (
    r"((?:my|the|your|ur|this|that|our|their|his|her)\s+(?!(?:will|would|shall|should|can|"
    r"could|may|might|must|shouldnt|couldnt|wouldnt|cant|wont|is|was|has|does|did|to)\b)[a-z]+)"
)
_STATES = (
    r"(late|slow|down|broke|busy|off|on|tripping|trippin|acting|messing|there|here|wrong|"
    r"closed|empty|crazy|lagging|glitching|buggy|like|at)"
)
_ADVERB = r"(?:(?:always|usually|often|sometimes|still|never|just|steady|really|now|not)\s+)?"
_PAST = (
    r"([a-z]{3,}ed|told|paid|went|gone|got|seen|said|made|sent|took|taken|been|did|spent|"
    r"bought|lost|left|had|ran|came|gave|wrote|put|brought|thought|forgot|broke|charged)"
)

AAE: tuple[Cue, ...] = (
    _cue("aae", "habitual_be", 1.0, needs="be", pattern=
         rf"{_W}{_SUBJECT}\s+{_ADVERB}be\s+({_ING}|{_STATES}){_E}", not_after=AUXILIARIES),
    _cue("aae", "habitual_be", 1.0, needs="be", pattern=
         rf"{_W}{_DET_NOUN}\s+{_ADVERB}be\s+{_ING}{_E}", not_after=AUXILIARIES),
    _cue("aae", "copula_absence", 1.0, needs="he she they we y'all yall", pattern=
         rf"{_W}(he|she|they|we|y'all|yall)\s+{_ADVERB}({_ING}|late|wrong|busy|tripping|"
         r"trippin|lying|lyin|finna|gon)" + _E, not_after=AUXILIARIES),
    _cue("aae", "copula_absence", 0.5, needs="he she they we", pattern=
         rf"{_W}(he|she|they|we)\s+(gonna|tryna|not\s+(here|there|home)){_E}",
         not_after=AUXILIARIES),
    _cue("aae", "copula_absence", 1.0, needs="you u", pattern=rf"{_W}(you|u)\s+{_ADVERB}{_ING}{_E}",
         only_after=CLAUSE_START),
    _cue("aae", "completive_done", 1.0, needs="done", pattern=rf"{_W}{_DET_NOUN}\s+(?:already\s+|just\s+)?done\s+"
         rf"{_PAST}{_E}", not_after=AUXILIARIES),
    _cue("aae", "completive_done", 1.0, needs="done", pattern=
         rf"{_W}(i|you|u|he|she|we|they|y'all|yall)\s+(?:already\s+|just\s+)?done\s+{_PAST}{_E}",
         not_after=AUXILIARIES),
    _cue("aae", "remote_been", 1.0, needs="been", pattern=
         rf"{_W}(i|you|he|she|we|they)\s+been\s+(had|knew|did)\s+(it|that|this|the|my|a){_E}",
         not_after=AUXILIARIES),
    _cue("aae", "been_without_have", 0.5, needs="been", pattern=
         rf"{_W}(i|you|he|she|we|they)\s+been\s+{_ING}{_E}", not_after=AUXILIARIES),
    _cue("aae", "habitual_stay", 1.0, needs="stay steady", pattern=
         rf"{_W}{_SUBJECT}\s+(stay|steady)\s+{_ING}{_E}", not_after=AUXILIARIES),
    _cue("aae", "finna", 1.0, _words("finna", "finta", "fitna")),
    _cue("aae", "gon_future", 1.0, needs="gon", pattern=
         rf"{_W}(i'm|im|i|he|she|it|we|they|you|u|it's|its|they're|we're|you're)\s+gon\s+"
         r"(?!na\b)[a-z]"),
    _cue("aae", "gon_future", 1.0, needs="gon", pattern=
         rf"{_W}gon\s+(be|hit|get|go|need|take|have|charge|send|call|come|pay|do|work|make|let|"
         r"give|cancel|fix|say|show|ship|post|clear|go)" + _E),
    _cue("aae", "ion", 1.0, needs="ion", pattern=rf"{_W}ion\s+(know|want|have|got|care|need|think|even|like|see){_E}"),
    _cue("aae", "negative_concord", 0.5,
         needs="no nothing nothin none nobody nowhere noone never", pattern=
         rf"{_W}(don't|dont|doesn't|doesnt|didn't|didnt|can't|cant|cannot|won't|wont|ain't|aint|"
         r"never|couldn't|couldnt|wasn't|wasnt|isn't|isnt|haven't|havent|hasn't|hasnt|wouldn't|"
         r"wouldnt|weren't|aren't)\s+(?:(?!(?:and|or|but|so|because|cause|when|if|since|say|said|"
         r"saying|says|take|takes|taking|took|answer|for)\b)[a-z']+\s+){0,3}"
         r"(never|(?:no(?!\s*one)|nothing|nothin|none|nobody|nowhere|no\s*one)"
         r"(?!\s+(?:matter|doubt|is|was|has|have|will|can|could|would|answers?|answered|"
         r"repl(?:y|ies|ied)|responds?|responded|calls?|called|helps?|helped|picks?|picked|seems?|"
         r"knows?|cares?|happens?|happened|works?|worked|loads?|loaded|shows?|showed)\b))" + _E),
    _cue("aae", "aint", 0.5, _words("ain't", "aint")),
    _cue("aae", "aint_for_didnt", 1.0, needs="ain't aint", pattern=
         rf"{_W}(ain't|aint)\s+(make|made|tell|help|say|do|get|give|see|know|call|send|pay|"
         r"recognize|recognise|order|ask|sign|touch|buy|use|receive|hear|come|go|mean|want|"
         r"even\s+(make|tell|help|say|do|get|order|ask|call|send|pay|use))" + _E),
    _cue("aae", "third_person_s_absence", 0.5, needs="he she it", pattern=
         rf"{_W}(he|she|it)\s+(don't|dont|have|do|go|say|work|want|need|keep|come|try|take|"
         r"look|seem|cost|charge|show|get|give|know|mean|send|tell|let)" + _E,
         not_after=OBJECT_BEFORE),
    _cue("aae", "was_levelling", 0.5, needs="was", pattern=rf"{_W}(they|we|y'all|yall)\s+was{_E}",
         not_after=AUXILIARIES),
    _cue("aae", "yall", 0.5, _words("y'all", "yall")),
    _cue("aae", "imma", 0.5, _words("imma", "ima")),
    _cue("aae", "ax", 1.0, needs="ax axe axed axing", pattern=
         rf"{_W}(ax|axe|axed|axing)\s+(you|u|y'all|yall|them|him|her|me|about|for|why|how|if|"
         r"somebody|someone|a\s+question)" + _E),
)  # fmt: skip

INDIAN_ENGLISH: tuple[Cue, ...] = (
    _cue("indian_english", "do_the_needful", 1.0, needs="needful", pattern=rf"{_W}do\s+(?:the\s+)?needful{_E}"),
    _cue("indian_english", "revert", 1.0, needs="revert reverted reverting", pattern=
         rf"{_W}revert(?:ing|ed)?\s+(?:back\s+)?(to\s+(me|us)|asap|soon|at\s+the\s+earliest|"
         r"on\s+(my|this|the)\s+(mail|email|query|ticket|request))" + _E),
    _cue("indian_english", "revert", 1.0, needs="revert", pattern=
         rf"{_W}(please\s+|kindly\s+|pls\s+|plz\s+)?revert\s+(back\s+)?with{_E}"
         rf"|{_W}(please|kindly|pls|plz)\s+revert(\s+back)?(?=\s*([.,!?]|$|asap\b|soon\b))"),
    _cue("indian_english", "prepone", 1.0,
         _words("prepone", "preponed", "prepones", "preponing", "preponement")),
    _cue("indian_english", "itself_emphasis", 1.0, needs="itself", pattern=
         rf"{_W}(today|now|yesterday|tomorrow|here|there|then|morning|tonight|immediately)"
         rf"\s+itself{_E}"),
    _cue("indian_english", "only_emphasis", 0.5, needs="only", pattern=
         rf"{_W}(yesterday|just\s+now|now\s+also|today\s+morning)\s+only{_E}"),
    _cue("indian_english", "do_one_thing", 1.0, _words("do one thing")),
    _cue("indian_english", "good_name", 1.0, _words("your good name", "ur good name")),
    _cue("indian_english", "out_of_station", 1.0, _words("out of station")),
    _cue("indian_english", "intimate", 1.0, needs="intimate intimated intimating", pattern=
         rf"{_W}(kindly\s+)?intimat(e|ed|ing)\s+(me|us|him|her|them|about){_E}"),
    _cue("indian_english", "doubt_as_question", 1.0, needs="doubt doubts", pattern=
         rf"{_W}((one|small|a\s+small)\s+doubts?|clear\s+my\s+doubts?|doubt\s+regarding){_E}"),
    _cue("indian_english", "doubt_as_question", 0.5, needs="doubt", pattern=
         rf"{_W}have\s+a\s+doubt\s+(about|on|in|related|with){_E}"),
    _cue("indian_english", "lakh_crore", 1.0, _words("lakh", "lakhs", "crore", "crores"),
         named=True),
    _cue("indian_english", "take_tension", 1.0,
         _words("take tension", "taking tension", "took tension")),
    _cue("indian_english", "word", 1.0, _words("yaar", "updation", "timepass"), named=True),
    _cue("indian_english", "as_on_date", 1.0, _words("as on date", "as on today")),
    _cue("indian_english", "till_date", 0.5, _words("till date", "till now")),
    _cue("indian_english", "kindly", 0.5, _words("kindly", "kindy", "kindlly")),
    _cue("indian_english", "request_you_to", 0.5, _words("request you to")),
    _cue("indian_english", "the_same_as_pronoun", 0.5, needs="same", pattern=
         rf"{_W}(update|send|share|confirm|process|resolve|refund|return|cancel|received?|paid|"
         r"rectify|check)\s+the\s+same(?=\s*(?:[.,!?]|$|(?:asap|at|and|please|pls|"
         r"immediately|soon)\b))"),
)  # fmt: skip

_IZE_STEMS = _list(
    "real organ apolog recogn author priorit final custom personal minim maxim summar critic "
    "emphas util special categor memor item standard optim synchron character sympath capital "
    "digit jeopard penal stabil sanit visual normal legal modern mobil central civil familiar "
    "monet subsid symbol "
)
_OUR = _list(
    "colour favour favourite behaviour honour labour neighbour humour flavour harbour rumour "
    "endeavour savour armour vapour odour vigour rigour valour saviour parlour"
)
_RE = _list("centre metre litre fibre calibre sabre lustre meagre sombre spectre")
BRITISH_SPELLINGS = (
    [f"{s}ise{e}" for s in _IZE_STEMS for e in ("", "s", "d", "r")]
    + [f"{s}ising" for s in _IZE_STEMS]
    + [f"{s}isation{e}" for s in _IZE_STEMS for e in ("", "s")]
    + [f"{w}{e}" for w in _OUR for e in ("", "s", "ed", "ing", "ful", "ite", "ites", "able")]
    + [f"{w}{e}" for w in _RE for e in ("", "s", "d")]
    + _list(
        "analyse analysed analysing paralyse catalyse cheque cheques tyre tyres programme "
        "programmes licence licences defence offence pretence aluminium jewellery mum "
        "manoeuvre paediatric anaesthetic storey storeys sceptical pyjamas plough kerb "
        "cosy tonne tonnes enrol enrolment fulfil fulfilment instalment instalments skilful wilful "
        "draught mould moustache practise practised"
    )
)
"""British spellings: -our, -re, -ise (of the verbs American spelling writes with -ize),
-yse, and single words ("cheque", "tyre", "programme", "licence"). "cancelled", "travelled"
are left out: American writers use them too."""

BRITISH: tuple[Cue, ...] = (
    _cue("british", "spelling", 1.0, _words(*BRITISH_SPELLINGS), named=True),
    _cue("british", "word", 1.0,
         _words("postcode", "postcodes", "post code", "fortnight", "bank holiday", "quid",
                "lorry", "car park", "petrol", "nappy", "nappies", "telly", "innit",
                "knackered", "high street", "whinge", "brolly", "postbox", "dustbin",
                "cashpoint", "current account", "sort code", "on holiday",
                "motorway", "takeaway", "estate agent", "council tax"), named=True),
    _cue("british", "word", 0.5,
         _words("trainers", "mobile number", "my mobile", "mobile phone", "my flat", "parcel",
                "rubbish", "cheers", "queue", "queueing", "reckon", "whilst", "jumper",
                "trousers", "gutted", "bloody", "ring me", "ring you", "sorted out",
                "get it sorted", "get this sorted", "got it sorted", "all sorted", "learnt",
                "spelt", "dreamt", "cash machine", "mate", "enquire", "enquiry", "grey",
                "theatre", "catalogue"), named=True),
    _cue("british", "word", 1.0, needs="post", pattern=rf"{_W}in\s+the\s+post(?!\s+office){_E}"),
)  # fmt: skip

_BUSINESS = {"acct", "msg", "msgs", "txn", "txns", "xfer", "rcvd", "btwn", "pmt", "amt"}
_TEXT_SPEAK = sorted(
    {k for k in TEXT_SPEAK if k not in _BUSINESS and k.isalnum()}
    | set(
        _list(
            "lol omg btw tbh imo lmao smh rn ngl idc ikr brb ttyl wtf ffs gr8 l8r 2moro 2nite sth "
            "becoz bcoz bcz bcos sum1 some1 any1 every1 no1 ty thnks thanx tx plzz plss pleez"
        )
    )
)
_APOSTROPHE_DROPPED = [c for c in CONTRACTIONS if c not in ("lets", "hows", "whos", "heres")]

REGISTER: tuple[Cue, ...] = (
    _cue("textspeak", "token", 1.0, _words(*_TEXT_SPEAK), named=True),
    _cue("casual", "abbreviation", 0.5, _words(*_BUSINESS), named=True),
    _cue("casual", "slang", 1.0,
         _words("gonna", "wanna", "gotta", "kinda", "sorta", "lemme", "gimme", "dunno", "ya",
                "yo", "bro", "dude", "fam", "bruh", "nah", "yeah", "yea", "yep", "yup", "nope",
                "hey", "heya", "hiya", "sup", "wassup", "tryna", "outta", "ugh", "meh", "oops",
                "yay", "haha", "hehe", "damn", "crap", "freaking", "frickin", "friggin", "dang",
                "darn", "heck", "hella", "cos", "gotcha", "imma", "ima", "y'all", "yall", "ain't",
                "aint", "finna", "bout", "boutta", "deadass", "legit", "umm", "hmm", "ok so",
                "lil", "gud", "srsly"), named=True),
    _cue("casual", "informal_word", 0.5,
         _words("cool", "awesome", "bucks", "stuff", "messed up", "screwed up", "mate", "cheers",
                "guys", "folks", "super"), named=True),
    _cue("casual", "apostrophe_dropped", 1.0, _words(*_APOSTROPHE_DROPPED), named=True),
    _cue("casual", "contraction", 0.5, needs="'", pattern=rf"[a-z](n't|'m|'re|'ve|'ll|'d){_E}|{_W}(it|that|what)'s"),
    _cue("formal", "salutation", 1.5, needs="dear regards yours sincerely greetings", pattern=
         rf"{_W}(dear\s+(sir|madam|sirs|team|customer\s+(service|care|support)|support)|"
         r"(kind|best|warm)\s+regards|yours\s+(sincerely|faithfully|truly)|sincerely|greetings)"
         + _E),
    _cue("formal", "formula", 1.5,
         needs="writing convenience grateful obliged advised further advance forward", pattern=
         rf"{_W}(i\s+am\s+writing\s+(to|regarding|about)|at\s+your\s+earliest\s+convenience|"
         r"i\s+would\s+be\s+(grateful|obliged)|please\s+be\s+advised|further\s+to\s+my|"
         r"thank\s+you\s+in\s+advance|i\s+look\s+forward\s+to)" + _E),
    _cue("formal", "politeness", 1.0,
         needs="kindly advise wish may appreciate kind thank request", pattern=
         rf"{_W}(kindly|please\s+advise|i\s+wish\s+to|may\s+i\s+(kindly\s+)?(request|ask|know|"
         r"enquire|inquire)|i\s+would\s+appreciate|would\s+you\s+be\s+so\s+kind|"
         r"thank\s+you\s+for\s+your\s+(assistance|help|time|attention|patience)|"
         r"i\s+request\s+(you|that))" + _E),
    _cue("formal", "politeness", 0.5,
         needs="like please sir madam ma'am good regarding assistance", pattern=
         rf"{_W}(i\s+would\s+like|could\s+you\s+please|would\s+you\s+please|sir|madam|ma'am|"
         r"good\s+(morning|afternoon|evening)|regarding|assistance)" + _E),
)  # fmt: skip

DIALECT_CUES: tuple[Cue, ...] = (*AAE, *INDIAN_ENGLISH, *BRITISH)
DIALECTS = ("aae", "indian_english", "british")
"""The varieties read, in the order a tie is broken."""
