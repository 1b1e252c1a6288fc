"""The register and dialect detector (``nlu/register.py``): each label from its cues, named in
the reading; plain service questions, standard constructions that look like a variety's
("will it be working", "does it work") and ordinary typos stay standard and neutral; the
labelled set's precision and recall hold; the engine records the reading on each English
turn."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from warmline.domain.understanding import Understanding, WritingStyle
from warmline.nlu.engine import NluEngine
from warmline.nlu.register import read_style

SET = Path(__file__).parent / "data" / "register_set.tsv"


@pytest.mark.parametrize(
    ("text", "dialect", "marker"),
    [
        ("they be charging me fees every month", "aae", "aae:habitual_be"),
        ("my card be getting declined at the store", "aae", "aae:habitual_be"),
        ("He working right now so I'm calling for him.", "aae", "aae:copula_absence"),
        ("why you charging me a late fee", "aae", "aae:copula_absence"),
        ("I done paid that bill already", "aae", "aae:completive_done"),
        ("I'm finna cancel this card", "aae", "aae:finna"),
        ("They gon charge me again next month?", "aae", "aae:gon_future"),
        ("Ion know why my payment failed", "aae", "aae:ion"),
        ("She stay getting charged late fees", "aae", "aae:habitual_stay"),
        ("I ain't got no card yet", "aae", "aae:negative_concord"),
        ("It's a charge I ain't make.", "aae", "aae:aint_for_didnt"),
        ("He don't never answer when I call", "aae", "aae:third_person_s_absence"),
        ("Kindly do the needful.", "indian_english", "indian_english:do_the_needful"),
        ("Please revert to me with the status.", "indian_english", "indian_english:revert"),
        ("I paid today itself.", "indian_english", "indian_english:itself_emphasis"),
        ("Can you prepone my delivery?", "indian_english", "indian_english:prepone"),
        (
            "I have one doubt regarding the fee.",
            "indian_english",
            "indian_english:doubt_as_question",
        ),
        ("I'd like to change the colour.", "british", "british:spelling=colour"),
        ("My postcode has changed.", "british", "british:word=postcode"),
        ("I don't recognise this payment.", "british", "british:spelling=recognise"),
    ],
)
def test_each_variety_is_read_from_its_cues(text: str, dialect: str, marker: str) -> None:
    style = read_style(text)
    assert style.dialect == dialect and style.dialects[0] == dialect
    assert marker in style.markers


@pytest.mark.parametrize(
    ("text", "register", "marker"),
    [
        ("can u check my acct pls", "textspeak", "textspeak:token=u"),
        ("idk why my card got declined", "textspeak", "textspeak:token=idk"),
        ("yeah so the app crashed again", "casual", "casual:slang=yeah"),
        ("i dont see my refund anywhere", "casual", "casual:apostrophe_dropped=dont"),
        ("my package still isn't here 😡", "casual", "casual:emoji"),
        ("this is sooo annoying", "casual", "casual:drawn_out"),
        ("THE APP IS NOT WORKING AT ALL", "casual", "casual:all_caps"),
        ("Can't believe it's late again!!", "casual", "casual:repeated_punctuation"),
        ("Dear Sir, I am writing to ask for a refund. Kind regards", "formal", "formal:salutation"),
        ("I would be grateful if you could confirm.", "formal", "formal:formula"),
        ("Could you please advise on my claim?", "formal", "formal:politeness"),
    ],
)
def test_each_register_is_read_from_its_cues(text: str, register: str, marker: str) -> None:
    style = read_style(text)
    assert style.formality == register and marker in style.markers
    assert style.dialect == "standard"


PLAIN = [
    "What is my balance?",
    "How do I reset my password?",
    "Can I change my flight to Friday?",
    "My card was charged twice for one purchase.",
    "i need to change my pin",
    "how long does it take for a transfer to arrive",
    "Will it be arriving before Friday?",
    "Does it have a fee if I cancel?",
    "Are they charging me for the upgrade?",
    "Let it be refunded to my card, please.",
    "Whether it be by card or transfer, I just want it paid.",
    "I can't log in and no one answers the phone.",
    "I can't log in no one answers the phone",
    "I don't know, no one told me anything.",
    "I never said no to the insurance.",
    "Why does it keep declining my card?",
    "I can't make it work on my phone.",
    "I saw you calling but I missed it.",
    "Have you been charging me twice?",
    "This shouldn't be happening, the system must be down.",
    "Is there anything that could be holding up the check?",
    "Please revert to the factory settings.",
    "My card payment reverted back, I think.",
    "Please cancel order #W2378156.",
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_questions_stay_standard_and_neutral(text: str) -> None:
    style = read_style(text)
    assert (style.dialect, style.formality) == ("standard", "neutral"), style.markers


@pytest.mark.parametrize(
    "text",
    [
        "wil it be arriving tomorow?",  # a slip in the auxiliary: "will it be arriving"
        "cna i be refunded",
        "shoud they be charging me this",
        "dose it work with apple pay",
        "they re charging me twice",
        "teh card is not workign",
        "my refnd has not arived yet",
        "hw much does it cost",
    ],
)
def test_ordinary_typos_are_no_dialect(text: str) -> None:
    assert read_style(text).dialect == "standard", read_style(text).markers


def test_a_weak_feature_alone_decides_nothing_but_is_named() -> None:
    """One feature shared with other vernaculars or casual writing ("ain't", negative concord,
    "it don't") weighs 0.5: named among the cues, not enough for a label."""
    style = read_style("it ain't right that they charged me twice")
    assert style.dialect == "standard" and "aae:aint" in style.markers
    assert read_style("We was charged twice and ain't nobody fixed it.").dialect == "aae"


def test_capitals_and_punctuation_alone_decide_no_register() -> None:
    style = read_style("i want to know where my card is")
    assert style.formality == "neutral"
    assert {"orthography:no_capitals", "orthography:lower_case_i"} <= set(style.markers)


def _labelled() -> list[tuple[str, str, str]]:
    lines = [line for line in SET.read_text("utf-8").splitlines() if not line.startswith("#")]
    rows = csv.reader(lines[1:], delimiter="\t", quoting=csv.QUOTE_NONE)
    return [(text, register, dialect) for text, register, dialect in rows]


def test_the_labelled_set_precision_and_recall() -> None:
    """The floors under benchmarks/register_detector.py's figures (docs/analytics.md): a
    change to the cues that mislabels standard sentences or loses features fails here."""
    rows = _labelled()
    assert len(rows) >= 200
    read = [read_style(text) for text, _, _ in rows]
    for label, min_recall in (("aae", 0.6), ("indian_english", 0.75), ("british", 0.75)):
        said = [r.dialect == label for r in read]
        real = [d == label for _, _, d in rows]
        hits = sum(s and t for s, t in zip(said, real, strict=True))
        assert hits / sum(said) >= 0.95, label  # precision
        assert hits / sum(real) >= min_recall, label
    standard = [r for r, (_, _, d) in zip(read, rows, strict=True) if d == "standard"]
    assert all(r.dialect == "standard" for r in standard)
    right = sum(r.formality == reg for r, (_, reg, _) in zip(read, rows, strict=True))
    assert right / len(rows) >= 0.95


def test_an_old_reading_without_style_still_loads() -> None:
    old = Understanding.model_validate({"text": "hi", "zone": "out_of_scope"})
    assert old.style is None
    assert WritingStyle().dialect == "" and WritingStyle(formality="neutral").dialect == "standard"


def test_the_engine_records_the_style_of_an_english_turn(mini_nlu: NluEngine) -> None:
    reading = mini_nlu.understand("they be cancelling my flight every time smh")
    assert reading.style is not None
    assert reading.style.dialects == ["aae"] and reading.style.formality == "textspeak"
    assert "aae:habitual_be" in reading.style.markers
    assert mini_nlu.understand("😀😀").style is None  # no words: nothing read
