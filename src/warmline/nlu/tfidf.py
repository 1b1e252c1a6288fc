"""TF-IDF rows for a turn without scikit-learn's per-call checks.

``TfidfVectorizer.transform`` validates its input and output on every call (parameter checks,
finiteness, dataframe detection), which costs several times the transform itself for one short
text. The intent classifier's vectorizers are its own, fitted, and fed plain strings, so on the
hot path the counts come from scikit-learn's own ``CountVectorizer.transform`` (the fitted
vocabulary and analyzer) and the weighting is applied here: sublinear tf, the fitted idf, l2
rows. ``tests/test_nlu.py`` checks it gives the vectorizer's own output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer


def transform(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> sparse.csr_matrix:
    """``vectorizer.transform(texts)``, for a fitted vectorizer with idf and l2 rows."""
    if not vectorizer.use_idf or vectorizer.norm != "l2":
        return vectorizer.transform(texts)
    rows: sparse.csr_matrix = CountVectorizer.transform(vectorizer, texts)
    if vectorizer.sublinear_tf:
        np.log(rows.data, rows.data)
        rows.data += 1
    rows.data *= vectorizer.idf_[rows.indices]
    norms = np.sqrt(np.bincount(_row_of(rows), weights=rows.data**2, minlength=rows.shape[0]))
    norms[norms == 0] = 1.0
    rows.data /= np.repeat(norms, np.diff(rows.indptr))
    return rows


def _row_of(rows: sparse.csr_matrix) -> np.ndarray:
    """The row index of each stored value."""
    return np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))


class SparseLogits:
    """The logits ``transform(vectorizer, [text]) @ weights`` of one text at a time, for the
    fitted ``vectorizers`` (idf, l2 rows, sublinear tf) whose rows are joined side by side,
    and ``weights`` (features x classes): the text's n-grams counted in a dict and their rows
    of ``weights`` gathered, with no sparse matrix built. For one short text that is a tenth of
    the cost of scikit-learn's transform and scipy's product; the same figures to float32
    rounding (``tests/test_nlu.py``)."""

    def __init__(self, vectorizers: Sequence[TfidfVectorizer], weights: np.ndarray) -> None:
        self._views = []
        offset = 0
        for vectorizer in vectorizers:
            vocabulary: dict[str, int] = vectorizer.vocabulary_
            self._views.append((vectorizer.build_analyzer(), vocabulary, vectorizer.idf_, offset))
            offset += len(vocabulary)
        self._sublinear = [v.sublinear_tf for v in vectorizers]
        self._weights = weights

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Shape ``(len(texts), classes)``, float32, no intercept."""
        out = np.zeros((len(texts), self._weights.shape[1]), dtype=np.float32)
        for row, text in enumerate(texts):
            for (analyze, vocabulary, idf, offset), sublinear in zip(
                self._views, self._sublinear, strict=True
            ):
                columns, values = _weighted(analyze(text), vocabulary, idf, sublinear)
                if len(columns):
                    out[row] += values.astype(np.float32) @ self._weights[columns + offset]
        return out


def _weighted(
    grams: Sequence[str], vocabulary: dict[str, int], idf: np.ndarray, sublinear: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The known ``grams``' columns and their tf-idf weights, at unit length (as
    ``transform`` gives one row)."""
    known = [(vocabulary.get(gram), count) for gram, count in Counter(grams).items()]
    found = [(column, count) for column, count in known if column is not None]
    columns = np.fromiter((c for c, _ in found), dtype=np.intp, count=len(found))
    values = np.fromiter((n for _, n in found), dtype=np.float64, count=len(found))
    if sublinear:
        values = np.log(values) + 1
    values *= idf[columns]
    norm = np.sqrt(np.sum(values**2))
    return columns, values / (norm if norm > 0 else 1.0)
