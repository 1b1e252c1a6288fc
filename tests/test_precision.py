"""The encoder's arithmetic: the int8 file run in float32, and the choice between the two by
measurement when the encoder loads."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from warmline.errors import ConfigurationError
from warmline.nlu.affect import load_affect
from warmline.nlu.dequantize import float32_model
from warmline.nlu.embeddings import ASSETS_DIR, Encoder, EncoderConfig, OnnxEncoder
from warmline.nlu.precision import choose, faster_encoder

SHIPPED = ASSETS_DIR / "model.int8.onnx"
TEXTS = ["I need to cancel my bag", "where is my refund", "hi", "my vacuum arrived broken"]


@pytest.fixture(scope="module")
def float32_encoder() -> OnnxEncoder:
    return OnnxEncoder(EncoderConfig(precision="float32"))


def test_float32_model_has_no_integer_products_left() -> None:
    model = onnx.load_from_string(float32_model(SHIPPED))
    ops = {node.op_type for node in model.graph.node}
    assert "MatMulInteger" not in ops
    assert "DynamicQuantizeLinear" not in ops
    assert sum(node.op_type == "MatMul" for node in model.graph.node) >= 36


def test_float32_encoder_agrees_with_int8(encoder: Encoder, float32_encoder: OnnxEncoder) -> None:
    cosines = (encoder.encode(TEXTS) * float32_encoder.encode(TEXTS)).sum(axis=1)
    assert cosines.min() > 0.98
    # the same weights, other arithmetic: another name for the intent cache, the same weights
    assert float32_encoder.name == f"{encoder.name}+float32"
    assert float32_encoder.weights_name == encoder.weights_name


def test_shipped_affect_model_reads_the_same_through_the_float32_encoder(
    encoder: Encoder, float32_encoder: OnnxEncoder
) -> None:
    texts = ["This is the THIRD time I ask where my refund is!!", "thanks, that was quick"]
    as_int8 = load_affect(encoder).model_probabilities(texts)
    as_float32 = load_affect(float32_encoder).model_probabilities(texts)
    assert np.abs(as_int8 - as_float32).max() < 0.1


def test_a_float_model_cannot_be_dequantized(tmp_path: Path) -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, 2], [1.0, 0.0, 0.0, 1.0])
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g", [x], [y], [w])
    path = tmp_path / "float.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(ConfigurationError, match="no int8 products"):
        float32_model(path)


def test_an_unreadable_model_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"not a model")
    with pytest.raises(ConfigurationError, match=r"broken\.onnx"):
        float32_model(path)


def test_choose_keeps_int8_unless_float32_is_clearly_faster() -> None:
    assert choose({"int8": 7.3, "float32": 3.0}, margin=0.8) == "float32"
    assert choose({"int8": 1.4, "float32": 3.7}, margin=0.8) == "int8"
    assert choose({"int8": 2.0, "float32": 1.9}, margin=0.8) == "int8"  # within the margin
    assert choose({"int8": 2.0}, margin=0.8) == "int8"  # nothing to compare with


def _clock(int8_ms: float, float32_ms: float) -> object:
    """A clock under which each int8 encode takes ``int8_ms`` and each float32 one
    ``float32_ms``: the timing loop reads start and stop of int8, then of float32, in turn."""
    now = 0.0
    steps = itertools.cycle([0.0, int8_ms / 1000, 0.0, float32_ms / 1000])

    def clock() -> float:
        nonlocal now
        now += next(steps)
        return now

    return clock


@pytest.mark.parametrize(
    ("int8_ms", "float32_ms", "chosen"), [(7.3, 3.0, "float32"), (1.4, 3.7, "int8")]
)
def test_faster_encoder_keeps_the_arithmetic_measured_faster(
    int8_ms: float, float32_ms: float, chosen: str
) -> None:
    encoder = faster_encoder(EncoderConfig(), rounds=1, clock=_clock(int8_ms, float32_ms))  # type: ignore[arg-type]
    assert encoder.config.precision == chosen
    assert encoder.selection is not None
    assert encoder.selection.chosen == chosen
    assert encoder.selection.median_ms == pytest.approx({"int8": int8_ms, "float32": float32_ms})
    assert chosen in encoder.selection.describe()
    vector = encoder.encode(["where is my bag"])
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-4)
