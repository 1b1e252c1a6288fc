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


WORDS_KEPT = 20_000
"""Words whose known character n-grams ``SparseLogits`` keeps; past that many it starts again."""
WORD_KEPT_CHARS = 32
"""Longer words are cut every time and not kept, so what is kept stays about 20 MB at most."""


class SparseLogits:
    """The logits ``transform(vectorizer, [text]) @ weights`` of one text at a time, for the
    fitted ``vectorizers`` (idf, l2 rows, sublinear tf) whose rows are joined side by side,
    and ``weights`` (features x classes): the text's n-grams counted in a dict and their rows
    of ``weights`` gathered, with no sparse matrix built. For one short text that is a tenth of
    the cost of scikit-learn's transform and scipy's product; the same figures to float32
    rounding (``tests/test_nlu.py``).

    A ``char_wb`` view cuts its n-grams inside each word of the lower-cased text, so a word's
    known n-grams (their columns, in order, repeats kept) are the same in every text: they are
    kept per word (``WORDS_KEPT`` at most) and joined, which counts the same columns in the
    same order as cutting the whole text again."""

    def __init__(self, vectorizers: Sequence[TfidfVectorizer], weights: np.ndarray) -> None:
        self._views: list[_View] = []
        offset = 0
        for vectorizer in vectorizers:
            self._views.append(_View(vectorizer, offset))
            offset += len(vectorizer.vocabulary_)
        self._weights = weights

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Shape ``(len(texts), classes)``, float32, no intercept."""
        out = np.zeros((len(texts), self._weights.shape[1]), dtype=np.float32)
        for row, text in enumerate(texts):
            for view in self._views:
                columns, values = _weighted(view.counts(text), view.idf, view.sublinear)
                if len(columns):
                    out[row] += values.astype(np.float32) @ self._weights[columns + view.offset]
        return out


class _View:
    """One fitted vectorizer of ``SparseLogits``: a text's known n-grams counted by column."""

    def __init__(self, vectorizer: TfidfVectorizer, offset: int) -> None:
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf: np.ndarray = vectorizer.idf_
        self.sublinear: bool = vectorizer.sublinear_tf
        self.offset = offset
        # scikit-learn's char_wb analyzer: the lower-cased text, split at whitespace, each
        # word cut on its own (``_char_wb_ngrams``); any other set-up goes through ``analyze``
        by_word = (
            vectorizer.analyzer == "char_wb"
            and vectorizer.lowercase
            and vectorizer.preprocessor is None
            and not vectorizer.strip_accents
            and vectorizer.input == "content"
        )
        self._cut = vectorizer._char_wb_ngrams if by_word else None
        self._words: dict[str, list[int]] = {}

    def counts(self, text: str) -> dict[int, int]:
        """The columns of ``text``'s known n-grams with how often each occurs, in the order
        they first occur (as counting the analyzer's n-grams and dropping the unknown gives)."""
        if self._cut is None:
            get = self.vocabulary.get
            found = Counter(self.analyze(text))
            return {c: n for gram, n in found.items() if (c := get(gram)) is not None}
        columns: list[int] = []
        for word in text.lower().split():
            known = self._words.get(word)
            if known is None:
                known = self._known(word)
            columns += known
        return Counter(columns)

    def _known(self, word: str) -> list[int]:
        assert self._cut is not None
        get = self.vocabulary.get
        known = [c for gram in self._cut(word) if (c := get(gram)) is not None]
        if len(word) > WORD_KEPT_CHARS:  # not kept: a long token (a URL, a pasted blob) is
            return known  # rarely seen twice, and kept ones would bound memory by count only
        if len(self._words) >= WORDS_KEPT:
            self._words.clear()
        self._words[word] = known
        return known


def _weighted(
    counts: dict[int, int], idf: np.ndarray, sublinear: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The columns of ``counts`` and their tf-idf weights, at unit length (as ``transform``
    gives one row)."""
    columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    if sublinear:
        values = np.log(values) + 1
    values *= idf[columns]
    norm = np.sqrt(np.sum(values**2))
    return columns, values / (norm if norm > 0 else 1.0)
