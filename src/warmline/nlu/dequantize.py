"""The shipped int8 encoder turned back into float32 arithmetic, in memory, for CPUs where int8
arithmetic is slow.

onnxruntime's dynamic quantization writes each weight matrix as int8 and each product as
``DynamicQuantizeLinear`` (the activations to uint8) → ``MatMulInteger`` → ``Cast`` → ``Mul`` by
the two scales. On a CPU with VNNI that is about three times faster than float32; on one with
AVX2 and no VNNI (many AMD EPYC and older Intel servers) the integer route loses its advantage
and can be slower than float32. :func:`float32_model` rewrites each such chain as one float32
``MatMul`` by the dequantized weights ``(w - zero_point) * scale``: the same weights as the int8
model (so the same file, the same hash, the same trained heads), with float32 activations.
Nothing is written to disk; the result is the serialised model for
``onnxruntime.InferenceSession``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from warmline.errors import ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from onnx import GraphProto, NodeProto

__all__ = ["float32_model"]


class _Graph:
    """Who produces and who consumes each value of an ONNX graph, and its constants."""

    def __init__(self, graph: GraphProto) -> None:
        from onnx import numpy_helper

        self._to_array = numpy_helper.to_array
        self.initializers = {i.name: i for i in graph.initializer}
        self.producer: dict[str, NodeProto] = {o: n for n in graph.node for o in n.output}
        self.consumers: dict[str, list[NodeProto]] = defaultdict(list)
        for node in graph.node:
            for name in node.input:
                self.consumers[name].append(node)

    def constant(self, name: str) -> NDArray[np.float32]:
        if name in self.initializers:
            return np.asarray(self._to_array(self.initializers[name]), dtype=np.float32)
        node = self.producer.get(name)
        if node is None or node.op_type != "Constant":
            raise ConfigurationError(f"{name} is not a constant of the quantized encoder")
        return np.asarray(self._to_array(node.attribute[0].t), dtype=np.float32)

    def only_consumer(self, name: str, op_type: str) -> NodeProto:
        users = self.consumers.get(name, [])
        if len(users) != 1 or users[0].op_type != op_type:
            raise ConfigurationError(f"unexpected use of {name} in the quantized encoder")
        return users[0]


def _rewrite(graph: GraphProto) -> int:
    """Replace every quantized product of ``graph`` by a float32 one; the number replaced."""
    from onnx import helper, numpy_helper

    view = _Graph(graph)
    replaced: dict[int, NodeProto] = {}
    dropped: set[int] = set()
    weights = []
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        x_q, w_q, _x_zero, w_zero = node.input
        quantize = view.producer[x_q]
        cast = view.only_consumer(node.output[0], "Cast")
        scale_mul = view.only_consumer(cast.output[0], "Mul")
        scales = next(i for i in scale_mul.input if i != cast.output[0])
        scales_node = view.producer[scales]
        w_scale = next(i for i in scales_node.input if i != quantize.output[1])
        weight = (view.constant(w_q) - view.constant(w_zero)) * view.constant(w_scale)
        weight_name = f"{w_q}_float32"
        weights.append(numpy_helper.from_array(weight.astype(np.float32), weight_name))
        replaced[id(scale_mul)] = helper.make_node(
            "MatMul", [quantize.input[0], weight_name], [scale_mul.output[0]], name=node.name
        )
        dropped.update({id(node), id(cast), id(scales_node)})
    nodes = [replaced.get(id(n), n) for n in graph.node if id(n) not in dropped]
    used = {name for n in nodes for name in n.input} | {o.name for o in graph.output}
    nodes = [
        n for n in nodes if n.op_type != "DynamicQuantizeLinear" or any(o in used for o in n.output)
    ]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(weights)
    used = {name for n in graph.node for name in n.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return len(replaced)


def float32_model(path: Path) -> bytes:
    """The int8 model at ``path`` with float32 products, serialised.

    Raises :class:`ConfigurationError` when the file holds no dynamically quantized product or one
    of a shape this rewrite does not know.
    """
    import onnx

    try:
        model = onnx.load(str(path))
    except Exception as exc:
        raise ConfigurationError(f"cannot read ONNX model {path}: {exc}") from None
    try:
        count = _rewrite(model.graph)
    except (KeyError, StopIteration, ValueError) as exc:
        raise ConfigurationError(f"{path}: unexpected quantized graph ({exc!r})") from None
    if count == 0:
        raise ConfigurationError(f"{path} has no int8 products to run in float32")
    return bytes(model.SerializeToString())
