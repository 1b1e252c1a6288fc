"""Sentence embeddings: an offline encoder on onnxruntime + tokenizers, with no torch at run time.

``load_encoder()`` returns the shipped encoder, all-MiniLM-L6-v2 exported to ONNX with int8
weights (``nlu/assets/all-minilm-l6-v2/``: ``model.int8.onnx``, ``tokenizer.json``, ``LICENSE``,
``README.md`` with provenance and sha256). It is loaded once per process and configuration.
Rows are mean-pooled over the attention mask and L2-normalised, so a dot product is a cosine.
When the model also returns inner layers' token states (outputs ``hidden_state_<i>``, added by
``scripts/expose_layers.py``; the shipped model returns layers 2-4 beside the last), each layer
is pooled and normalised on its own and the vectors are concatenated and scaled to unit length:
the cosine of two such rows is the mean of the per-layer cosines. Intent classifiers read
meaning better from several layers than from the last alone (see BENCHMARKS.md).

Using a larger model (needs internet once, or the weights on disk):

* Export it with the same script, pointed at a local sentence-transformers checkpoint
  (for example all-mpnet-base-v2 downloaded with ``huggingface-cli download``)::

      .venv-export/bin/python scripts/export_encoder.py --checkpoint /path/to/all-mpnet-base-v2 \\
          --out /srv/models/all-mpnet-base-v2 --name all-mpnet-base-v2

  then ``EncoderConfig(model_dir=Path("/srv/models/all-mpnet-base-v2"))``.
* Or point ``model_dir`` at any folder holding an ONNX transformer and its ``tokenizer.json``
  (``EncoderConfig(model_dir=..., model_file="model.onnx")``). The model must take ``input_ids``
  and ``attention_mask`` (``token_type_ids`` if it declares it) and return token states
  ``(batch, sequence, dimension)`` first; an already pooled ``(batch, dimension)`` output is used as
  is. Trained intent models are cached per encoder ``name``, which includes a hash of the weights,
  so changing the model retrains them.

onnxruntime writes a telemetry device id under ``~/.cache/Microsoft`` when it is imported unless
``ORT_DISABLE_TELEMETRY`` is set; this module sets it (without overriding a value already set) and
imports onnxruntime lazily, which works when it is the first to import onnxruntime in the process.

Where a short sentence's CPU goes (int8, one thread, customer sentences of 7-22 tokens, about
1.9 ms; ``benchmarks/encoder_cost.py``): the onnxruntime run, 1.75 ms, mostly the int8 matrix
products, which read all 10.6 M weights once per run whatever the sentence's length (a 2-token
run still takes about 1.4 ms); tokenising about 0.06 ms and the pooling here about 0.1 ms
(it pools every output in a few numpy calls). Measured and not kept,
because each saved about 1 % of the instructions per run and changes the int8 outputs (the
activations' dynamic quantisation rounds differently; without the fused layer norm, cosine
down to 0.995 on single texts): onnxruntime's transformer fusions (fused attention) applied
before quantisation, and leaving out its fused ``SkipLayerNormalization``. Session options
(memory arena, memory pattern, optimisation level) moved nothing beyond the noise.
"""

from __future__ import annotations

import functools
import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from warmline.errors import ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    import onnxruntime
    from tokenizers import Encoding, Tokenizer

    from warmline.nlu.precision import PrecisionChoice

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ASSETS_DIR = Path(__file__).resolve().parent / "assets" / "all-minilm-l6-v2"
TOKENIZER_FILE = "tokenizer.json"
FEW_TEXTS = 8  # up to this many texts are tokenised one by one, more in parallel

__all__ = [
    "ASSETS_DIR",
    "Encoder",
    "EncoderConfig",
    "OnnxEncoder",
    "Precision",
    "last_layer",
    "load_encoder",
]

Precision = Literal["auto", "int8", "float32"]


class Encoder(ABC):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of one embedding."""

    @property
    @abstractmethod
    def name(self) -> str:
        """Stable identifier of the model; changes when the weights or the arithmetic change."""

    @property
    def weights_name(self) -> str:
        """Identifier of the weights alone: the same for one file run in int8 or in float32."""
        return self.name

    @property
    def parts(self) -> int:
        """How many layers' unit vectors one row joins, the last layer's first (1: the last
        layer alone); see :func:`last_layer`."""
        return 1

    @abstractmethod
    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed ``texts``: shape ``(len(texts), dimension)``, float32, unit-length rows.

        An empty sequence gives shape ``(0, dimension)``; empty strings are valid input.
        """

    def encode_with_states(
        self, text: str, output: str
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """One text's embedding (as ``encode`` gives it) and the token states of the model
        output ``output``, shape ``(tokens, width)``, from the same run."""
        raise ConfigurationError(f"encoder {self.name} does not expose token states ({output})")


class EncoderConfig(BaseModel):
    """How to load an :class:`OnnxEncoder`. Frozen and hashable: it keys the process cache."""

    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())

    model_dir: Path | None = Field(
        None, description="folder with the ONNX model and tokenizer.json; None: the shipped one"
    )
    model_file: str = Field("model.int8.onnx", description="ONNX file inside model_dir")
    max_length: int = Field(128, ge=2, description="tokens per text, longer texts are truncated")
    threads: int = Field(1, ge=1, description="onnxruntime intra-op threads")
    batch_size: int = Field(32, ge=1, description="texts per onnxruntime run")
    precision: Precision = Field(
        "int8",
        description="int8: the file as stored; float32: its int8 products run in float32 "
        "(nlu/dequantize.py), faster on CPUs without VNNI; auto: whichever of the two is faster "
        "on this CPU, measured when the encoder loads (nlu/precision.py)",
    )

    def resolved_dir(self) -> Path:
        return (self.model_dir if self.model_dir is not None else ASSETS_DIR).expanduser()


def _sha256_prefix(path: Path, length: int = 12) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:length]


class OnnxEncoder(Encoder):
    """A transformer in onnxruntime, mean pooling and L2 normalisation in numpy."""

    def __init__(self, config: EncoderConfig | None = None) -> None:
        self.config = config or EncoderConfig()
        self.selection: PrecisionChoice | None = None  # set when chosen by measurement
        directory = self.config.resolved_dir()
        model_path = directory / self.config.model_file
        tokenizer_path = directory / TOKENIZER_FILE
        for required in (model_path, tokenizer_path):
            if not required.is_file():
                raise ConfigurationError(f"sentence encoder file not found: {required}")

        if self.config.precision == "auto":
            raise ConfigurationError("precision 'auto' is resolved by load_encoder()")
        self._tokenizer = self._load_tokenizer(tokenizer_path)
        if self.config.precision == "float32":
            from warmline.nlu.dequantize import float32_model

            self._session = self._load_session(model_path, float32_model(model_path))
        else:
            self._session = self._load_session(model_path)
        self._input_names = {i.name for i in self._session.get_inputs()}
        missing = {"input_ids", "attention_mask"} - self._input_names
        if missing:
            raise ConfigurationError(f"{model_path} lacks the inputs {sorted(missing)}")
        outputs = self._session.get_outputs()
        inner = [o.name for o in outputs if o.name.startswith("hidden_state_")]
        self._output_names: list[str] = [outputs[0].name, *inner]
        self._weights_name = f"{directory.name}/{model_path.stem}@{_sha256_prefix(model_path)}"
        self._name = self._weights_name + ("+float32" if self.config.precision == "float32" else "")
        self._dimension = int(self._run([""]).shape[1])

    def _load_tokenizer(self, path: Path) -> Tokenizer:
        from tokenizers import Tokenizer

        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:
            raise ConfigurationError(f"cannot read tokenizer {path}: {exc}") from None
        padding = tokenizer.padding or {}
        pad_token = str(padding.get("pad_token", "[PAD]"))
        pad_id = padding.get("pad_id", tokenizer.token_to_id(pad_token))
        self._pad_id = int(pad_id) if pad_id is not None else 0
        self._pad_type_id = int(padding.get("pad_type_id", 0))
        # Padding is done per length-sorted batch in numpy, truncation by the tokenizer.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.config.max_length)
        return tokenizer

    def _load_session(self, path: Path, model: bytes | None = None) -> onnxruntime.InferenceSession:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.config.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        try:
            source = model if model is not None else str(path)
            return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ConfigurationError(f"cannot load ONNX model {path}: {exc}") from None

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def name(self) -> str:
        return self._name

    @property
    def weights_name(self) -> str:
        return self._weights_name

    @property
    def parts(self) -> int:
        return len(self._output_names)

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        if len(texts) == 0:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return self._run(texts)

    def _run(self, texts: Sequence[str]) -> NDArray[np.float32]:
        encodings: list[Encoding] = (
            [self._tokenizer.encode(text) for text in texts]
            if len(texts) <= FEW_TEXTS  # a turn's few: no thread pool woken (its CPU counts)
            else self._tokenizer.encode_batch(list(texts))
        )
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        order = np.argsort(lengths, kind="stable")  # similar lengths together: less padding
        size = self.config.batch_size
        chunks = [
            self._run_batch([encodings[i] for i in order[start : start + size]])
            for start in range(0, len(order), size)
        ]
        result = np.empty((len(texts), chunks[0].shape[1]), dtype=np.float32)
        result[order] = np.concatenate(chunks, axis=0)
        return result

    def encode_with_states(
        self, text: str, output: str
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        if output not in self._output_names:
            raise ConfigurationError(
                f"encoder {self.name} has no output {output} (it has {self._output_names})"
            )
        encoding = self._tokenizer.encode(text)
        joined, layers = self._run_batch([encoding], keep=True)
        states = np.asarray(layers[self._output_names.index(output)][0], dtype=np.float32)
        return joined[0], states

    def _run_batch(self, batch: list[Encoding], keep: bool = False) -> Any:
        """Pooled, normalised embeddings of ``batch``; with ``keep`` also the raw outputs."""
        if len(batch) == 1:  # a turn's one text: no padding to lay out
            enc = batch[0]
            ids = np.array([enc.ids], dtype=np.int64)
            mask = np.array([enc.attention_mask], dtype=np.int64)
            types = np.array([enc.type_ids], dtype=np.int64)
        else:
            width = max(len(e.ids) for e in batch)
            ids = np.full((len(batch), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            types = np.full((len(batch), width), self._pad_type_id, dtype=np.int64)
            for row, enc in enumerate(batch):
                n = len(enc.ids)
                ids[row, :n] = enc.ids
                mask[row, :n] = enc.attention_mask
                types[row, :n] = enc.type_ids
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = types
        layers = self._session.run(self._output_names, feeds)
        result = _pool(layers, mask)
        return (result, layers) if keep else result


def _pool(layers: list[Any], mask: NDArray[np.int64]) -> NDArray[np.float32]:
    """Each output mean-pooled over ``mask`` (token states) or taken as it is (already pooled),
    at unit length; several joined and scaled to unit length. When every output is token
    states of one shape they are pooled together, in a few numpy calls rather than a few per
    output (the same arithmetic, the same result)."""
    weights = mask[:, :, None].astype(np.float32)
    count = np.maximum(weights.sum(axis=1), 1e-9)
    shapes = {np.shape(states) for states in layers}
    if len(shapes) == 1 and len(next(iter(shapes))) == 3:
        stacked = np.asarray(layers, dtype=np.float32)  # (outputs, batch, tokens, width)
        summed = stacked.sum(axis=2) if mask.all() else (stacked * weights).sum(axis=2)
        pooled = summed / count
        norms = np.sqrt(np.add.reduce(pooled * pooled, axis=2, keepdims=True))
        units = pooled / np.maximum(norms, 1e-12)
        joined = np.concatenate(list(units), axis=1) if len(layers) > 1 else units[0]
    else:
        parts = []
        for states in layers:
            states = np.asarray(states, dtype=np.float32)
            pooled = (states * weights).sum(axis=1) / count if states.ndim == 3 else states
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            parts.append(pooled / np.maximum(norms, 1e-12))
        joined = np.hstack(parts) if len(parts) > 1 else parts[0]
    if len(layers) > 1:
        joined = joined / np.sqrt(len(layers))
    return np.ascontiguousarray(joined, dtype=np.float32)


def last_layer(rows: NDArray[np.float32], parts: int) -> NDArray[np.float32]:
    """The last layer's unit vector of each row (or of one vector) of an encoder whose rows
    join ``parts`` layers (``Encoder.parts``): the row's first ``1 / parts`` of its values, at
    unit length. The sentence embedding the model was trained to give, which retrieval
    compares (``knowledge/vectors.py``)."""
    rows = np.asarray(rows, dtype=np.float32)
    part = rows[..., : rows.shape[-1] // max(parts, 1)]
    norms = np.linalg.norm(part, axis=-1, keepdims=True)
    return np.ascontiguousarray(part / np.maximum(norms, 1e-12), dtype=np.float32)


@functools.lru_cache(maxsize=8)
def _cached_encoder(config: EncoderConfig) -> Encoder:
    if config.precision == "auto":
        from warmline.nlu.precision import faster_encoder

        return faster_encoder(config)
    return OnnxEncoder(config)


def load_encoder(config: EncoderConfig | None = None) -> Encoder:
    """The encoder for ``config`` (default: the shipped MiniLM int8), loaded once per process.

    With ``precision="auto"`` both arithmetics are loaded and timed on this CPU and the faster
    is kept (:func:`warmline.nlu.precision.faster_encoder`)."""
    config = config or EncoderConfig()
    # Key the cache on the resolved folder, so None and the explicit default share one model.
    normalised = config.model_copy(update={"model_dir": config.resolved_dir().resolve()})
    return _cached_encoder(normalised)
