"""Sister intents (one's action is the other's ``instead``): ranked first and second, they
count as one request for the zone, since the record's status tells them apart."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from warmline.domain.pack_loader import load_pack
from warmline.domain.understanding import IntentScore
from warmline.nlu.engine import NluEngine
from warmline.nlu.intents import Ranking

RETAIL = Path(__file__).parents[1] / "src/warmline/demo/packs/retail.yaml"


def engine() -> NluEngine:
    stub: Any = SimpleNamespace(oos_scale=SimpleNamespace(threshold=None))
    return NluEngine(load_pack(RETAIL), encoder=stub, classifier=stub)


def ranking(*scores: tuple[str, float]) -> Ranking:
    return Ranking(
        scores=[IntentScore(intent=i, probability=p) for i, p in scores],
        nearest_similarity=0.9,
        oos_score=0.0,
    )


def test_an_exchange_and_a_pending_change_together_are_confident() -> None:
    zone, rule = engine()._zone(ranking(("exchange_items", 0.4), ("modify_items", 0.3)))
    assert zone == "confident"
    assert "status decides" in rule


def test_intents_that_are_not_sisters_still_ask() -> None:
    zone, _ = engine()._zone(ranking(("return_items", 0.4), ("cancel_order", 0.3)))
    assert zone == "clarify"


def test_sisters_below_confident_together_still_ask() -> None:
    zone, _ = engine()._zone(ranking(("exchange_items", 0.3), ("modify_items", 0.2)))
    assert zone == "clarify"
