"""Chunk embeddings cached on disk, one ``.npy`` file per document, keyed by its content hash,
the encoder and the chunk size."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger("warmline.knowledge")


class EmbeddingCache:
    """Chunk embeddings on disk by document content, encoder and chunk size, so a fresh
    database (a test, a new worker's SQLite) ingests known documents without encoding them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _file(self, *parts: object) -> Path:
        key = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
        return self.folder / f"{key}.npy"

    def get(self, *parts: object) -> NDArray[np.float32] | None:
        file = self._file(*parts)
        try:
            return np.asarray(np.load(file, allow_pickle=False), dtype=np.float32)
        except (OSError, ValueError):
            return None

    def put(self, vectors: NDArray[np.float32], *parts: object) -> None:
        file = self._file(*parts)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            temporary = file.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp.npy")
            np.save(temporary, vectors, allow_pickle=False)
            temporary.replace(file)
        except OSError:  # a cache that cannot be written is only slower
            log.warning("cannot write the embedding cache %s", file, exc_info=True)
