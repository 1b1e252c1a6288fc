"""The encoder's pooling: every output's states pooled together in a few numpy calls gives, to the
bit, what pooling each output on its own gives (the formula the shipped heads were trained on)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from warmline.nlu.embeddings import Encoder, _pool


def _one_output_at_a_time(layers: list[NDArray[np.float32]], mask: NDArray[np.int64]) -> NDArray:
    """The pooling as written before it was vectorised: each output on its own."""
    weights = mask[:, :, None].astype(np.float32)
    count = np.maximum(weights.sum(axis=1), 1e-9)
    parts = []
    for states in layers:
        pooled = (states * weights).sum(axis=1) / count if states.ndim == 3 else states
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        parts.append(pooled / np.maximum(norms, 1e-12))
    joined = parts[0] if len(parts) == 1 else np.hstack(parts) / np.sqrt(len(parts))
    return np.ascontiguousarray(joined, dtype=np.float32)


def _states(rng: np.random.Generator, *shape: int) -> NDArray[np.float32]:
    return rng.normal(0.0, 3.0, size=shape).astype(np.float32)


def test_padded_batch_of_four_outputs_pools_bit_for_bit_as_one_at_a_time() -> None:
    rng = np.random.default_rng(7)
    layers = [_states(rng, 3, 9, 16) for _ in range(4)]
    mask = np.zeros((3, 9), dtype=np.int64)
    for row, length in enumerate((9, 4, 1)):
        mask[row, :length] = 1
    got = _pool(layers, mask)
    assert got.dtype == np.float32 and got.flags.c_contiguous
    assert got.shape == (3, 64)
    np.testing.assert_array_equal(got, _one_output_at_a_time(layers, mask))
    # padding never counts: changing padded positions changes nothing
    for states in layers:
        states[1, 4:] = 1e6
    np.testing.assert_array_equal(_pool(layers, mask), got)


def test_one_unpadded_text_pools_bit_for_bit_and_each_part_has_unit_length() -> None:
    rng = np.random.default_rng(8)
    layers = [_states(rng, 1, 13, 16) for _ in range(4)]
    mask = np.ones((1, 13), dtype=np.int64)
    got = _pool(layers, mask)
    np.testing.assert_array_equal(got, _one_output_at_a_time(layers, mask))
    parts = got.reshape(4, 16) * 2.0  # each part at 1 / sqrt(4) of the row
    np.testing.assert_allclose(np.linalg.norm(parts, axis=1), 1.0, atol=1e-6)


def test_one_output_and_an_already_pooled_output_are_pooled_as_before() -> None:
    rng = np.random.default_rng(9)
    mask = np.array([[1, 1, 0], [1, 1, 1]], dtype=np.int64)
    single = [_states(rng, 2, 3, 8)]
    np.testing.assert_array_equal(_pool(single, mask), _one_output_at_a_time(single, mask))
    mixed = [_states(rng, 2, 3, 8), _states(rng, 2, 8)]
    np.testing.assert_array_equal(_pool(mixed, mask), _one_output_at_a_time(mixed, mask))


def test_a_turns_states_and_its_embedding_come_from_one_run(encoder: Encoder) -> None:
    """``encode_with_states`` (the turn's call) gives the row ``encode`` gives, and the states
    it returns are the ones that row was pooled from."""
    text = "where is my bag"
    vector, states = encoder.encode_with_states(text, "hidden_state_3")
    np.testing.assert_array_equal(vector, encoder.encode([text])[0])
    part = vector.reshape(encoder.parts, -1)[2]  # outputs: last layer, then hidden_state_2..4
    pooled = states.mean(axis=0)
    np.testing.assert_allclose(part, pooled / np.linalg.norm(pooled) / 2.0, atol=1e-6)
