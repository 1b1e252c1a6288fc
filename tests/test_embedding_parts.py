"""The sentence vector retrieval compares, from the encoder's rows: the shipped encoder's rows
join four layers, the last layer's first, and ``last_layer`` gives back that layer's own
mean-pooled unit vector (what ``knowledge/vectors.py`` indexes)."""

from __future__ import annotations

import numpy as np

from warmline.knowledge.vectors import sentence_dimension, sentence_part
from warmline.nlu.embeddings import Encoder, last_layer


def test_the_shipped_rows_join_four_layers(encoder: Encoder) -> None:
    assert encoder.parts == 4
    assert sentence_dimension(encoder) == encoder.dimension // 4 == 384


def test_the_last_layer_of_a_row_is_that_layers_pooled_vector(encoder: Encoder) -> None:
    text = "how long does a refund take to reach my card?"
    row, states = encoder.encode_with_states(text, "last_hidden_state")
    pooled = states.mean(axis=0)  # one text: every token counts
    expected = pooled / np.linalg.norm(pooled)
    got = last_layer(row, encoder.parts)
    assert got.shape == (384,)
    assert np.allclose(got, expected, atol=1e-5)
    assert np.allclose(sentence_part(row, 384), got)
    rows = np.stack([row, encoder.encode(["where is my bag"])[0]])
    assert np.allclose(last_layer(rows, encoder.parts)[0], got)  # rows as well


def test_one_part_is_the_row_itself_at_unit_length() -> None:
    row = np.array([3.0, 4.0], dtype=np.float32)
    assert np.allclose(last_layer(row, 1), [0.6, 0.8])
