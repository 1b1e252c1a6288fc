"""Affect models: calibrated probabilities of the affect targets for a text, from what the
shared sentence encoder computed for it. Two kinds, chosen by the model folder's ``affect.json``:

* ``tail`` (shipped): the encoder's last two transformer layers, fine-tuned on GoEmotions and
  exported to ONNX (int8), run on the token states the encoder already produced after its
  fourth layer (output ``hidden_state_3``), then masked mean pooling and a linear layer;
  trained by ``scripts/train_affect_tail.py`` (torch at build time only).
* ``linear``: one logistic head per target on the pooled embedding, trained by
  ``scripts/train_affect.py`` in seconds with scikit-learn; for an encoder without a tail.

Beside the tail, a linear head of the same kind serves as its screen (``AffectScreen``): the
tail runs only on turns where the screen says a distress target could be high.

Both Platt-scale each target on a held-out fifth of GoEmotions train and keep each target's
best-F1 threshold.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
from numpy.typing import NDArray

from warmline.errors import ConfigurationError

ASSETS_DIR = Path(str(resources.files("warmline.nlu").joinpath("assets", "affect")))
HEAD_FILE = "head.npz"
META_FILE = "affect.json"
SCREEN_HEAD_FILE = "screen.npz"
SCREEN_META_FILE = "screen.json"

SCREEN_TARGETS = ("negative", "frustration", "urgency", "confusion")
"""The targets the product acts on (empathy, escalation, the packet's mood): the screen passes
a turn to the tail when any of them could be high."""

# GoEmotions emotions behind each target (the paper's sentiment grouping for the first four).
GROUPS: dict[str, tuple[str, ...]] = {
    "positive": (
        "admiration",
        "amusement",
        "approval",
        "caring",
        "desire",
        "excitement",
        "gratitude",
        "joy",
        "love",
        "optimism",
        "pride",
        "relief",
    ),
    "negative": (
        "anger",
        "annoyance",
        "disappointment",
        "disapproval",
        "disgust",
        "embarrassment",
        "fear",
        "grief",
        "nervousness",
        "remorse",
        "sadness",
    ),
    "ambiguous": ("confusion", "curiosity", "realization", "surprise"),
    "neutral": ("neutral",),
    "frustration": ("anger", "annoyance", "disappointment", "disapproval"),
    "urgency": ("nervousness", "fear"),
    "confusion": ("confusion",),
    "anger": ("anger",),
    "annoyance": ("annoyance",),
    "disappointment": ("disappointment",),
}


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0)))
    return result


class AffectModel(ABC):
    """Calibrated probabilities of the ``targets``, from pooled embeddings or, when
    ``state_output`` names an encoder output, from each text's token states of it."""

    targets: tuple[str, ...]
    thresholds: dict[str, float]
    encoder_name: str
    state_output: str | None = None

    @abstractmethod
    def probabilities(
        self,
        embeddings: NDArray[np.float32],
        states: Sequence[NDArray[np.float32]] | None = None,
    ) -> NDArray[np.float64]:
        """Shape ``(len(embeddings), len(targets))``, each in [0, 1]."""


class LinearAffectModel(AffectModel):
    """One logistic head per target on the embedding, then Platt scaling per target."""

    def __init__(
        self,
        weight: NDArray[np.float64],
        bias: NDArray[np.float64],
        scale: NDArray[np.float64],
        shift: NDArray[np.float64],
        targets: Sequence[str],
        thresholds: dict[str, float],
        encoder_name: str,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.weight, self.bias, self.scale, self.shift = weight, bias, scale, shift
        self.targets = tuple(targets)
        self.thresholds = dict(thresholds)
        self.encoder_name = encoder_name
        self.meta = meta or {}

    def probabilities(
        self,
        embeddings: NDArray[np.float32],
        states: Sequence[NDArray[np.float32]] | None = None,
    ) -> NDArray[np.float64]:
        logits = embeddings.astype(np.float64) @ self.weight + self.bias
        return _sigmoid(self.scale * logits + self.shift)

    @classmethod
    def load(
        cls, folder: Path | None = None, head_file: str = HEAD_FILE, meta_file: str = META_FILE
    ) -> LinearAffectModel:
        folder = folder or ASSETS_DIR
        head, meta_path = folder / head_file, folder / meta_file
        for required in (head, meta_path):
            if not required.is_file():
                raise ConfigurationError(f"affect model file not found: {required}")
        meta = json.loads(meta_path.read_text("utf-8"))
        with np.load(head, allow_pickle=False) as arrays:
            parts = {k: np.asarray(arrays[k], dtype=np.float64) for k in arrays.files}
        return cls(
            parts["weight"],
            parts["bias"],
            parts["scale"],
            parts["shift"],
            meta["targets"],
            meta["thresholds"],
            meta["encoder"],
            meta,
        )

    def save(self, folder: Path, head_file: str = HEAD_FILE, meta_file: str = META_FILE) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            folder / head_file,
            weight=self.weight.astype(np.float32),
            bias=self.bias,
            scale=self.scale,
            shift=self.shift,
        )
        meta = {
            **self.meta,
            "encoder": self.encoder_name,
            "targets": list(self.targets),
            "thresholds": self.thresholds,
            "groups": {t: list(GROUPS.get(t, (t,))) for t in self.targets},
            "kind": "linear",
            "formula": "p = 1 / (1 + exp(-(scale * (embedding @ weight + bias) + shift)))",
        }
        (folder / meta_file).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")


class TailAffectModel(AffectModel):
    """The encoder's last layers fine-tuned for affect, over the encoder's own token states."""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.targets = tuple(meta["targets"])
        self.thresholds = {t: float(v) for t, v in meta["thresholds"].items()}
        self.encoder_name = meta["encoder_name"]
        self.state_output = meta["state_output"]
        self.scale = np.array([meta["calibration"][t]["a"] for t in self.targets])
        self.shift = np.array([meta["calibration"][t]["b"] for t in self.targets])
        path = folder / meta["file"]
        if not path.is_file():
            raise ConfigurationError(f"affect model file not found: {path}")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self._session = onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise ConfigurationError(f"cannot load affect model {path}: {exc}") from None

    def probabilities(
        self,
        embeddings: NDArray[np.float32],
        states: Sequence[NDArray[np.float32]] | None = None,
    ) -> NDArray[np.float64]:
        if states is None:
            raise ConfigurationError(f"the affect tail needs the encoder's {self.state_output}")
        rows = []
        for tokens in states:  # one text per run, as it was trained
            mask = np.ones((1, tokens.shape[0]), dtype=np.int64)
            feeds = {"hidden_states": tokens[None, :, :].astype(np.float32), "attention_mask": mask}
            rows.append(self._session.run(["logits"], feeds)[0][0])
        logits = np.asarray(rows, dtype=np.float64).reshape(len(states), len(self.targets))
        return _sigmoid(self.scale * logits + self.shift)


class AffectScreen:
    """A cheap first reading that says whether the tail is needed: a linear head per target on
    the pooled embedding (kind ``linear``, ``screen.npz`` and ``screen.json`` beside the tail),
    Platt-scaled like the tail, and per distress target a gate. A turn whose every distress
    target is under its gate is one the tail would, all but rarely, read under its own
    thresholds too: the screen's probabilities stand for it and the tail is not run. The gates
    are chosen for the tail's recall on the held-out fifth of GoEmotions train
    (``scripts/train_affect_screen.py``)."""

    def __init__(self, model: LinearAffectModel, gates: dict[str, float]) -> None:
        self.model = model
        self.gates = dict(gates)
        self.encoder_name = model.encoder_name
        self._columns = [model.targets.index(t) for t in self.gates]
        self._bars = np.array(list(self.gates.values()))

    def read(
        self, embeddings: NDArray[np.float32]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """The screen's calibrated probabilities of its targets, and which texts need the tail
        (any distress target at or above its gate)."""
        probs = self.model.probabilities(embeddings)
        needs = np.asarray((probs[:, self._columns] >= self._bars).any(axis=1), dtype=np.bool_)
        return probs, needs

    @classmethod
    def load(cls, folder: Path | None = None) -> AffectScreen | None:
        """The screen beside the affect model in ``folder`` (default: the shipped one); None
        when the folder has none (a linear model needs none)."""
        folder = folder or ASSETS_DIR
        if not (folder / SCREEN_META_FILE).is_file():
            return None
        model = LinearAffectModel.load(folder, SCREEN_HEAD_FILE, SCREEN_META_FILE)
        gates = model.meta.get("screen", {}).get("gates", {})
        if set(gates) != set(SCREEN_TARGETS) or not set(SCREEN_TARGETS) <= set(model.targets):
            raise ConfigurationError(
                f"the affect screen {folder / SCREEN_META_FILE} needs a gate and a head for "
                f"each of {', '.join(SCREEN_TARGETS)}"
            )
        return cls(model, {t: float(gates[t]) for t in SCREEN_TARGETS})


def load_affect_model(folder: Path | None = None) -> AffectModel:
    """The model in ``folder`` (default: the shipped one), of the kind its affect.json names."""
    folder = folder or ASSETS_DIR
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        raise ConfigurationError(f"affect model file not found: {meta_path}")
    meta = json.loads(meta_path.read_text("utf-8"))
    if meta.get("kind") == "tail":
        return TailAffectModel(folder, meta)
    return LinearAffectModel.load(folder)
