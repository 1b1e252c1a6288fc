"""Answerability: how likely the extractive answer holds what the question asks, read from
figures that each say one thing: the retrieval support (``answer.retrieval_score``: the share
of the question's words the best passage holds, less the words no passage holds), the cosine
of the question's embedding and the chosen passage's (the encoder was trained on question and
answer pairs: a near miss shares the words of a passage more often than its meaning) and the
answer check's logit (``knowledge/answer_check.py``: a cross-encoder reading the question and
the chosen passage together, which sees whether the passage holds the fact asked). A logistic
regression combines them, trained on the training split of the knowledge question set by
``scripts/train_answerability.py`` (the answer check's figure cross-fitted: each training
question scored by a model that did not see it); its coefficients are data beside this module
(``answerability.json``). The intercept is moved so that the pack's ``min_support`` default
(0.65) is the operating point chosen on the training and dev splits: an abstention of 0.95 at
most correct answers. The figures and the score are recorded with every decision
(``policy/knowledge.py``). Pure: no I/O but reading the coefficients once."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

COEFFICIENTS = Path(__file__).with_name("answerability.json")
FEATURES = ("support", "cosine", "check")
"""``support``: the retrieval support (0 to 1); ``cosine``: the chosen passage's cosine with
the question (0 when the search compared no embeddings, or no answer was extracted);
``check``: the answer check's logit for the question and the chosen passage
(``knowledge/answer_check.py``: a cross-encoder; 0 when no answer was extracted). A model
without a weight for a feature does not read it."""


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
    weights = data["weights"]
    return Model({f: float(weights[f]) for f in FEATURES if f in weights}, float(data["intercept"]))
