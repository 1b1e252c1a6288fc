"""The per-pack search indexes: BM25 over the chunks' words (bm25s, with an English stemmer) and
a vector index over their embeddings (inner product over unit vectors: a cosine; exact in numpy
up to ``EXACT_LIMIT`` chunks, a faiss HNSW graph above), each answering with ``(key, score)``
best first; the key is the chunk's stored id. Both are built in memory from the stored chunks
and rebuilt when an ingest changes them (bm25s has no update; faiss's HNSW cannot remove)."""

from __future__ import annotations

import os
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
EXACT_LIMIT = 10_000  # up to this many chunks an exact scan is quick enough (docs/knowledge.md)
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
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
    """Unit vectors by key; a search returns the cosines of the nearest. Up to
    ``exact_limit`` vectors the search is exact (one matrix product in numpy); above, an HNSW
    graph (faiss, one thread). Rebuilt from the vectors kept here on the first search after a
    change."""

    def __init__(self, dimension: int, exact_limit: int = EXACT_LIMIT) -> None:
        self.dimension = dimension
        self.exact_limit = exact_limit
        self._vectors: dict[int, NDArray[np.float32]] = {}
        self._keys = np.zeros(0, dtype=np.int64)
        self._matrix = np.zeros((0, dimension), dtype=np.float32)
        self._graph: Any = None
        self._built = False

    def __len__(self) -> int:
        return len(self._vectors)

    @property
    def approximate(self) -> bool:
        """Whether searches go through the HNSW graph (more than ``exact_limit`` vectors)."""
        return len(self._vectors) > self.exact_limit

    def add(self, keys: Sequence[int], vectors: NDArray[np.float32]) -> None:
        for key, vector in zip(keys, vectors, strict=True):
            self._vectors[int(key)] = np.asarray(vector, dtype=np.float32)
        self._built = False

    def remove(self, keys: Sequence[int]) -> None:
        for key in keys:
            self._vectors.pop(int(key), None)
        self._built = False

    def build(self) -> None:
        """Build the index now (else the first search does)."""
        self._keys = np.fromiter(self._vectors, dtype=np.int64, count=len(self._vectors))
        self._matrix = np.zeros((len(self._keys), self.dimension), dtype=np.float32)
        for row, key in enumerate(self._keys):
            self._matrix[row] = self._vectors[int(key)]
        self._graph = None
        if self.approximate:
            import faiss

            graph = faiss.IndexHNSWFlat(self.dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            graph.hnsw.efSearch = HNSW_EF_SEARCH
            faiss.omp_set_num_threads(os.cpu_count() or 1)  # the build: every core
            graph.add(self._matrix)
            faiss.omp_set_num_threads(1)  # one query at a time: threads would only contend
            self._graph = graph
        self._built = True

    def search(self, vector: NDArray[np.float32], depth: int) -> list[tuple[int, float]]:
        if not self._vectors:
            return []
        if not self._built:
            self.build()
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if self._graph is None:
            return _top(self._keys, self._matrix @ query, depth, positive=False)
        scores, rows = self._graph.search(query.reshape(1, -1), min(depth, len(self._keys)))
        return [
            (int(self._keys[r]), float(s))
            for r, s in zip(rows[0], scores[0], strict=True)
            if r >= 0
        ]


def _top(
    keys: NDArray[np.int64], scores: NDArray[np.float32], depth: int, positive: bool = True
) -> list[tuple[int, float]]:
    """The ``depth`` best keys by score (only scores above zero with ``positive``)."""
    candidates = np.flatnonzero(scores > 0) if positive else np.arange(len(scores))
    if len(candidates) > depth:
        best = np.argpartition(-scores[candidates], depth - 1)[:depth]
        candidates = candidates[best]
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
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
