"""A reply to a confirmation that hedges is never a yes; a plain yes or no still is one."""

from __future__ import annotations

import pytest

from warmline.domain.understanding import IntentScore, Understanding, Zone
from warmline.policy.followups import _unsure


def reading(text: str, intent: str = "affirm", zone: Zone = "confident") -> Understanding:
    return Understanding(
        text=text, zone=zone, ranking=[IntentScore(intent=intent, probability=0.9)]
    )


@pytest.mark.parametrize(
    "text",
    [
        "hmm, I'm not sure",
        "maybe",
        "I don't know yet",
        "dunno",
        "let me think about it",
        "hold on",
        "not yet",
        "give me a minute",
        "um ok",
    ],
)
def test_a_hedge_is_unsure_even_when_read_as_a_confident_yes(text: str) -> None:
    assert _unsure(reading(text))


@pytest.mark.parametrize(
    "text", ["yes", "yes please", "sure", "go ahead", "yes, I'm sure", "no", "no thanks"]
)
def test_a_plain_yes_or_no_is_not_unsure(text: str) -> None:
    intent = "deny" if text.startswith("no") else "affirm"
    assert not _unsure(reading(text, intent))


def test_a_yes_read_without_confidence_is_unsure() -> None:
    assert _unsure(reading("yeah i guess", zone="clarify"))
    assert not _unsure(reading("yeah i guess", intent="track_order", zone="clarify"))
