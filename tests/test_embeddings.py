"""The shipped ONNX sentence encoder: shapes, order, edge cases, meaning, configuration errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from warmline.errors import ConfigurationError
from warmline.nlu.embeddings import (
    ASSETS_DIR,
    Encoder,
    EncoderConfig,
    OnnxEncoder,
    load_encoder,
)


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder()


def test_shape_dtype_and_unit_rows(encoder: Encoder) -> None:
    vectors = encoder.encode(["hello there", "I want to cancel my order"])
    # The last layer and the three before it, 384 dimensions each.
    assert encoder.dimension == 4 * 384
    assert vectors.shape == (2, 4 * 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_each_layer_is_pooled_and_normalised_on_its_own(encoder: Encoder) -> None:
    a, b = encoder.encode(["where is my bag", "I can't find my luggage"])
    blocks_a, blocks_b = a.reshape(4, 384), b.reshape(4, 384)
    # Every layer's block has the same length, so the cosine is the mean of the layers' cosines.
    np.testing.assert_allclose(np.linalg.norm(blocks_a, axis=1), 0.5, atol=1e-5)
    per_layer = (blocks_a * blocks_b).sum(axis=1) / 0.25
    assert float(a @ b) == pytest.approx(float(per_layer.mean()), abs=1e-5)


def test_order_preserved_with_mixed_lengths_and_batches() -> None:
    texts = [
        "a much longer sentence about a delayed flight, a lost bag and a refund request " * 3,
        "hi",
        "where is my bag",
        "ok",
        "my card payment was declined at the shop and I do not understand why",
        "",
        "thanks",
    ]
    small_batches = OnnxEncoder(EncoderConfig(batch_size=2))
    together = small_batches.encode(texts)
    one_by_one = np.vstack([small_batches.encode([t]) for t in texts])
    # int8 activations are quantized per tensor, so batch mates move a row slightly (cos 0.97-0.99);
    # a row put back in the wrong place would be far off.
    similarity = together @ one_by_one.T
    assert (similarity.argmax(axis=1) == np.arange(len(texts))).all()
    assert np.diag(similarity).min() > 0.95


def test_empty_list(encoder: Encoder) -> None:
    vectors = encoder.encode([])
    assert vectors.shape == (0, encoder.dimension)
    assert vectors.dtype == np.float32


def test_empty_string(encoder: Encoder) -> None:
    vectors = encoder.encode(["", "   "])
    assert vectors.shape == (2, encoder.dimension)
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_bare_string_is_refused(encoder: Encoder) -> None:
    with pytest.raises(TypeError):
        encoder.encode("where is my bag")


def test_long_text_is_truncated(encoder: Encoder) -> None:
    vectors = encoder.encode(["luggage " * 2000])
    assert vectors.shape == (1, encoder.dimension)


def test_paraphrases_are_closer_than_unrelated(encoder: Encoder) -> None:
    bag, luggage, weather = encoder.encode(
        ["where is my bag", "I can't find my luggage", "what is the weather"]
    )
    # Inner layers agree more across unrelated sentences, so the joined cosine has less spread
    # than the last layer's alone (its first block).
    assert float(bag @ luggage) > float(bag @ weather) + 0.2
    assert float(bag @ luggage) > float(luggage @ weather) + 0.2
    last = [v[:384] / np.linalg.norm(v[:384]) for v in (bag, luggage, weather)]
    assert float(last[0] @ last[1]) > float(last[0] @ last[2]) + 0.3


def test_load_encoder_is_cached(encoder: Encoder) -> None:
    assert load_encoder() is encoder
    assert load_encoder(EncoderConfig(model_dir=ASSETS_DIR)) is encoder
    assert "all-minilm-l6-v2" in encoder.name


def test_missing_model_dir_raises_configuration_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ConfigurationError, match="no-such-model"):
        load_encoder(EncoderConfig(model_dir=missing))


def test_missing_model_file_raises_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"model\.fp64\.onnx"):
        OnnxEncoder(EncoderConfig(model_file="model.fp64.onnx"))


def test_config_is_frozen_and_validated() -> None:
    config = EncoderConfig()
    with pytest.raises(ValueError):
        config.threads = 4  # type: ignore[misc]
    with pytest.raises(ValueError):
        EncoderConfig(threads=0)
