"""Temperature scaling: one scalar that makes softmax probabilities mean what they say.

Fitted on held-out logits (cross-validation folds of the training data), it changes no
prediction, only how sure each one claims to be.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    result: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return result


def _nll(temperature: float, logits: np.ndarray, labels: np.ndarray) -> float:
    probs = softmax(logits, temperature)
    picked = probs[np.arange(len(labels)), labels]
    return float(-np.log(np.clip(picked, 1e-12, None)).mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature in [0.05, 20] minimising the negative log-likelihood of ``labels``."""
    if len(labels) == 0:
        return 1.0
    result = minimize_scalar(
        _nll,
        bounds=(0.05, 20.0),
        args=(logits, labels),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(result.x)
