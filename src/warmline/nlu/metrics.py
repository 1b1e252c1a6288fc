"""Evaluation measures for intent models: accuracy, macro-F1, calibration error, and the
out-of-scope detection measures (AUROC, AUPR, FPR at 95 % recall)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    if not gold:
        return 0.0
    return float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)]))


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return float(f1_score(list(gold), list(predicted), average="macro", zero_division=0))


def reliability(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> list[tuple[float, float, float, int]]:
    """Per confidence bin: (upper edge, mean confidence, accuracy, count)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    table = []
    for low, high in itertools.pairwise(edges):
        mask = (confidence > low) & (confidence <= high)
        if low == 0.0:
            mask |= confidence == 0.0
        count = int(mask.sum())
        if count:
            table.append(
                (float(high), float(confidence[mask].mean()), float(correct[mask].mean()), count)
            )
        else:
            table.append((float(high), 0.0, 0.0, 0))
    return table


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 15
) -> float:
    """Top-label ECE: the count-weighted gap between confidence and accuracy over bins."""
    if len(confidence) == 0:
        return 0.0
    total = len(confidence)
    return float(
        sum(
            count / total * abs(conf - acc)
            for _, conf, acc, count in reliability(confidence, correct, bins)
        )
    )


def oos_scores(is_oos: np.ndarray, oos_score: np.ndarray) -> dict[str, float]:
    """Detection of out-of-scope inputs (positive class) by a score that is higher for OOS.

    ``fpr_at_95`` is the share of in-scope inputs flagged as out of scope when the threshold
    catches 95 % of the out-of-scope ones.
    """
    if is_oos.sum() == 0 or is_oos.sum() == len(is_oos):
        return {}
    threshold = np.quantile(oos_score[is_oos], 0.05)
    fpr = float(np.mean(oos_score[~is_oos] >= threshold))
    return {
        "auroc": float(roc_auc_score(is_oos, oos_score)),
        "aupr": float(average_precision_score(is_oos, oos_score)),
        "fpr_at_95": fpr,
    }
