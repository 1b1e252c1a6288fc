"""The per-pack search indexes: BM25 over the chunks' words (bm25s, with an English stemmer) and
a faiss index over their embeddings (inner product over unit vectors: a cosine; exact up to
``EXACT_LIMIT`` chunks, an HNSW graph above), each answering with ``(key, score)`` best first;
the key is the chunk's stored id. Both are built in memory from the stored chunks and rebuilt
when an ingest changes them (bm25s has no update; faiss's HNSW cannot remove)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import Tokenizer
from numpy.typing import NDArray

from warmline.knowledge.fusion import Fused, Fusion, Ranking

KEYWORD = "bm25"
DENSE = "dense"
EXACT_LIMIT = 20_000  # up to this many chunks an exact scan is quick enough (docs/knowledge.md)
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


class KeywordIndex:
    """BM25 over ``texts``, stemmed English words, English stop words left out."""

    def __init__(self, keys: Sequence[int], texts: Sequence[str]) -> None:
        self._keys = np.asarray(keys, dtype=np.int64)
        self._tokenizer = Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")
        self._bm25: bm25s.BM25 | None = None
        if len(texts):
            ids = self._tokenizer.tokenize(
                list(texts), update_vocab=True, return_as="ids", show_progress=False
            )
            self._bm25 = bm25s.BM25()
            self._bm25.index(ids, show_progress=False)

    def __len__(self) -> int:
        return len(self._keys)

    def search(self, query: str, depth: int) -> list[tuple[int, float]]:
        """The ``depth`` best chunks with a score above zero: at least one word in common."""
        if self._bm25 is None:
            return []
        ids = self._tokenizer.tokenize(
            [query], update_vocab=False, return_as="ids", show_progress=False
        )[0]
        known = [i for i in ids if i != 0]  # 0: the empty token, what unknown words become
        if not known:
            return []
        scores = np.asarray(self._bm25.get_scores(known), dtype=np.float32)
        return _top(self._keys, scores, depth)


class VectorIndex:
    """Unit vectors by key; a search returns the cosines of the nearest. Held as faiss
    indexes: exact (a flat inner product) up to ``exact_limit`` vectors, an HNSW graph above;
    rebuilt from the vectors kept here on the first search after a change."""

    def __init__(self, dimension: int, exact_limit: int = EXACT_LIMIT) -> None:
        self.dimension = dimension
        self.exact_limit = exact_limit
        self._vectors: dict[int, NDArray[np.float32]] = {}
        self._index: Any = None

    def __len__(self) -> int:
        return len(self._vectors)

    def add(self, keys: Sequence[int], vectors: NDArray[np.float32]) -> None:
        for key, vector in zip(keys, vectors, strict=True):
            self._vectors[int(key)] = np.asarray(vector, dtype=np.float32)
        self._index = None

    def remove(self, keys: Sequence[int]) -> None:
        for key in keys:
            self._vectors.pop(int(key), None)
        self._index = None

    def build(self) -> None:
        """Build the faiss index now (else the first search does)."""
        import faiss

        keys = np.fromiter(self._vectors, dtype=np.int64, count=len(self._vectors))
        matrix = np.zeros((len(keys), self.dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            matrix[row] = self._vectors[int(key)]
        inner: Any
        if len(keys) <= self.exact_limit:
            inner = faiss.IndexFlatIP(self.dimension)
        else:
            inner = faiss.IndexHNSWFlat(self.dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = HNSW_EF_SEARCH
        index = faiss.IndexIDMap2(inner)
        if len(keys):
            index.add_with_ids(matrix, keys)
        self._index = index

    def search(self, vector: NDArray[np.float32], depth: int) -> list[tuple[int, float]]:
        if not self._vectors:
            return []
        if self._index is None:
            self.build()
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        scores, keys = self._index.search(query, min(depth, len(self._vectors)))
        return [(int(k), float(s)) for k, s in zip(keys[0], scores[0], strict=True) if k >= 0]


def _top(
    keys: NDArray[np.int64], scores: NDArray[np.float32], depth: int
) -> list[tuple[int, float]]:
    positive = np.flatnonzero(scores > 0)
    if len(positive) > depth:
        best = np.argpartition(-scores[positive], depth - 1)[:depth]
        positive = positive[best]
    order = positive[np.argsort(-scores[positive], kind="stable")]
    return [(int(keys[i]), float(scores[i])) for i in order]


class HybridIndex:
    """A pack's two indexes and how their rankings are fused."""

    def __init__(self, dimension: int, fusion: Fusion | None = None, depth: int = 50) -> None:
        self.fusion = fusion or Fusion()
        self.depth = depth
        self.vectors = VectorIndex(dimension)
        self.keywords = KeywordIndex([], [])

    def rebuild_keywords(self, keys: Sequence[int], texts: Sequence[str]) -> None:
        self.keywords = KeywordIndex(keys, texts)

    def rankings(
        self, query: str, vector: NDArray[np.float32] | None, depth: int
    ) -> dict[str, Ranking]:
        """Each index's ranking of the chunks for ``query`` (dense only with a vector)."""
        found: dict[str, Ranking] = {KEYWORD: self.keywords.search(query, depth)}
        if vector is not None:
            found[DENSE] = self.vectors.search(vector, depth)
        return found

    def search(self, query: str, vector: NDArray[np.float32] | None, k: int) -> list[Fused]:
        """The ``k`` best chunks, fused from both rankings."""
        depth = max(self.depth, k)
        return self.fusion.fuse(self.rankings(query, vector, depth))[:k]
