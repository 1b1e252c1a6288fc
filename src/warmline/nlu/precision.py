"""Which arithmetic the sentence encoder runs in on this CPU, chosen by measuring both at start.

The shipped encoder's int8 products are about three times faster than float32 on CPUs with VNNI
(most Intel Xeons since Cascade Lake, AMD Zen 4) and lose that lead, or fall behind, on CPUs with
AVX2 alone (many AMD EPYC servers). Rather than guess from CPU flags, :func:`faster_encoder` loads
the model both ways, times a few customer-sized sentences through each (interleaved, after a
warm-up, the median per sentence) and keeps the faster. int8 is kept unless float32 is clearly
faster (``margin``): the shipped affect and intent figures were measured with int8. The choice and
its timings are logged and kept on the encoder (``OnnxEncoder.selection``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from warmline.errors import ConfigurationError
from warmline.nlu.embeddings import EncoderConfig, OnnxEncoder

__all__ = ["PrecisionChoice", "choose", "faster_encoder"]

log = logging.getLogger(__name__)

SAMPLE_TEXTS = (
    "hi",
    "where is my bag",
    "I want to cancel my flight to Boston next Friday please",
    "My order arrived yesterday but the keyboard is the wrong colour and I'd like to exchange it.",
)
"""Customer-sized sentences, short to long, that the timing runs through each arithmetic."""


@dataclass(frozen=True)
class PrecisionChoice:
    """What was measured and what was kept."""

    chosen: str
    median_ms: dict[str, float]
    margin: float

    def describe(self) -> str:
        timings = ", ".join(f"{name} {ms:.2f} ms" for name, ms in self.median_ms.items())
        return f"encoder arithmetic {self.chosen} (median per sentence: {timings})"


def choose(median_ms: dict[str, float], margin: float) -> str:
    """``float32`` when it takes at most ``margin`` times int8's time, else ``int8``."""
    if "float32" in median_ms and median_ms["float32"] <= margin * median_ms["int8"]:
        return "float32"
    return "int8"


def _median_ms(
    encoders: dict[str, OnnxEncoder],
    texts: Sequence[str],
    rounds: int,
    clock: Callable[[], float],
) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in encoders}
    for encoder in encoders.values():  # warm-up: first runs allocate
        encoder.encode(list(texts))
    for _ in range(rounds):
        for text in texts:
            for name, encoder in encoders.items():  # interleaved: drift hits both alike
                start = clock()
                encoder.encode([text])
                samples[name].append(1000.0 * (clock() - start))
    return {name: float(np.median(values)) for name, values in samples.items()}


def faster_encoder(
    config: EncoderConfig,
    *,
    rounds: int = 5,
    margin: float = 0.8,
    clock: Callable[[], float] = time.process_time,
) -> OnnxEncoder:
    """The encoder of ``config`` in whichever arithmetic is faster here (see the module).

    A model with no int8 products (a float32 file) is simply loaded as it is. ``clock`` defaults
    to this process's CPU time, so other work on the machine does not sway the choice.
    """
    encoders: dict[str, OnnxEncoder] = {
        "int8": OnnxEncoder(config.model_copy(update={"precision": "int8"}))
    }
    try:
        encoders["float32"] = OnnxEncoder(config.model_copy(update={"precision": "float32"}))
    except ConfigurationError as exc:
        log.info("encoder runs as stored: %s", exc)
    median = _median_ms(encoders, SAMPLE_TEXTS, rounds, clock)
    selection = PrecisionChoice(chosen=choose(median, margin), median_ms=median, margin=margin)
    encoder = encoders[selection.chosen]
    encoder.selection = selection
    log.info(selection.describe())
    return encoder
