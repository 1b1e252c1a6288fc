"""The sentence encoder in each arithmetic on this CPU: what ``precision=auto`` measures at start,
with more rounds, and which it would keep.

    .venv/bin/python benchmarks/encoder_precision.py --rounds 100

Prints the CPU's model and the flags that decide int8's speed (avx2, avx512f, avx512_vnni,
avx_vnni, amx_int8), then per arithmetic the median and 90th percentile CPU milliseconds of
one ``encode`` of each sample sentence (interleaved, after a warm-up), and the choice.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from warmline.nlu.embeddings import EncoderConfig, OnnxEncoder  # noqa: E402
from warmline.nlu.precision import SAMPLE_TEXTS, choose  # noqa: E402

FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def cpu() -> tuple[str, list[str]]:
    """The CPU's model name and which of ``FLAGS`` it has (Linux /proc/cpuinfo)."""
    try:
        info = Path("/proc/cpuinfo").read_text("utf-8")
    except OSError:
        return platform.processor() or "unknown", []
    model = next(
        (line.split(":", 1)[1].strip() for line in info.splitlines() if "model name" in line),
        "unknown",
    )
    flags = next(
        (line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")),
        [],
    )
    return model, [f for f in FLAGS if f in flags]


def measure(rounds: int) -> dict[str, list[float]]:
    encoders = {p: OnnxEncoder(EncoderConfig(precision=p)) for p in ("int8", "float32")}
    for encoder in encoders.values():
        encoder.encode(list(SAMPLE_TEXTS))
    samples: dict[str, list[float]] = {name: [] for name in encoders}
    for _ in range(rounds):
        for text in SAMPLE_TEXTS:
            for name, encoder in encoders.items():
                start = time.process_time()
                encoder.encode([text])
                samples[name].append(1000.0 * (time.process_time() - start))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    model, flags = cpu()
    print(f"CPU: {model}; flags: {', '.join(flags) or 'none of ' + ', '.join(FLAGS)}")
    samples = measure(args.rounds)
    print("| arithmetic | CPU ms p50 | p90 |")
    print("|---|---|---|")
    for name, values in samples.items():
        print(f"| {name} | {np.median(values):.2f} | {np.percentile(values, 90):.2f} |")
    medians = {name: float(np.median(values)) for name, values in samples.items()}
    print(f"precision=auto keeps: {choose(medians, margin=0.8)}")


if __name__ == "__main__":
    main()
