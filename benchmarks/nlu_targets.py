"""The shipped intent classifier against the NLU engine's remaining targets: 10-shot BANKING77,
robustness to keyboard typos, one-sentence latency, batched throughput and peak memory.

Everything goes through the code users run (``IntentClassifier`` with its default
configuration, ``IntentModel.load`` / ``predict`` on a folder written by ``warmline nlu train``).

Usage (repository root, project venv active; the two model folders come from the commands in
BENCHMARKS.md)::

    python benchmarks/nlu_targets.py fewshot                       # ~3 min
    python benchmarks/nlu_targets.py typos --model /tmp/b77full    # ~1 min
    python benchmarks/nlu_targets.py speed --model /tmp/b77full    # ~1 min

Typos: about ``--rate`` of the words (letters only, two or more) get one keyboard slip:
neighbouring-key substitution, deletion, neighbouring-key insertion or transposition, uniformly;
seeded, so the typo set is the same on every run (``warmline.nlu.typos``; training copies use
another seed).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from warmline.nlu.embeddings import EncoderConfig, load_encoder  # noqa: E402
from warmline.nlu.intents import IntentClassifier  # noqa: E402
from warmline.nlu.typos import typo_set  # noqa: E402
from warmline.services.training import IntentModel  # noqa: E402

PRECISION = ["int8"]
"""The encoder arithmetic measured (``--precision``)."""


def banking(root: Path, split: str) -> tuple[list[str], list[str]]:
    with (root / "banking77" / f"{split}.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def fewshot(root: Path, shots: int, seeds: int) -> None:
    train_texts, train_labels = banking(root, "train")
    test_texts, test_labels = banking(root, "test")
    encoder = load_encoder(EncoderConfig(threads=2, precision=PRECISION[0]))
    test_emb = encoder.encode(test_texts)
    labels = np.array(train_labels)
    accs = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        idx = np.concatenate(
            [
                rng.choice(np.flatnonzero(labels == k), shots, replace=False)
                for k in sorted(set(train_labels))
            ]
        )
        started = time.perf_counter()
        model = IntentClassifier(encoder).fit(
            [train_texts[i] for i in idx], [train_labels[i] for i in idx]
        )
        probs = model.probabilities(test_emb, test_texts)
        predicted = np.array(model.classes)[probs.argmax(axis=1)]
        acc = float(np.mean(predicted == np.array(test_labels)))
        accs.append(acc)
        print(
            f"seed {seed}: {shots} per intent ({len(idx)} rows), accuracy {100 * acc:.2f} %, "
            f"trained in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    print(
        f"BANKING77 {shots}-shot, {seeds} seeds: mean {100 * np.mean(accs):.2f} %, "
        f"std {100 * np.std(accs):.2f}"
    )


def accuracy(model: IntentModel, texts: list[str], gold: list[str]) -> float:
    predicted = [p.intent for p in model.predict(texts)]
    return float(np.mean([p == g for p, g in zip(predicted, gold, strict=True)]))


def typos(root: Path, model_dir: Path, rate: float, seed: int) -> None:
    texts, gold = banking(root, "test")
    model = IntentModel.load(
        model_dir, load_encoder(EncoderConfig(threads=2, precision=PRECISION[0]))
    )
    clean = accuracy(model, texts, gold)
    noisy_texts = typo_set(texts, rate, seed)
    changed = sum(a != b for a, b in zip(texts, noisy_texts, strict=True))
    noisy = accuracy(model, noisy_texts, gold)
    print(f"clean accuracy {100 * clean:.2f} %")
    print(
        f"with typos in ~{rate:.0%} of words ({changed} of {len(texts)} sentences touched): "
        f"{100 * noisy:.2f} %; drop {100 * (clean - noisy):.2f} points"
    )


def speed(root: Path, model_dir: Path) -> None:
    from threadpoolctl import threadpool_limits

    texts, _ = banking(root, "test")
    with threadpool_limits(1):
        model = IntentModel.load(
            model_dir, load_encoder(EncoderConfig(threads=1, precision=PRECISION[0]))
        )
        for text in texts[:20]:
            list(model.predict([text]))
        times = []
        for text in texts[20:1020]:
            started = time.perf_counter()
            list(model.predict([text]))
            times.append(time.perf_counter() - started)
    ms = 1000 * np.array(times)
    print(
        f"one sentence, 1 thread (clean, encode, rank, zone), {len(ms)} sentences: "
        f"p50 {np.median(ms):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms, "
        f"p99 {np.percentile(ms, 99):.2f} ms"
    )
    batched = IntentModel.load(
        model_dir, load_encoder(EncoderConfig(threads=2, precision=PRECISION[0]))
    )
    list(batched.predict(texts[:64]))
    started = time.perf_counter()
    list(batched.predict(texts, batch=256))
    seconds = time.perf_counter() - started
    print(f"batched, 2 threads, batches of 256: {len(texts) / seconds:.0f} sentences/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (both models loaded): {peak:.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("section", choices=["fewshot", "typos", "speed"])
    parser.add_argument("--precision", choices=("int8", "float32"), default="int8")
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--model", type=Path, help="folder written by warmline nlu train")
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    PRECISION[0] = args.precision
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    if args.section == "fewshot":
        fewshot(args.datasets, args.shots, args.seeds)
    elif args.model is None:
        parser.error(f"{args.section} needs --model")
    elif args.section == "typos":
        typos(args.datasets, args.model, args.rate, args.seed)
    else:
        speed(args.datasets, args.model)


if __name__ == "__main__":
    main()
