"""Build-time training of the linear affect model: a logistic head per target on the pooled
embedding (the shipped model is the fine-tuned tail of ``train_affect_tail.py``; this one needs
no torch and trains in minutes, for an encoder without a tail).

Reads GoEmotions (``labels.txt``, ``train.tsv``; lines ``text<TAB>label ids<TAB>comment id``),
embeds every comment with the shipped encoder, and fits one logistic regression per target of
``warmline.nlu.affect.GROUPS`` (a comment is positive for a target when any of its emotions is
in the target's group). A fixed fifth of train (``numpy.random.default_rng(0)``) is held out:
Platt scaling per target and each target's best-F1 threshold are fitted on it. Dev is never
seen. Writes ``head.npz`` (float32 weights, no pickle) and ``affect.json`` (kind ``linear``).

Run from the repository root (project venv; about 3 minutes on 2 cores, most of it encoding)::

    python scripts/train_affect.py --datasets ../shared/datasets --out var/affect-linear

``--encoder-dir`` trains for another encoder folder (see docs/encoder.md); ``--cache FILE.npz``
keeps the embeddings for the next run. Use the result with ``WARMLINE_AFFECT_DIR``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from warmline.nlu.affect_models import GROUPS, LinearAffectModel  # noqa: E402
from warmline.nlu.embeddings import Encoder, EncoderConfig, load_encoder  # noqa: E402

C = 4.0
TUNE_SHARE = 0.2


def read_goemotions(root: Path, split: str) -> tuple[list[str], list[set[str]]]:
    names = (root / "goemotions" / "labels.txt").read_text("utf-8").split()
    texts, labels = [], []
    for line in (root / "goemotions" / f"{split}.tsv").read_text("utf-8").splitlines():
        text, ids, _ = line.split("\t")
        texts.append(text)
        labels.append({names[int(i)] for i in ids.split(",")})
    return texts, labels


def embed(encoder: Encoder, texts: list[str], cache: Path | None) -> np.ndarray:
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            if str(data["encoder"]) == encoder.name and len(data["x"]) == len(texts):
                return np.asarray(data["x"])
    x = np.vstack([encoder.encode(texts[i : i + 256]) for i in range(0, len(texts), 256)])
    if cache is not None:
        np.savez(cache, x=x, encoder=np.array(encoder.name))
    return x


def targets_matrix(labels: list[set[str]], targets: list[str]) -> np.ndarray:
    return np.array([[bool(lab & set(GROUPS[t])) for t in targets] for lab in labels])


def platt(logits: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(logits[:, None], truth)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def best_threshold(probs: np.ndarray, truth: np.ndarray) -> float:
    grid = np.linspace(0.05, 0.9, 35)
    return float(max(grid, key=lambda t: f1_score(truth, probs >= t, zero_division=0.0)))


def train(x: np.ndarray, y: np.ndarray, targets: list[str], encoder_name: str) -> LinearAffectModel:
    tune = np.random.default_rng(0).random(len(x)) < TUNE_SHARE
    weight = np.zeros((x.shape[1], len(targets)))
    bias, scale, shift = (np.zeros(len(targets)) for _ in range(3))
    thresholds = {}
    for j, target in enumerate(targets):
        model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
        model.fit(x[~tune], y[~tune, j])
        weight[:, j], bias[j] = model.coef_[0], model.intercept_[0]
        logits = x[tune] @ weight[:, j] + bias[j]
        scale[j], shift[j] = platt(logits, y[tune, j])
        probs = 1 / (1 + np.exp(-(scale[j] * logits + shift[j])))
        thresholds[target] = round(best_threshold(probs, y[tune, j]), 4)
        print(f"  {target:<15} threshold {thresholds[target]:.3f}", flush=True)
    meta = {
        "trained_on": "GoEmotions train (80 %); calibration and thresholds on the other 20 %",
        "c": C,
    }
    return LinearAffectModel(weight, bias, scale, shift, targets, thresholds, encoder_name, meta)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--encoder-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    encoder = load_encoder(EncoderConfig(model_dir=args.encoder_dir, threads=2))
    texts, labels = read_goemotions(args.datasets, "train")
    x = embed(encoder, texts, args.cache)
    print(f"embedded {len(texts)} comments in {time.perf_counter() - started:.0f} s", flush=True)
    targets = list(GROUPS)
    model = train(x, targets_matrix(labels, targets), targets, encoder.name)
    model.save(args.out)
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
