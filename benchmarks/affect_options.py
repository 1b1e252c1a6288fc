"""First options study for the affect detector: how far the shipped encoder plus a linear head
gets on GoEmotions, before any affect code ships.

Groups (GoEmotions paper's sentiment grouping, and the project's frustration group):

* positive: admiration, amusement, approval, caring, desire, excitement, gratitude, joy, love,
  optimism, pride, relief
* negative: anger, annoyance, disappointment, disapproval, disgust, embarrassment, fear, grief,
  nervousness, remorse, sadness
* ambiguous: confusion, curiosity, realization, surprise
* neutral: neutral
* frustration: anger, annoyance, disappointment, disapproval

Heads: one-vs-rest logistic regression per group (multi-label, as in the paper) on the
embedding alone, and on the embedding beside TF-IDF word 1-2-grams and character 2-5-grams
(which carry swearing, "!!!" and capitals). Each group's decision threshold is chosen on a 20 %
split of train (best F1), then applied to dev. Per-label F1 for anger, annoyance,
disappointment and confusion use the same head over the 28 labels.

``--mlp`` adds a one-hidden-layer network (512 units, early stopping) over the embedding, all
targets at once, thresholds chosen the same way (about 7 more minutes).

``--per-emotion`` adds one head per GoEmotions emotion (28) on the embedding, each group scored
as the max, the noisy-or or the capped sum of its emotions' probabilities, thresholds chosen the
same way (about 2 more minutes).

Usage (repository root, project venv active; about 6 minutes on 2 cores)::

    python benchmarks/affect_options.py --datasets ../shared/datasets [--mlp]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

sys.path.insert(0, str(REPO / "scripts"))

from train_affect import best_threshold  # noqa: E402
from train_affect import read_goemotions as read_split  # noqa: E402

from warmline.nlu.affect_models import GROUPS as AFFECT_GROUPS  # noqa: E402
from warmline.nlu.embeddings import EncoderConfig, load_encoder  # noqa: E402

SEARCHED = ("positive", "negative", "ambiguous", "neutral", "frustration")
GROUPS = {g: " ".join(AFFECT_GROUPS[g]) for g in SEARCHED}  # the product's mapping
LABELS = ("anger", "annoyance", "disappointment", "confusion")
PAPER = {"anger": 0.47, "annoyance": 0.34, "disappointment": 0.28, "confusion": 0.37}


def encode(texts: list[str]) -> np.ndarray:
    encoder = load_encoder(EncoderConfig(threads=2))
    return np.vstack([encoder.encode(texts[i : i + 256]) for i in range(0, len(texts), 256)])


def fit_predict(
    x_fit: np.ndarray | sparse.csr_matrix,
    y_fit: np.ndarray,
    x_tune: np.ndarray | sparse.csr_matrix,
    y_tune: np.ndarray,
    x_dev: np.ndarray | sparse.csr_matrix,
) -> tuple[np.ndarray, float]:
    """Dev predictions of a binary head whose threshold maximises F1 on the tuning split."""
    model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
    model.fit(x_fit, y_fit)
    tune = model.predict_proba(x_tune)[:, 1]
    best = max(np.linspace(0.1, 0.9, 33), key=lambda t: f1_score(y_tune, tune >= t))
    return model.predict_proba(x_dev)[:, 1] >= best, float(best)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--mlp", action="store_true", help="also try a one-hidden-layer network")
    parser.add_argument(
        "--per-emotion", action="store_true", help="also try one head per emotion, then groups"
    )
    args = parser.parse_args(argv)
    names = (args.datasets / "goemotions" / "labels.txt").read_text("utf-8").split()
    train_texts, train_labels = read_split(args.datasets, "train")
    dev_texts, dev_labels = read_split(args.datasets, "dev")
    started = time.perf_counter()
    emb_train, emb_dev = encode(train_texts), encode(dev_texts)
    print(
        f"encoded {len(train_texts)} + {len(dev_texts)} texts in {time.perf_counter() - started:.0f} s"
    )
    grams = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        sublinear_tf=True,
        max_features=200_000,
        lowercase=False,
    )
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    g_train = sparse.hstack(
        [grams.fit_transform(train_texts), words.fit_transform(train_texts)]
    ).tocsr()
    g_dev = sparse.hstack([grams.transform(dev_texts), words.transform(dev_texts)]).tocsr()
    views = {
        "embedding": (emb_train, emb_dev),
        "embedding + n-grams": (
            sparse.hstack([sparse.csr_matrix(emb_train * 3.0), g_train]).tocsr(),
            sparse.hstack([sparse.csr_matrix(emb_dev * 3.0), g_dev]).tocsr(),
        ),
    }
    rng = np.random.default_rng(0)
    tune = rng.random(len(train_texts)) < 0.2
    fit_rows, tune_rows = np.flatnonzero(~tune), np.flatnonzero(tune)
    targets = {g: set(v.split()) for g, v in GROUPS.items()} | {lab: {lab} for lab in LABELS}
    for view, (x_train, x_dev) in views.items():
        scores = {}
        for name, members in targets.items():
            y = np.array([bool(labels & members) for labels in train_labels])
            y_dev = np.array([bool(labels & members) for labels in dev_labels])
            predicted, _ = fit_predict(
                x_train[fit_rows], y[fit_rows], x_train[tune_rows], y[tune_rows], x_dev
            )
            scores[name] = f1_score(y_dev, predicted)
        sentiment = np.mean([scores[g] for g in ("positive", "negative", "ambiguous", "neutral")])
        print(f"\n{view}: sentiment-group macro-F1 {sentiment:.3f} (BERT 0.69)")
        for name, value in scores.items():
            anchor = f" (paper {PAPER[name]:.2f})" if name in PAPER else ""
            print(f"  {name:<15} F1 {value:.3f}{anchor}")
    if args.mlp:
        mlp(emb_train, emb_dev, train_labels, dev_labels, targets, fit_rows, tune_rows)
    if args.per_emotion:
        per_emotion(emb_train, emb_dev, train_labels, dev_labels, names, targets, tune)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


def mlp(
    x_train: np.ndarray,
    x_dev: np.ndarray,
    train_labels: list[set[str]],
    dev_labels: list[set[str]],
    targets: dict[str, set[str]],
    fit_rows: np.ndarray,
    tune_rows: np.ndarray,
) -> None:
    from sklearn.neural_network import MLPClassifier

    keys = list(targets)
    y = np.array([[bool(labels & targets[k]) for k in keys] for labels in train_labels])
    y_dev = np.array([[bool(labels & targets[k]) for k in keys] for labels in dev_labels])
    model = MLPClassifier(
        hidden_layer_sizes=(512,), alpha=1e-3, early_stopping=True, max_iter=60, random_state=0
    ).fit(x_train[fit_rows], y[fit_rows])
    tune, dev = model.predict_proba(x_train[tune_rows]), model.predict_proba(x_dev)
    scores = {}
    for j, name in enumerate(keys):
        best = best_threshold(tune[:, j], y[tune_rows][:, j])
        scores[name] = f1_score(y_dev[:, j], dev[:, j] >= best)
    sentiment = np.mean([scores[g] for g in ("positive", "negative", "ambiguous", "neutral")])
    print(f"\nMLP on the embedding: sentiment-group macro-F1 {sentiment:.3f} (BERT 0.69)")
    for name, value in scores.items():
        print(f"  {name:<15} F1 {value:.3f}")


def per_emotion(
    x_train: np.ndarray,
    x_dev: np.ndarray,
    train_labels: list[set[str]],
    dev_labels: list[set[str]],
    names: list[str],
    targets: dict[str, set[str]],
    tune: np.ndarray,
) -> None:
    y = np.array([[n in labels for n in names] for labels in train_labels])
    y_dev = np.array([[n in labels for n in names] for labels in dev_labels])
    p_tune, p_dev = np.zeros((tune.sum(), len(names))), np.zeros((len(x_dev), len(names)))
    for j in range(len(names)):
        model = LogisticRegression(C=4.0, max_iter=3000).fit(x_train[~tune], y[~tune, j])
        p_tune[:, j] = model.predict_proba(x_train[tune])[:, 1]
        p_dev[:, j] = model.predict_proba(x_dev)[:, 1]
    combine = {
        "max": lambda p: p.max(axis=1),
        "noisy-or": lambda p: 1 - np.prod(1 - p, axis=1),
        "sum": lambda p: np.minimum(p.sum(axis=1), 1.0),
    }
    for how, fn in combine.items():
        scores = {}
        for name, members in targets.items():
            idx = [names.index(m) for m in members]
            truth_tune = y[tune][:, idx].any(axis=1)
            s_tune, s_dev = fn(p_tune[:, idx]), fn(p_dev[:, idx])
            best = best_threshold(s_tune, truth_tune)
            scores[name] = f1_score(y_dev[:, idx].any(axis=1), s_dev >= best)
        sentiment = np.mean([scores[g] for g in ("positive", "negative", "ambiguous", "neutral")])
        print(f"\nper-emotion heads, groups by {how}: sentiment-group macro-F1 {sentiment:.3f}")
        for name, value in scores.items():
            print(f"  {name:<15} F1 {value:.3f}")


if __name__ == "__main__":
    main()
