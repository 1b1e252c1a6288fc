"""The out-of-scope score: how far a message is from everything an intent model knows.

Three signals, each standardised by its mean and spread over held-out in-scope examples (folds
of the training data), are added with weights: how unsure the classifier is (1 minus the top
probability among the real intents; weight 0.5), how far the text is from every training
example (1 minus the cosine to the nearest one; weight 1), and the probability of the reject
class ``OOS`` when the model has one (examples of what is out of scope; weight 1). The weights
were chosen on CLINC150's validation split (AUROC 0.991 against 0.988 for the first two alone,
equally weighted). The default cut-off is the score that ``OOS_FLAG_RATE`` of the held-out
in-scope examples reach.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from warmline.domain.understanding import REJECT_INTENT

OOS = REJECT_INTENT
OOS_FLAG_RATE = 0.02
UNCERTAINTY_WEIGHT = 0.5
DISTANCE_WEIGHT = 1.0
REJECT_WEIGHT = 1.0


class OosScale(BaseModel):
    """Standardises the out-of-scope signals; ``threshold`` is the default cut-off."""

    model_config = ConfigDict(frozen=True)
    uncertainty_mean: float = 0.0
    uncertainty_std: float = 1.0
    distance_mean: float = 0.0
    distance_std: float = 1.0
    reject_mean: float = 0.0
    reject_std: float = 1.0
    threshold: float | None = None

    def score(
        self, top_in_scope: np.ndarray, nearest: np.ndarray, reject: np.ndarray
    ) -> np.ndarray:
        """``top_in_scope``: the best real intent's probability; ``nearest``: the cosine to the
        nearest training example; ``reject``: the reject class's probability (0 without one)."""
        uncertainty = (1.0 - top_in_scope - self.uncertainty_mean) / self.uncertainty_std
        distance = (1.0 - nearest - self.distance_mean) / self.distance_std
        rejected = (reject - self.reject_mean) / self.reject_std
        result: np.ndarray = (
            UNCERTAINTY_WEIGHT * uncertainty + DISTANCE_WEIGHT * distance + REJECT_WEIGHT * rejected
        )
        return result

    @classmethod
    def fit(cls, top_in_scope: np.ndarray, nearest: np.ndarray, reject: np.ndarray) -> OosScale:
        uncertainty, distance = 1.0 - top_in_scope, 1.0 - nearest
        scale = cls(
            uncertainty_mean=float(uncertainty.mean()),
            uncertainty_std=float(max(uncertainty.std(), 1e-6)),
            distance_mean=float(distance.mean()),
            distance_std=float(max(distance.std(), 1e-6)),
            reject_mean=float(reject.mean()),
            reject_std=float(max(reject.std(), 1e-6)),
        )
        held_out = scale.score(top_in_scope, nearest, reject)
        threshold = float(np.quantile(held_out, 1.0 - OOS_FLAG_RATE))
        return scale.model_copy(update={"threshold": threshold})
