"""Where one customer sentence's encoder CPU goes: tokenising, the onnxruntime run, the pooling.

    .venv/bin/python benchmarks/encoder_cost.py --rounds 300

Prints, for the shipped encoder (int8 unless ``--precision float32``), the median CPU
microseconds (``time.thread_time``, so other processes do not count) of each part of
``encode_with_states`` (the turn's call) on a few customer sentences, interleaved, and the run
alone for inputs of 2 to 128 tokens: the run's cost at 2 tokens is what every sentence pays
whatever its length (reading the weights), the slope what each further token adds.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from warmline.nlu.embeddings import EncoderConfig, OnnxEncoder, _pool  # noqa: E402

TEXTS = (
    "where is my reservation 4WQ150?",
    "I need to cancel my bag",
    "cancel reservation 4WQ150 because my plans changed",
    "This is the THIRD time I ask!!! Where is my reservation 4WQ150?",
    "my vacuum cleaner arrived broken",
    "this is ridiculous, I have asked three times already",
)
LENGTHS = (2, 8, 16, 32, 64, 128)


def median_us(samples: list[int]) -> float:
    return float(np.median(samples)) / 1e3


def feeds_of(encoder: OnnxEncoder, ids: list[int]) -> dict[str, Any]:
    row = np.array([ids], dtype=np.int64)
    feeds = {"input_ids": row, "attention_mask": np.ones_like(row)}
    if "token_type_ids" in {i.name for i in encoder._session.get_inputs()}:
        feeds["token_type_ids"] = np.zeros_like(row)
    return feeds


def parts(encoder: OnnxEncoder, rounds: int) -> dict[str, float]:
    """Median CPU of each part of one sentence's encoding, over ``TEXTS`` and ``rounds``."""
    names = encoder._output_names
    encodings = {t: encoder._tokenizer.encode(t) for t in TEXTS}
    feeds = {t: feeds_of(encoder, encodings[t].ids) for t in TEXTS}
    outputs = {t: encoder._session.run(names, feeds[t]) for t in TEXTS}
    steps: dict[str, Callable[[str], Any]] = {
        "tokenise": lambda t: encoder._tokenizer.encode(t),
        "onnxruntime run": lambda t: encoder._session.run(names, feeds[t]),
        "pooling": lambda t: _pool(outputs[t], feeds[t]["attention_mask"]),
        "whole encode_with_states": lambda t: encoder.encode_with_states(t, names[-1]),
    }
    samples: dict[str, list[int]] = {name: [] for name in steps}
    for _ in range(rounds):
        for text in TEXTS:
            for name, step in steps.items():
                start = time.thread_time_ns()
                step(text)
                samples[name].append(time.thread_time_ns() - start)
    return {name: median_us(values) for name, values in samples.items()}


def by_length(encoder: OnnxEncoder, rounds: int) -> dict[int, float]:
    rng = np.random.default_rng(0)
    names = encoder._output_names
    feeds = {
        n: feeds_of(encoder, [101, *rng.integers(1000, 20000, n - 2).tolist(), 102])
        for n in LENGTHS
    }
    samples: dict[int, list[int]] = {n: [] for n in LENGTHS}
    for _ in range(max(rounds // 5, 10)):
        for n in LENGTHS:
            start = time.thread_time_ns()
            encoder._session.run(names, feeds[n])
            samples[n].append(time.thread_time_ns() - start)
    return {n: median_us(values) for n, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--precision", choices=("int8", "float32"), default="int8")
    args = parser.parse_args(argv)
    encoder = OnnxEncoder(EncoderConfig(precision=args.precision))
    for text in TEXTS:  # warm-up: the first runs allocate
        encoder.encode_with_states(text, encoder._output_names[-1])
    tokens = [len(encoder._tokenizer.encode(t).ids) for t in TEXTS]
    print(f"encoder {encoder.name}; {len(TEXTS)} sentences of {min(tokens)}-{max(tokens)} tokens")
    print("\n| part of one sentence's encoding | median CPU us |\n|---|---|")
    for name, value in parts(encoder, args.rounds).items():
        print(f"| {name} | {value:.1f} |")
    print("\n| tokens | onnxruntime run, median CPU us |\n|---|---|")
    for n, value in by_length(encoder, args.rounds).items():
        print(f"| {n} | {value:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
