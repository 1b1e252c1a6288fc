"""The out-of-scope score: how far a message is from everything an intent model knows.

Two signals, each standardised by its mean and spread over held-out in-scope examples (folds
of the training data), are added: how unsure the classifier is (1 minus the top probability
among the real intents) and how far the text is from every training example (1 minus the
cosine to the nearest one). The default cut-off is the score that ``OOS_FLAG_RATE`` of those
held-out in-scope examples reach. ``OOS`` is the label of the reject class (examples of what
is out of scope); its own probability is not part of the score.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

OOS = "oos"
OOS_FLAG_RATE = 0.02


class OosScale(BaseModel):
    """Standardises the two out-of-scope signals; ``threshold`` is the default cut-off."""

    model_config = ConfigDict(frozen=True)
    uncertainty_mean: float = 0.0
    uncertainty_std: float = 1.0
    distance_mean: float = 0.0
    distance_std: float = 1.0
    threshold: float | None = None

    def score(self, top_in_scope: np.ndarray, nearest: np.ndarray) -> np.ndarray:
        uncertainty = (1.0 - top_in_scope - self.uncertainty_mean) / self.uncertainty_std
        distance = (1.0 - nearest - self.distance_mean) / self.distance_std
        result: np.ndarray = uncertainty + distance
        return result

    @classmethod
    def fit(cls, top_in_scope: np.ndarray, nearest: np.ndarray) -> OosScale:
        uncertainty, distance = 1.0 - top_in_scope, 1.0 - nearest
        scale = cls(
            uncertainty_mean=float(uncertainty.mean()),
            uncertainty_std=float(max(uncertainty.std(), 1e-6)),
            distance_mean=float(distance.mean()),
            distance_std=float(max(distance.std(), 1e-6)),
        )
        held_out = scale.score(top_in_scope, nearest)
        threshold = float(np.quantile(held_out, 1.0 - OOS_FLAG_RATE))
        return scale.model_copy(update={"threshold": threshold})
