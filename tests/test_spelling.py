"""Spelling normalisation before intent ranking (``nlu/spelling.py``, ``nlu/intents.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from warmline.nlu.embeddings import Encoder
from warmline.nlu.intents import IntentClassifier, IntentClassifierConfig
from warmline.nlu.spelling import Speller, edits1, english_words

PACK_TEXTS = [
    "I want to top up my card",
    "where is my refund?",
    "my transfer is still pending",
    "cancel reservation",
]


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller.from_texts(PACK_TEXTS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Whre is my rfund?", "Where is my refund?"),
        ("I wnat to tpo up my crad", "I want to top up my card"),
        ("my tranfser is pnding", "my transfer is pending"),  # the pack's word before English's
        ("Cancle reservation", "Cancel reservation"),  # a capital kept at a sentence's start
        ("r u able to help w/ my acct?", "are you able to help with my account?"),
        ("Thx!", "Thanks!"),
    ],
)
def test_unknown_words_and_text_speak_are_corrected(
    speller: Speller, text: str, expected: str
) -> None:
    assert speller.correct(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order #W2378156 and ABC123",  # ids
        "write to jon.doe@exmaple.com",  # an e-mail address
        "my ATM PIN",  # upper case
        "I ordered from Zalandoo",  # capitalised inside a sentence: a name
        "i dont know why im here lol",  # contractions without apostrophes, chat words
        "send 2 cards 4 me",  # numbers, even as text-speak
        "an ox in a zo",  # short words
        "Aarav Nguyen",  # a capitalised word at the start, a name when another follows
        "erm, the clicky one",  # fillers; a known word with a suffix
        "quiero cancelar mi reserva por favor",  # mostly unknown words: another language
        "   spaced    out   ",  # spacing as written
    ],
)
def test_ids_names_numbers_and_known_words_stay_as_written(speller: Speller, text: str) -> None:
    assert speller.correct(text) == text


def test_english_words_outside_the_pack_are_known_and_reached(speller: Speller) -> None:
    assert len(english_words()) > 80_000
    assert speller.correct("I did not recieve it yesterdya") == "I did not receive it yesterday"


def test_a_word_with_no_known_word_one_edit_away_stays(speller: Speller) -> None:
    assert speller.correct("xqzvbnw") == "xqzvbnw"


def test_edits1_covers_the_slips_of_a_keyboard() -> None:
    edits = edits1("card")
    assert {"crd", "cad", "acrd", "cadr", "cardd", "xard", "carf"} <= edits
    assert "card" in edits1("crad") and "card" not in edits1("cdra")


def test_ranking_reads_the_corrected_text_and_a_loaded_model_keeps_the_words(
    encoder: Encoder, tmp_path: Path
) -> None:
    texts = ["where is my refund", "refund not received yet", "top up my card", "add money"]
    labels = ["refund", "refund", "top_up", "top_up"]
    config = IntentClassifierConfig(calibration_folds=0, typo_weight=0.0, name_examples=False)
    model = IntentClassifier(encoder, config).fit(texts, labels)
    assert model.corrected(["wehre is my refnud"]) == ["where is my refund"]
    typed = model.rank(["wehre is my refnud"])[0]
    clean = model.rank(["where is my refund"])[0]
    assert typed.scores[0].probability == pytest.approx(clean.scores[0].probability, abs=1e-5)
    # rank_embeddings re-encodes a row its correction changed
    raw = encoder.encode(["wehre is my refnud"])
    given = model.rank_embeddings(raw, ["wehre is my refnud"])[0]
    assert given.scores[0].probability == pytest.approx(clean.scores[0].probability, abs=1e-5)
    model.save(tmp_path)
    loaded = IntentClassifier.load(tmp_path, encoder)
    assert loaded.corrected(["wehre is my refnud"]) == ["where is my refund"]
    off = IntentClassifier(encoder, config.model_copy(update={"spelling": False}))
    off.fit(texts, labels)
    assert off.corrected(["wehre is my refnud"]) == ["wehre is my refnud"]
    assert not np.isclose(
        off.rank(["wehre is my refnud"])[0].scores[0].probability,
        clean.scores[0].probability,
        atol=1e-5,
    )
