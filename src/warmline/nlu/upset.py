"""The upset detector: the probability that a customer's turn is upset (shows feeling, or tells
of real trouble that already happened to them), the reading behind the acknowledgement.

A logistic regression over the turn's sentence embedding, the one the engine already computed
(no second encoder run), and the turn's lexical cue flags (``affect_cues.turn_cues``: shouting,
profanity, feeling words, trouble...). Trained on ``assets/upset/train.csv`` (BANKING77 and
CLINC150 train rows and hand-written retail, airline and dialogue turns, labelled by the rule in
the folder's README; none of them in the acknowledgement benchmark), with the encoder in int8:

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python scripts/build_upset_set.py train

The logit is Platt-scaled on out-of-fold logits (stratified ``FOLDS``-fold cross-validation), so
0.7 means about 70 %. The threshold the policy uses by default (``Empathy.upset``) is chosen on
the same out-of-fold probabilities: the lowest at which at most ``MAX_FPR`` of the calm rows
read upset; and the floor under which a cue alone (capitals, "right now", a trouble phrase) no
longer acknowledges: the highest at which at most ``MAX_LOSS`` of the upset rows that show such
a cue fall under it. Saved without pickle: ``upset.npz`` (the weights) and ``upset.json`` (everything
else, with the cross-validated figures).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from warmline.errors import ConfigurationError
from warmline.nlu.affect_cues import turn_cues
from warmline.nlu.embeddings import Encoder

__all__ = ["CUES", "VOUCHING", "UpsetModel", "fit", "load_upset_model"]

ASSETS_DIR = Path(str(resources.files("warmline.nlu").joinpath("assets", "upset")))
WEIGHTS_FILE = "upset.npz"
META_FILE = "upset.json"

CUES = (
    "shouting",
    "profanity",
    "repeat_complaint",
    "leave_threat",
    "urgent_words",
    "confused_words",
    "feeling_words",
    "trouble",
)
"""The turn's lexical cues read beside the embedding, one flag each, in this order."""

FOLDS = 5
SEED = 20261215
C_GRID = (1.0, 4.0, 16.0, 64.0, 256.0)
MAX_FPR = 0.03
"""The share of calm training rows (out of fold) that may read upset at the chosen threshold."""
MAX_LOSS = 0.01
"""The share of upset training rows with a cue (out of fold) the floor may silence."""
VOUCHING = frozenset(
    {"shouting", "profanity", "urgent_words", "confused_words", "feeling_words", "trouble"}
)
"""The cues that acknowledge without the detector's agreement, unless it reads the turn below
its floor (``policy/empathy.py``)."""


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0)))
    return result


def cue_flags(cues: Sequence[Sequence[str]]) -> NDArray[np.float32]:
    """One row of 0/1 per turn: which of ``CUES`` it shows."""
    return np.array([[c in found for c in CUES] for found in cues], dtype=np.float32).reshape(
        len(cues), len(CUES)
    )


class UpsetModel:
    """``p = sigmoid(scale * (x @ weight + bias) + shift)``, x the embedding and the cue flags."""

    def __init__(
        self,
        weight: NDArray[np.float64],
        bias: float,
        scale: float,
        shift: float,
        encoder_name: str,
        threshold: float,
        floor: float = 0.0,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.weight = np.asarray(weight, dtype=np.float64)
        self.bias, self.scale, self.shift = float(bias), float(scale), float(shift)
        self.encoder_name = encoder_name
        self.threshold = float(threshold)
        self.floor = float(floor)
        self.meta = meta or {}

    def logits(
        self, embeddings: NDArray[np.float32], cues: Sequence[Sequence[str]]
    ) -> NDArray[np.float64]:
        x = np.hstack([np.asarray(embeddings, dtype=np.float64), cue_flags(cues)])
        if x.shape[1] != self.weight.shape[0]:
            raise ConfigurationError(
                f"the upset model reads {self.weight.shape[0] - len(CUES)} numbers per "
                f"embedding, the encoder gives {embeddings.shape[1]}"
            )
        result: NDArray[np.float64] = x @ self.weight + self.bias
        return result

    def probabilities(
        self, embeddings: NDArray[np.float32], cues: Sequence[Sequence[str]]
    ) -> NDArray[np.float64]:
        """P(upset) of each turn, from its embedding and its cue codes."""
        return _sigmoid(self.scale * self.logits(embeddings, cues) + self.shift)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / WEIGHTS_FILE, weight=self.weight.astype(np.float32))
        meta = {
            **self.meta,
            "encoder": self.encoder_name,
            "precision": "int8",
            "features": ["embedding", *CUES],
            "bias": self.bias,
            "scale": self.scale,
            "shift": self.shift,
            "threshold": self.threshold,
            "floor": self.floor,
            "formula": "p = 1 / (1 + exp(-(scale * ([embedding, cue flags] @ weight + bias) "
            "+ shift)))",
        }
        (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")


def load_upset_model(folder: Path | None = None) -> UpsetModel:
    """The model in ``folder`` (default: the shipped one)."""
    folder = folder or ASSETS_DIR
    weights, meta_path = folder / WEIGHTS_FILE, folder / META_FILE
    for required in (weights, meta_path):
        if not required.is_file():
            raise ConfigurationError(f"upset model file not found: {required}")
    meta = json.loads(meta_path.read_text("utf-8"))
    with np.load(weights, allow_pickle=False) as arrays:
        weight = np.asarray(arrays["weight"], dtype=np.float64)
    return UpsetModel(
        weight,
        meta["bias"],
        meta["scale"],
        meta["shift"],
        meta["encoder"],
        meta["threshold"],
        meta["floor"],
        meta,
    )


def embed(encoder: Encoder, texts: Sequence[str]) -> NDArray[np.float32]:
    """Each text encoded on its own, as a live turn is (no padding beside longer texts)."""
    return np.vstack([encoder.encode([" ".join(t.split())]) for t in texts])


def fit(
    encoder: Encoder, texts: Sequence[str], labels: Sequence[bool]
) -> tuple[UpsetModel, dict[str, Any]]:
    """The detector trained on ``texts`` (``labels``: upset), calibrated and thresholded by
    cross-validation; and the cross-validated figures."""
    cues = [turn_cues(t) for t in texts]
    return fit_features(embed(encoder, texts), cues, labels, encoder.weights_name)


def fit_features(
    embeddings: NDArray[np.float32],
    cues: Sequence[Sequence[str]],
    labels: Sequence[bool],
    encoder_name: str,
    c_grid: Sequence[float] = C_GRID,
) -> tuple[UpsetModel, dict[str, Any]]:
    """:func:`fit` from the embeddings and cue codes already read; the regularisation ``C`` is
    the one of ``c_grid`` with the least out-of-fold log loss."""
    from sklearn.linear_model import LogisticRegression

    x = np.hstack([np.asarray(embeddings, dtype=np.float64), cue_flags(cues)])
    y = np.asarray(labels, dtype=bool)
    runs = {c: _oof_logits(x, y, c) for c in c_grid}
    best_c = min(c_grid, key=lambda c: runs[c][1])
    oof = runs[best_c][0]
    scale, shift = _platt(oof, y)
    probs = _sigmoid(scale * oof + shift)
    threshold = choose_threshold(probs, y, MAX_FPR)
    cued = np.array([bool(VOUCHING & set(found)) for found in cues], dtype=bool)
    floor = choose_floor(probs[y & cued], MAX_LOSS)
    final = LogisticRegression(C=best_c, max_iter=2000).fit(x, y)
    report = {
        "rows": len(y),
        "upset": int(y.sum()),
        "C": best_c,
        "cv_log_loss": {str(c): round(run[1], 4) for c, run in runs.items()},
        "cv_at_threshold": _figures(probs, y, threshold),
        "cv_at_half": _figures(probs, y, 0.5),
        "floor": floor,
        "cv_calm_with_cue_under_floor": int((~y & cued & (probs < floor)).sum()),
        "cv_upset_with_cue_under_floor": int((y & cued & (probs < floor)).sum()),
        "with_cue": {"upset": int((y & cued).sum()), "calm": int((~y & cued).sum())},
    }
    model = UpsetModel(
        final.coef_[0],
        float(final.intercept_[0]),
        scale,
        shift,
        encoder_name,
        threshold,
        floor,
        {"folds": FOLDS, "seed": SEED, "max_fpr": MAX_FPR, **report},
    )
    return model, report


def _oof_logits(x: NDArray[np.float64], y: NDArray[np.bool_], c: float) -> tuple[Any, float]:
    """Out-of-fold logits of a logistic regression with ``C=c``, and their log loss."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros(len(y))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    for train, held in folds.split(x, y):
        model = LogisticRegression(C=c, max_iter=2000).fit(x[train], y[train])
        oof[held] = model.decision_function(x[held])
    p = np.clip(_sigmoid(oof), 1e-9, 1 - 1e-9)
    return oof, float(-np.mean(np.where(y, np.log(p), np.log(1 - p))))


def _platt(logits: NDArray[np.float64], y: NDArray[np.bool_]) -> tuple[float, float]:
    """Scale and shift of the logits that fit ``y`` best (a one-feature logistic regression)."""
    from sklearn.linear_model import LogisticRegression

    platt = LogisticRegression(C=1e6, max_iter=1000).fit(logits[:, None], y)
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def choose_threshold(probs: NDArray[np.float64], y: NDArray[np.bool_], max_fpr: float) -> float:
    """The lowest threshold (two decimals) at which at most ``max_fpr`` of the calm rows read
    upset."""
    calm = probs[~y]
    for step in range(1, 100):
        threshold = step / 100
        if np.mean(calm >= threshold) <= max_fpr:
            return threshold
    return 0.99


def choose_floor(upset_probs: NDArray[np.float64], max_loss: float) -> float:
    """The highest floor (two decimals) under which at most ``max_loss`` of ``upset_probs``
    fall."""
    floor = 0.0
    for step in range(1, 100):
        if np.mean(upset_probs < step / 100) > max_loss:
            break
        floor = step / 100
    return floor


def _figures(probs: NDArray[np.float64], y: NDArray[np.bool_], threshold: float) -> dict[str, Any]:
    said = probs >= threshold
    tp, fp = int((said & y).sum()), int((said & ~y).sum())
    return {
        "threshold": threshold,
        "recall": round(tp / max(int(y.sum()), 1), 4),
        "precision": round(tp / max(tp + fp, 1), 4),
        "fpr_calm": round(fp / max(int((~y).sum()), 1), 4),
    }
