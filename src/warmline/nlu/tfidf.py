"""TF-IDF rows for a turn without scikit-learn's per-call checks.

``TfidfVectorizer.transform`` validates its input and output on every call (parameter checks,
finiteness, dataframe detection), which costs several times the transform itself for one short
text. The intent classifier's vectorizers are its own, fitted, and fed plain strings, so on the
hot path the counts come from scikit-learn's own ``CountVectorizer.transform`` (the fitted
vocabulary and analyzer) and the weighting is applied here: sublinear tf, the fitted idf, l2
rows. ``tests/test_nlu.py`` checks it gives the vectorizer's own output.
"""

from __future__ import annotations

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
