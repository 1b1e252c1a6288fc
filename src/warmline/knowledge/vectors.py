"""The sentence embedding retrieval compares: the encoder's last layer alone.

The shipped encoder returns, beside its last layer, inner layers' pooled states, concatenated
after it and scaled to unit length (``nlu/embeddings.py``); intent classifiers read meaning
better from all of them, but for matching a question to a passage the last layer alone (the
sentence embedding the model was trained to give) ranks better: on the demo question set,
passages by embeddings alone put the gold section in the first three for 92 % of questions
with the last layer against 85 % with all four (docs/knowledge.md). A row of ``n`` parts
(``Encoder.parts``) holds the last layer's unit vector, divided by sqrt(n), in its first
``dimension / n`` values (``nlu.embeddings.last_layer``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from warmline.nlu.embeddings import Encoder, last_layer


def sentence_dimension(encoder: Encoder) -> int:
    """The length of the last layer's embedding in the encoder's rows."""
    return encoder.dimension // max(encoder.parts, 1)


def sentence_part(rows: NDArray[np.float32], dimension: int) -> NDArray[np.float32]:
    """The first ``dimension`` values of each row (or of one vector), at unit length."""
    rows = np.asarray(rows, dtype=np.float32)
    return last_layer(rows, max(rows.shape[-1] // dimension, 1))
