"""Dialogue acts of a turn (nlu/acts.py)."""

from __future__ import annotations

import pytest

from warmline.domain.dates import MONTHS
from warmline.nlu.acts import read_acts, says_goodbye


@pytest.mark.parametrize(
    ("text", "acts", "part"),
    [
        (
            "hi, can you tell me the status of order #W1067251?",
            ["greeting", "request"],
            "can you tell me the status of order #W1067251?",
        ),
        (
            "thanks! and also cancel order #W4566809",
            ["thanks", "request"],
            "cancel order #W4566809",
        ),
        ("hello there", ["greeting"], None),
        ("thanks, bye", ["thanks", "goodbye"], None),
        ("thank you so much, that's all", ["thanks", "goodbye"], None),
        ("hiking boots are too small, I want to return them", ["request"], None),
        ("this is my order, hi", ["request"], None),
        ("no", ["deny"], None),
        ("nothing arrived yet", ["request"], None),
        ("yes please", ["affirm"], None),
        ("#W4566809", ["answer"], None),
        ("the other one", ["choice"], None),
        ("the first", ["choice"], None),
        ("hey, the one from May 17", ["greeting", "choice"], "the one from May 17"),
        ("sounds good", ["affirm"], None),
        ("perfect, go ahead", ["affirm"], None),
        ("that works for me", ["affirm"], None),
        ("cool", ["acknowledge"], None),
        ("great!", ["acknowledge"], None),
        ("ok perfect", ["acknowledge"], None),
        ("that's awesome", ["acknowledge"], None),
        ("perfect, thanks", ["thanks"], None),
        ("hmm, I'm not sure", ["request"], None),
        ("coolant for my car", ["request"], None),
        ("great, and cancel order #W4566809", ["request"], None),
    ],
)
def test_acts(text: str, acts: list[str], part: str | None) -> None:
    read = read_acts(text)
    assert read.acts == acts
    assert read.request == part


@pytest.mark.parametrize(
    ("text", "negated", "meant"),
    [
        ("not the bag, the booking itself", "the bag", "the booking"),
        ("no, I meant the other order", None, "the other order"),
        ("not that order, the one from May", "that order", "the one from May"),
        ("no, not the lamp but the kettle", "the lamp", "the kettle"),
    ],
)
def test_corrections(text: str, negated: str | None, meant: str) -> None:
    read = read_acts(text)
    assert read.acts == ["correction"]
    assert (read.negated, read.meant) == (negated, meant)


def test_references() -> None:
    assert read_acts("the other one").reference.kind == "other"  # type: ignore[union-attr]
    last = read_acts("the last one").reference
    assert last is not None and (last.kind, last.index) == ("ordinal", -1)
    dated = read_acts("the one from May 17").reference
    assert dated is not None and (dated.kind, dated.month, dated.day) == ("date", 5, 17)
    month = read_acts("not that order, the one from May").reference
    assert month is not None and (month.kind, month.month, month.day) == ("date", 5, None)
    that = read_acts("cancel that order").reference
    assert that is not None and that.kind == "that"
    assert read_acts("I want to return my order").reference is None


def test_a_correction_amends_the_last_request() -> None:
    from warmline.nlu.engine import _amended, _last_request

    previous = "I want to cancel my bag on reservation L07WR3"
    assert _amended(previous, "the bag", "the booking") == (
        "I want to cancel my booking on reservation L07WR3"
    )
    assert _amended("where is my order?", None, "the other order") == (
        "where is my order? the other order"
    )
    assert _last_request(["where is my order?", "#W1787190"]) == "where is my order?"
    assert _last_request(["ok", "fine"]) == "fine"


def test_praise_alone_is_an_acknowledgement_and_no_yes() -> None:
    for text in ("cool", "great", "perfect", "awesome", "nice!", "cool cool"):
        assert read_acts(text).acts == ["acknowledge"], text
    for text in ("sounds good", "sounds good to me", "that works", "yes please", "ok"):
        assert read_acts(text).acts == ["affirm"], text


def test_a_goodbye_is_heard_behind_small_words() -> None:
    for text in ("bye", "thanks, bye", "ok, bye", "okay bye then", "that's all"):
        assert says_goodbye(text), text
    for text in ("by the way, still waiting", "hello?", "goodness, still nobody"):
        assert not says_goodbye(text), text


def test_months_whole_or_short() -> None:
    assert len(MONTHS) == 12 and MONTHS[8] == "september"
    for text, month in (
        ("the one from Sept 5", 9),
        ("the one from sep 5", 9),
        ("the one in Dec", 12),
    ):
        reference = read_acts(text).reference
        assert reference is not None and reference.month == month, text
