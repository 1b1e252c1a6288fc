"""Fusing rankings: reciprocal rank fusion, or a weighted sum of normalised scores.

Each ranking is a list of ``(key, score)`` best first. Reciprocal rank fusion scores a key
``sum(weight / (rrf_k + rank))`` over the rankings that found it, whatever their scores' scales;
the weighted sum min-max normalises each ranking's scores to [0, 1] first. Which one, and with
which constants, was chosen by measurement (docs/knowledge.md, benchmarks/knowledge_retrieval.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Ranking = Sequence[tuple[int, float]]

FusionMethod = Literal["rrf", "weighted"]


@dataclass(frozen=True)
class Fused:
    """One key after fusion: its fused score and its 1-based rank in each ranking that found it."""

    key: int
    score: float
    ranks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Fusion:
    """How rankings are fused. ``weights`` per ranking name (a missing name weighs 1)."""

    method: FusionMethod = "rrf"
    rrf_k: float = 60.0
    weights: Mapping[str, float] = field(default_factory=dict)

    def fuse(self, rankings: Mapping[str, Ranking]) -> list[Fused]:
        """Every key any ranking found, best first (ties: the key found earlier wins)."""
        ranks: dict[int, dict[str, int]] = {}
        scores: dict[int, float] = {}
        for name, ranking in rankings.items():
            weight = self.weights.get(name, 1.0)
            normalised = _normalised(ranking) if self.method == "weighted" else None
            for position, (key, _score) in enumerate(ranking, start=1):
                ranks.setdefault(key, {})[name] = position
                if normalised is None:
                    gain = weight / (self.rrf_k + position)
                else:
                    gain = weight * normalised[position - 1]
                scores[key] = scores.get(key, 0.0) + gain
        order = sorted(scores, key=lambda key: (-scores[key], min(ranks[key].values())))
        return [Fused(key, scores[key], ranks[key]) for key in order]


def _normalised(ranking: Ranking) -> list[float]:
    """The ranking's scores scaled to [0, 1] (all 1 when they are all equal)."""
    values = [score for _key, score in ranking]
    if not values:
        return []
    low, high = min(values), max(values)
    if high - low <= 1e-12:
        return [1.0] * len(values)
    return [(value - low) / (high - low) for value in values]
