"""Answerability: how likely the extractive answer holds what the question asks, read from two
figures that each say one thing: the retrieval support (``answer.retrieval_score``: the share
of the question's words the best passage holds, less the words no passage holds) and the
cosine of the question's embedding and the chosen passage's (the encoder was trained on
question and answer pairs: a near miss shares the words of a passage more often than its
meaning). A logistic regression combines them, trained on the training split of the knowledge
question set by ``scripts/train_answerability.py``; its coefficients are data beside this
module (``answerability.json``). The intercept is moved so that the pack's ``min_support``
default (0.65) is the operating point chosen on the training and dev splits: an abstention
of 0.95 at most correct answers. Both figures, their weights and the score are recorded with
every decision (``policy/knowledge.py``). Pure: no I/O but reading the coefficients once."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

COEFFICIENTS = Path(__file__).with_name("answerability.json")
FEATURES = ("support", "cosine")
"""``support``: the retrieval support (0 to 1); ``cosine``: the chosen passage's cosine with
the question (0 when the search compared no embeddings, or no answer was extracted)."""


@dataclass(frozen=True)
class Model:
    """A weight per feature and the intercept; ``score`` is the logistic of their sum."""

    weights: Mapping[str, float]
    intercept: float

    def logit(self, values: Mapping[str, float]) -> float:
        return self.intercept + sum(w * values.get(f, 0.0) for f, w in self.weights.items())

    def score(self, values: Mapping[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-self.logit(values)))


@functools.lru_cache(maxsize=1)
def shipped() -> Model:
    """The model trained by ``scripts/train_answerability.py``."""
    data = json.loads(COEFFICIENTS.read_text("utf-8"))
    return Model({f: float(data["weights"][f]) for f in FEATURES}, float(data["intercept"]))
