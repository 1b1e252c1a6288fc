"""Measure intent classifier, calibration and out-of-scope options on the frozen shipped encoder.

Usage (from the repository root, with the project venv active)::

    python benchmarks/nlu_options.py                       # every section, Markdown to stdout
    python benchmarks/nlu_options.py --sections encode     # only fill the embedding cache
    python benchmarks/nlu_options.py --sections b77,clinc  # a subset

Sections: ``encode`` (cache every embedding), ``b77`` (BANKING77 full data: heads and features),
``fewshot`` (BANKING77 10 per intent, 5 seeds), ``typo`` (BANKING77 under keyboard typos),
``clinc`` (CLINC150 closed accuracy, calibration, out-of-scope scores and a fixed threshold),
``speed`` (training time on BANKING77 full and one-sentence latency, 1 thread), ``final``
(the recommended design against every target).

Embeddings come from ``warmline.nlu.embeddings.load_encoder()`` (MiniLM int8 ONNX, untouched) and
are cached as ``.npy`` under ``--cache`` (default ``/tmp/warmline-nlu-cache``), keyed by the
encoder name and a hash of the texts, so each set is encoded once.

Typos: ``add_typos`` changes about ``rate`` of the words (letters only, length >= 2) with one of
neighbouring-key substitution, deletion, neighbouring-key insertion or transposition, chosen
uniformly; a fixed seed makes the typo sets reproducible.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.special import log_softmax, logsumexp, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelEncoder
from sklearn.svm import LinearSVC

warnings.filterwarnings("ignore", category=ConvergenceWarning)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from warmline.nlu.embeddings import EncoderConfig, load_encoder  # noqa: E402
from warmline.nlu.typos import typo_set  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


@dataclass
class Split:
    texts: list[str]
    labels: list[str]


def load_banking(root: Path) -> tuple[Split, Split]:
    def read(name: str) -> Split:
        with (root / "banking77" / name).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return Split([r["text"] for r in rows], [r["category"] for r in rows])

    return read("train.csv"), read("test.csv")


def load_clinc(root: Path) -> dict[str, Split]:
    data = json.loads((root / "clinc150" / "data_full.json").read_text("utf-8"))
    return {k: Split([t for t, _ in v], [lab for _, lab in v]) for k, v in data.items()}


# ---------------------------------------------------------------------------------------------
# Embedding cache
# ---------------------------------------------------------------------------------------------


class Embedder:
    def __init__(self, cache: Path, threads: int = 2) -> None:
        self.cache = cache
        self.cache.mkdir(parents=True, exist_ok=True)
        self.encoder = load_encoder(EncoderConfig(threads=threads))
        self.encoded = 0
        self.seconds = 0.0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        key = hashlib.sha256(("\x00".join([self.encoder.name, *texts])).encode()).hexdigest()[:24]
        path = self.cache / f"{key}.npy"
        if path.is_file():
            return np.load(path)
        start = time.perf_counter()
        emb = self.encoder.encode(list(texts))
        self.seconds += time.perf_counter() - start
        self.encoded += len(texts)
        np.save(path, emb)
        return emb


# ---------------------------------------------------------------------------------------------
# Features and heads
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatSpec:
    """Weighted horizontal stack of the embedding and TF-IDF blocks (each block has unit L2 rows)."""

    emb: float = 1.0
    word: float = 0.0
    char: float = 0.0
    char_ngrams: tuple[int, int] = (2, 5)


class Features:
    def __init__(self, spec: FeatSpec) -> None:
        self.spec = spec
        self.word = (
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)
            if spec.word
            else None
        )
        self.char = (
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=spec.char_ngrams, sublinear_tf=True, min_df=2
            )
            if spec.char
            else None
        )

    def _stack(
        self, texts: Sequence[str], emb: np.ndarray, fit: bool
    ) -> np.ndarray | sp.csr_matrix:
        blocks: list = []
        if self.spec.emb:
            blocks.append(emb * self.spec.emb)
        for vec, w in ((self.word, self.spec.word), (self.char, self.spec.char)):
            if vec is not None:
                m = vec.fit_transform(texts) if fit else vec.transform(texts)
                blocks.append(m * w)
        if len(blocks) == 1 and isinstance(blocks[0], np.ndarray):
            return blocks[0]
        return sp.hstack(
            [sp.csr_matrix(b) if isinstance(b, np.ndarray) else b for b in blocks]
        ).tocsr()

    def fit_transform(self, texts: Sequence[str], emb: np.ndarray):
        return self._stack(texts, emb, True)

    def transform(self, texts: Sequence[str], emb: np.ndarray):
        return self._stack(texts, emb, False)


@dataclass(frozen=True)
class HeadSpec:
    kind: str  # lr | svc | mlp | centroid
    c: float = 1.0
    hidden: int = 512
    alpha: float = 1e-4


class Pipeline:
    """Features + head; ``logits`` returns raw scores (n, K) over ``self.classes``."""

    def __init__(self, feat: FeatSpec, head: HeadSpec, seed: int = 0) -> None:
        self.feat_spec, self.head_spec, self.seed = feat, head, seed

    def fit(self, texts: Sequence[str], emb: np.ndarray, y: np.ndarray) -> Pipeline:
        self.features = Features(self.feat_spec)
        x = self.features.fit_transform(texts, emb)
        h = self.head_spec
        self.classes = np.unique(y)
        if h.kind == "lr":
            self.model = LogisticRegression(C=h.c, max_iter=3000, random_state=self.seed).fit(x, y)
        elif h.kind == "svc":
            self.model = LinearSVC(C=h.c, random_state=self.seed).fit(x, y)
        elif h.kind == "mlp":
            self.model = MLPClassifier(
                hidden_layer_sizes=(h.hidden,),
                alpha=h.alpha,
                max_iter=60,
                early_stopping=False,
                random_state=self.seed,
            ).fit(x, y)
        elif h.kind == "centroid":
            xd = x.toarray() if sp.issparse(x) else x
            cent = np.stack([xd[y == k].mean(axis=0) for k in self.classes])
            self.model = cent / np.linalg.norm(cent, axis=1, keepdims=True)
        else:
            raise ValueError(h.kind)
        return self

    def logits(self, texts: Sequence[str], emb: np.ndarray) -> np.ndarray:
        x = self.features.transform(texts, emb)
        if self.head_spec.kind == "centroid":
            xd = x.toarray() if sp.issparse(x) else x
            xd = xd / np.maximum(np.linalg.norm(xd, axis=1, keepdims=True), 1e-12)
            return 20.0 * (xd @ self.model.T)  # cosine x a fixed scale; temperature refits it
        if self.head_spec.kind == "mlp":
            return np.log(np.clip(self.model.predict_proba(x), 1e-12, 1.0))
        return self.model.decision_function(x)


class Fusion:
    """Late fusion: w * softmax(a) + (1 - w) * softmax(b); logits are the log of the mixture."""

    def __init__(self, a: Pipeline, b: Pipeline, w: float) -> None:
        self.a, self.b, self.w = a, b, w

    def fit(self, texts, emb, y):
        self.a.fit(texts, emb, y)
        self.b.fit(texts, emb, y)
        self.classes = self.a.classes
        return self

    def logits(self, texts, emb):
        p = self.w * softmax(self.a.logits(texts, emb), axis=1) + (1 - self.w) * softmax(
            self.b.logits(texts, emb), axis=1
        )
        return np.log(np.clip(p, 1e-12, 1.0))


# ---------------------------------------------------------------------------------------------
# Calibration and metrics
# ---------------------------------------------------------------------------------------------


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising the NLL of softmax(logits / T) (golden-section search on log T)."""

    def nll(log_t: float) -> float:
        return float(-log_softmax(logits / np.exp(log_t), axis=1)[np.arange(len(y)), y].mean())

    lo, hi = np.log(1e-3), np.log(1e3)
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(b)
    return float(np.exp((lo + hi) / 2))


def ece(conf: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(total)


def reliability_table(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> str:
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    rows = ["| confidence bin | n | mean confidence | accuracy |", "|---|---|---|---|"]
    for b in range(bins):
        m = idx == b
        if m.any():
            rows.append(
                f"| {edges[b]:.1f}-{edges[b + 1]:.1f} | {int(m.sum())} | {conf[m].mean():.3f} | "
                f"{correct[m].mean():.3f} |"
            )
    return "\n".join(rows)


def cv_logits(
    make: Callable[[], object], texts, emb, y, folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Out-of-fold logits (cross_val_predict by hand, so every head and fusion works)."""
    out = np.zeros((len(y), len(np.unique(y))), dtype=np.float64)
    texts = np.asarray(texts, dtype=object)
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(emb, y):
        m = make().fit(list(texts[tr]), emb[tr], y[tr])
        out[te] = m.logits(list(texts[te]), emb[te])
    return out


def fpr_at_95_tpr(in_scores: np.ndarray, oos_scores: np.ndarray) -> float:
    """Higher score = more out-of-scope. Positive class = in-scope; threshold keeps 95 % of
    in-scope accepted; returns the fraction of out-of-scope also accepted (Hendrycks' FPR@95)."""
    t = np.quantile(in_scores, 0.95)
    return float((oos_scores <= t).mean())


def pct(x: float) -> str:
    return f"{100 * x:.2f}"


def md_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def describe(feat: FeatSpec, head: HeadSpec) -> str:
    parts = []
    if feat.emb:
        parts.append(f"emb x{feat.emb:g}")
    if feat.word:
        parts.append(f"word1-2 x{feat.word:g}")
    if feat.char:
        parts.append(f"char{feat.char_ngrams[0]}-{feat.char_ngrams[1]} x{feat.char:g}")
    h = head.kind + (f" C={head.c:g}" if head.kind in ("lr", "svc") else "")
    if head.kind == "mlp":
        h += f" h={head.hidden} a={head.alpha:g}"
    return " + ".join(parts) + " / " + h


# ---------------------------------------------------------------------------------------------
# Designs, data context
# ---------------------------------------------------------------------------------------------

TYPO_RATE = 0.10
TYPO_TEST_SEED = 1234
TYPO_TRAIN_SEED = 99


@dataclass(frozen=True)
class Design:
    feat: FeatSpec
    head: HeadSpec
    aug: bool = False  # add one typo copy (TYPO_RATE, TYPO_TRAIN_SEED) of every training text

    def label(self) -> str:
        return describe(self.feat, self.head) + (" + typo-aug" if self.aug else "")


EMB_LR = Design(FeatSpec(), HeadSpec("lr", c=20.0))  # today's classifier
RECOMMENDED = Design(FeatSpec(emb=2.0, word=1.0, char=1.0), HeadSpec("svc", c=0.5), aug=True)


class Data:
    """A labelled set with cached embeddings and (lazily) its typo copy."""

    def __init__(self, embed: Embedder, split: Split, le: LabelEncoder | None = None) -> None:
        self.embed = embed
        self.texts = list(split.texts)
        self.labels = list(split.labels)
        self.emb = embed(self.texts)
        self.y = le.transform(self.labels) if le is not None else None
        self._typo: tuple[list[str], np.ndarray] | None = None

    def typo(self, seed: int) -> tuple[list[str], np.ndarray]:
        if self._typo is None or self._typo[0] is None:
            t = typo_set(self.texts, TYPO_RATE, seed)
            self._typo = (t, self.embed(t))
        return self._typo

    def subset(self, idx: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
        return [self.texts[i] for i in idx], self.emb[idx], self.y[idx]


def training_set(data: Data, idx: np.ndarray | None, aug: bool):
    idx = np.arange(len(data.texts)) if idx is None else idx
    texts, emb, y = data.subset(idx)
    if aug:
        tt, te = data.typo(TYPO_TRAIN_SEED)
        texts = texts + [tt[i] for i in idx]
        emb = np.vstack([emb, te[idx]])
        y = np.concatenate([y, y])
    return texts, emb, y


def fit_design(
    design: Design, data: Data, idx: np.ndarray | None = None, seed: int = 0
) -> Pipeline:
    texts, emb, y = training_set(data, idx, design.aug)
    return Pipeline(design.feat, design.head, seed).fit(texts, emb, y)


def oof_logits(design: Design, data: Data, folds: int = 5) -> np.ndarray:
    """Out-of-fold logits on the clean training texts; typo copies of the held-out fold are kept
    out of its training folds."""
    out = np.zeros((len(data.y), len(np.unique(data.y))))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(data.emb, data.y):
        model = fit_design(design, data, tr)
        out[te] = model.logits([data.texts[i] for i in te], data.emb[te])
    return out


RESULTS: dict[str, object] = {}


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------


def accuracy(model, texts, emb, y) -> float:
    return float((model.logits(texts, emb).argmax(axis=1) == y).mean())


TFIDF = FeatSpec(emb=0.0, word=1.0, char=1.0)


def b77_designs() -> list[Design]:
    """The designs compared on BANKING77 full data, in table order."""
    return [
        Design(FeatSpec(), HeadSpec("lr", c=5.0)),
        EMB_LR,
        Design(FeatSpec(), HeadSpec("lr", c=100.0)),
        Design(FeatSpec(), HeadSpec("svc", c=1.0)),
        Design(FeatSpec(), HeadSpec("centroid")),
        Design(FeatSpec(), HeadSpec("mlp", hidden=512, alpha=1e-3)),
        Design(TFIDF, HeadSpec("lr", c=20.0)),
        Design(TFIDF, HeadSpec("svc", c=1.0)),
        Design(FeatSpec(emb=1.0, word=1.0, char=1.0), HeadSpec("svc", c=1.0)),
        Design(FeatSpec(emb=2.0, word=1.0, char=1.0), HeadSpec("svc", c=1.0)),
        Design(FeatSpec(emb=3.0, word=1.0, char=1.0), HeadSpec("svc", c=1.0)),
        Design(FeatSpec(emb=2.0, word=1.0, char=1.0), HeadSpec("svc", c=0.5)),
        Design(FeatSpec(emb=2.0, word=0.5, char=1.0), HeadSpec("svc", c=0.5)),
        Design(FeatSpec(emb=2.0, word=1.0, char=1.0, char_ngrams=(1, 4)), HeadSpec("svc", c=0.5)),
        Design(FeatSpec(emb=2.0, word=1.0, char=1.0), HeadSpec("lr", c=20.0)),
        Design(EMB_LR.feat, EMB_LR.head, aug=True),
        Design(FeatSpec(emb=2.0, word=1.0, char=1.5), HeadSpec("svc", c=0.5), aug=True),
        RECOMMENDED,
    ]


@dataclass
class B77Eval:
    """What every BANKING77 full-data row is measured on: train with its 85/15 tuning split,
    the test set and its typo copy."""

    train: Data
    test: Data
    typo_texts: list[str]
    typo_emb: np.ndarray
    fit_idx: np.ndarray
    hold: tuple[list[str], np.ndarray, np.ndarray]  # texts, embeddings, labels held out

    def test_accuracies(self, model) -> tuple[float, float]:
        """Accuracy on the clean test set and on its typo copy."""
        acc = accuracy(model, self.test.texts, self.test.emb, self.test.y)
        t_acc = accuracy(model, self.typo_texts, self.typo_emb, self.test.y)
        return acc, t_acc


def b77_eval(ctx: dict) -> B77Eval:
    """Tuning split: 85 % of train to fit, 15 % held out (per intent, seed 0); the test set is
    only reported."""
    train: Data = ctx["b77_train"]
    test: Data = ctx["b77_test"]
    tt, te = test.typo(TYPO_TEST_SEED)
    rng = np.random.default_rng(0)
    hold = np.zeros(len(train.y), dtype=bool)
    for k in np.unique(train.y):
        idx = np.flatnonzero(train.y == k)
        hold[rng.choice(idx, size=max(1, round(0.15 * len(idx))), replace=False)] = True
    fit_idx, hold_idx = np.flatnonzero(~hold), np.flatnonzero(hold)
    return B77Eval(train, test, tt, te, fit_idx, train.subset(hold_idx))


def b77_design_row(d: Design, ev: B77Eval) -> list[str]:
    """One design: hold-out accuracy (fitted on 85 %), then test and typo-test accuracy (fitted
    on all of train); records the test figures in RESULTS."""
    m_hold = fit_design(d, ev.train, ev.fit_idx)
    h_acc = accuracy(m_hold, *ev.hold)
    start = time.perf_counter()
    model = fit_design(d, ev.train)
    fit_s = time.perf_counter() - start
    acc, t_acc = ev.test_accuracies(model)
    row = [
        d.label(),
        pct(h_acc),
        pct(acc),
        pct(t_acc),
        f"{100 * (acc - t_acc):.2f}",
        f"{fit_s:.1f}",
    ]
    print(f"  b77 {row}", file=sys.stderr, flush=True)
    RESULTS[f"b77:{d.label()}"] = (acc, t_acc)
    return row


def b77_fusion_row(ev: B77Eval) -> list[str]:
    """Late fusion: emb-LR and TF-IDF-LR probabilities, weight tuned on the held-out split."""
    ht, he, hy = ev.hold
    a_hold = fit_design(EMB_LR, ev.train, ev.fit_idx)
    b_hold = fit_design(Design(TFIDF, HeadSpec("lr", c=20.0)), ev.train, ev.fit_idx)
    pa, pb = softmax(a_hold.logits(ht, he), axis=1), softmax(b_hold.logits(ht, he), axis=1)
    weights = [0.5, 0.6, 0.7, 0.8, 0.9]
    hold_acc = {w: float(((w * pa + (1 - w) * pb).argmax(1) == hy).mean()) for w in weights}
    w_best = max(weights, key=lambda w: hold_acc[w])
    start = time.perf_counter()
    fusion = Fusion(
        Pipeline(EMB_LR.feat, EMB_LR.head), Pipeline(TFIDF, HeadSpec("lr", c=20.0)), w_best
    ).fit(ev.train.texts, ev.train.emb, ev.train.y)
    fit_s = time.perf_counter() - start
    acc, t_acc = ev.test_accuracies(fusion)
    return [
        f"late fusion {w_best:g} x emb-LR(C=20) + {1 - w_best:g} x tfidf-LR(C=20) "
        f"(hold-out acc by w: {', '.join(f'{w:g}:{pct(a)}' for w, a in hold_acc.items())})",
        pct(hold_acc[w_best]),
        pct(acc),
        pct(t_acc),
        f"{100 * (acc - t_acc):.2f}",
        f"{fit_s:.1f}",
    ]


def section_b77(ctx: dict) -> None:
    """BANKING77 full data: every design of ``b77_designs`` and a late fusion."""
    ev = b77_eval(ctx)
    rows = [b77_design_row(d, ev) for d in b77_designs()]
    rows.append(b77_fusion_row(ev))
    print("\n## BANKING77, full training data (77 intents, 10,003 train / 3,080 test)\n")
    print(
        "Hold-out = 15 % of train, models fitted on the other 85 % (used to choose); test = "
        "fitted on all of train. Typo test: the test set with ~10 % of words typo'd "
        f"(seed {TYPO_TEST_SEED}). Fit time excludes encoding (embeddings cached), 2 cores.\n"
    )
    print(
        md_table(
            ["design", "hold-out acc", "test acc", "typo test acc", "typo drop (pts)", "fit s"],
            rows,
        )
    )


def section_fewshot(ctx: dict) -> None:
    train: Data = ctx["b77_train"]
    test: Data = ctx["b77_test"]
    designs = [
        Design(FeatSpec(), HeadSpec("lr", c=5.0)),
        EMB_LR,
        Design(FeatSpec(), HeadSpec("lr", c=100.0)),
        Design(FeatSpec(), HeadSpec("centroid")),
        Design(FeatSpec(), HeadSpec("svc", c=1.0)),
        Design(FeatSpec(emb=0.0, word=1.0, char=1.0), HeadSpec("svc", c=1.0)),
        Design(FeatSpec(emb=2.0, word=1.0, char=1.0), HeadSpec("svc", c=0.5)),
        Design(FeatSpec(emb=3.0, word=1.0, char=1.0), HeadSpec("svc", c=0.5)),
        Design(FeatSpec(emb=3.0, word=0.5, char=1.0), HeadSpec("svc", c=1.0)),
        RECOMMENDED,
    ]
    rows = []
    for d in designs:
        accs = []
        for seed in range(5):
            rng = np.random.default_rng(seed)
            idx = np.concatenate(
                [
                    rng.choice(np.flatnonzero(train.y == k), 10, replace=False)
                    for k in np.unique(train.y)
                ]
            )
            model = fit_design(d, train, idx)
            accs.append(accuracy(model, test.texts, test.emb, test.y))
        RESULTS[f"fewshot:{d.label()}"] = float(np.mean(accs))
        rows.append(
            [
                d.label(),
                pct(np.mean(accs)),
                f"{100 * np.std(accs):.2f}",
                " ".join(pct(a) for a in accs),
            ]
        )
        print(f"  fewshot {rows[-1]}", file=sys.stderr, flush=True)
    print("\n## BANKING77, 10 examples per intent (770 texts), 5 seeds, full test set\n")
    print(md_table(["design", "mean acc", "std", "per seed"], rows))


def choose_threshold(s_in: np.ndarray, ok_in: np.ndarray, s_oos: np.ndarray) -> float:
    """Threshold (accept when score <= t) maximising in-scope accuracy + OOS recall on val."""
    cands = np.unique(np.quantile(np.concatenate([s_in, s_oos]), np.linspace(0, 1, 801)))
    best, best_t = -1.0, float(cands[-1])
    for t in cands:
        v = (ok_in & (s_in <= t)).mean() + (s_oos > t).mean()
        if v > best:
            best, best_t = v, float(t)
    return best_t


def mahalanobis_fit(emb: np.ndarray, y: np.ndarray, shrink: float = 1e-3):
    classes = np.unique(y)
    mu = np.stack([emb[y == k].mean(axis=0) for k in classes])
    centred = emb - mu[np.searchsorted(classes, y)]
    cov = centred.T @ centred / len(y)
    cov += shrink * np.trace(cov) / cov.shape[0] * np.eye(cov.shape[0])
    prec = np.linalg.inv(cov)
    return mu, prec


def mahalanobis_score(emb: np.ndarray, mu: np.ndarray, prec: np.ndarray) -> np.ndarray:
    xp = emb @ prec
    d2 = (xp * emb).sum(1)[:, None] - 2 * xp @ mu.T + ((mu @ prec) * mu).sum(1)[None, :]
    return d2.min(axis=1)


def clinc_designs() -> list[Design]:
    """The designs compared on CLINC150, in table order."""
    return [
        EMB_LR,
        Design(FeatSpec(emb=2.0, word=1.0, char=1.0), HeadSpec("svc", c=0.5)),
        RECOMMENDED,
    ]


Scores = dict[str, dict[str, np.ndarray]]  # score name -> evaluation set -> one score per text


@dataclass
class ClincEval:
    """The CLINC150 evaluation sets, the distance scores shared by every design, and the rows of
    the three tables (closed accuracy, calibration, out-of-scope detection)."""

    ctx: dict
    train: Data
    sets: dict[str, Data]  # val, val_oos, test, test_oos (in that order)
    dist: Scores = field(default_factory=dict)  # evaluation set -> distance score name -> scores
    closed_rows: list[list[str]] = field(default_factory=list)
    cal_rows: list[list[str]] = field(default_factory=list)
    oos_rows: list[list[str]] = field(default_factory=list)


def clinc_eval(ctx: dict) -> ClincEval:
    """The sets, and distance scores on the clean training embeddings (shared by every design)."""
    c = ctx["clinc"]
    train, val, test = c["train"], c["val"], c["test"]
    oos_val, oos_test = c["oos_val"], c["oos_test"]
    le: LabelEncoder = ctx["clinc_le"]
    n_cls = len(le.classes_)
    sets = {"val": val, "val_oos": oos_val, "test": test, "test_oos": oos_test}
    ev = ClincEval(ctx, train, sets)
    mu, prec = mahalanobis_fit(train.emb, train.y)
    cent = np.stack([train.emb[train.y == k].mean(0) for k in range(n_cls)])
    cent /= np.linalg.norm(cent, axis=1, keepdims=True)

    def dist_scores(emb: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "max cosine to a training example": -(emb @ train.emb.T).max(1),
            "max cosine to a class centroid": -(emb @ cent.T).max(1),
            "Mahalanobis (shared cov)": mahalanobis_score(emb, mu, prec),
        }

    ev.dist = {k: dist_scores(d.emb) for k, d in sets.items()}
    return ev


def clinc_closed(d: Design, ev: ClincEval) -> dict[str, np.ndarray]:
    """Fit one design on train (timed), add its closed-accuracy row; its logits on every set."""
    val, test = ev.sets["val"], ev.sets["test"]
    start = time.perf_counter()
    model = fit_design(d, ev.train)
    fit_s = time.perf_counter() - start
    lg = {k: model.logits(x.texts, x.emb) for k, x in ev.sets.items()}
    acc_test = float((lg["test"].argmax(1) == test.y).mean())
    acc_val = float((lg["val"].argmax(1) == val.y).mean())
    ev.closed_rows.append([d.label(), pct(acc_val), pct(acc_test), f"{fit_s:.1f}"])
    RESULTS[f"clinc_closed:{d.label()}"] = acc_test
    return lg


def clinc_calibration(
    d: Design, ev: ClincEval, lg: dict[str, np.ndarray]
) -> tuple[float, np.ndarray, np.ndarray]:
    """Calibration rows on the in-scope test set; returns the val temperature and which test and
    val texts the design got right."""
    val, test = ev.sets["val"], ev.sets["test"]
    t_val = fit_temperature(lg["val"], val.y)
    ok_test = lg["test"].argmax(1) == test.y
    ok_val = lg["val"].argmax(1) == val.y
    conf_raw = softmax(lg["test"], axis=1).max(1)
    conf_t = softmax(lg["test"] / t_val, axis=1).max(1)
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(
        softmax(lg["val"], axis=1).max(1), ok_val.astype(float)
    )
    conf_iso = iso.predict(conf_raw)
    cal = {
        "none": conf_raw,
        f"temperature T={t_val:.3g} (val)": conf_t,
        "isotonic top-label (val)": conf_iso,
    }
    if d == RECOMMENDED or ev.ctx.get("oof_clinc_all"):
        oof = oof_logits(d, ev.train)
        t_oof = fit_temperature(oof, ev.train.y)
        cal[f"temperature T={t_oof:.3g} (5-fold OOF on train)"] = softmax(
            lg["test"] / t_oof, axis=1
        ).max(1)
    for name, conf in cal.items():
        ev.cal_rows.append(
            [
                d.label(),
                name,
                f"{ece(conf, ok_test):.4f}",
                f"{conf.mean():.3f}",
                pct(ok_test.mean()),
            ]
        )
    if d == RECOMMENDED:
        ev.ctx["clinc_reliability"] = reliability_table(conf_t, ok_test)
    return t_val, ok_test, ok_val


def zscore(scores: Scores, name: str, k: str) -> np.ndarray:
    """Score ``name`` on set ``k``, standardised by its mean and spread on val."""
    ref = scores[name]["val"]
    return (scores[name][k] - ref.mean()) / ref.std()


def clinc_oos_scores(lg: dict[str, np.ndarray], t_val: float, dist: Scores) -> Scores:
    """OOS scores (higher = more out-of-scope): from the logits, the distances, and sums of
    z-scores of pairs of them."""
    scores: Scores = {}
    for k in lg:
        p = softmax(lg[k] / t_val, axis=1)
        scores.setdefault("1 - max prob (MSP, T)", {})[k] = 1 - p.max(1)
        scores.setdefault("energy -T logsumexp(logits / T)", {})[k] = -t_val * logsumexp(
            lg[k] / t_val, axis=1
        )
        for name, s in dist[k].items():
            scores.setdefault(name, {})[k] = s
    for a, b in (
        ("1 - max prob (MSP, T)", "Mahalanobis (shared cov)"),
        ("1 - max prob (MSP, T)", "max cosine to a training example"),
        ("energy -T logsumexp(logits / T)", "Mahalanobis (shared cov)"),
    ):
        scores[f"z({a.split(' (')[0]}) + z({b.split(' (')[0]})"] = {
            k: zscore(scores, a, k) + zscore(scores, b, k) for k in lg
        }
    return scores


def add_reject_class(d: Design, ev: ClincEval, scores: Scores) -> None:
    """Trained reject class (oos_train as the 151st intent), same design: its p(oos) as a score
    (alone and z-summed with Mahalanobis) and its closed accuracy as a row."""
    val, test = ev.sets["val"], ev.sets["test"]
    rej = ev.ctx["clinc_reject"]
    start = time.perf_counter()
    rmodel = fit_design(d, rej)
    rfit = time.perf_counter() - start
    oos_id = int(np.flatnonzero(rej_le(ev.ctx).classes_ == "oos")[0])
    rl = {k: rmodel.logits(x.texts, x.emb) for k, x in ev.sets.items()}
    rl_in_val = np.delete(rl["val"], oos_id, axis=1)
    rt = fit_temperature(rl_in_val, val.y)
    rname = f"reject class p(oos) (fit {rfit:.0f} s)"
    scores[rname] = {k: softmax(rl[k] / rt, axis=1)[:, oos_id] for k in rl}
    scores["z(reject p(oos)) + z(Mahalanobis)"] = {
        k: (scores[rname][k] - scores[rname]["val"].mean()) / scores[rname]["val"].std()
        + zscore(scores, "Mahalanobis (shared cov)", k)
        for k in rl
    }
    racc = float((np.delete(rl["test"], oos_id, axis=1).argmax(1) == test.y).mean())
    ev.closed_rows.append([d.label() + " + reject class (oos_train)", "", pct(racc), f"{rfit:.1f}"])


def clinc_oos_rows(
    d: Design, ev: ClincEval, scores: Scores, ok_test: np.ndarray, ok_val: np.ndarray
) -> None:
    """One out-of-scope row per score: AUROC, AUPR, FPR@95 on test, and a threshold chosen on
    val applied to test."""
    for name, s in scores.items():
        y_oos = np.r_[np.zeros(len(s["test"])), np.ones(len(s["test_oos"]))]
        all_s = np.r_[s["test"], s["test_oos"]]
        auroc = roc_auc_score(y_oos, all_s)
        aupr = average_precision_score(y_oos, all_s)
        fpr95 = fpr_at_95_tpr(s["test"], s["test_oos"])
        t = choose_threshold(s["val"], ok_val, s["val_oos"])
        in_acc = float((ok_test & (s["test"] <= t)).mean())
        rec = float((s["test_oos"] > t).mean())
        ev.oos_rows.append(
            [
                d.label(),
                name,
                f"{auroc:.4f}",
                f"{aupr:.4f}",
                pct(fpr95),
                f"{t:.4g}",
                pct(in_acc),
                pct(rec),
            ]
        )
        RESULTS[f"clinc_oos:{d.label()}:{name}"] = (auroc, aupr, fpr95, t, in_acc, rec)


def print_clinc_tables(ev: ClincEval) -> None:
    """The three CLINC150 tables, and the reliability of the recommended design."""
    print(
        "\n## CLINC150 closed in-scope accuracy (150 intents; train 15,000, val 3,000, test 4,500)\n"
    )
    print(md_table(["design", "val acc", "test acc", "fit s"], ev.closed_rows))
    print("\n## CLINC150 calibration (in-scope test, top-label ECE with 15 bins)\n")
    print(md_table(["design", "calibration", "ECE", "mean conf", "accuracy"], ev.cal_rows))
    if "clinc_reliability" in ev.ctx:
        print(
            f"\nReliability of {RECOMMENDED.label()}, temperature from val, CLINC150 in-scope test:\n"
        )
        print(ev.ctx["clinc_reliability"])
    print("\n## CLINC150 out-of-scope detection (test: 4,500 in-scope, 1,000 OOS)\n")
    print(
        "AUROC and AUPR with OOS as the positive class. FPR@95 = fraction of OOS accepted as "
        "in-scope at the threshold that keeps 95 % of in-scope accepted (in-scope = positive, "
        "Hendrycks' definition). Threshold chosen on val (3,000 in-scope + 100 OOS) to maximise "
        "in-scope accuracy + OOS recall, then applied to test: in-scope acc counts an in-scope "
        "text as right only if accepted and correctly classified.\n"
    )
    print(
        md_table(
            [
                "design",
                "OOS score",
                "AUROC",
                "AUPR",
                "FPR@95 %",
                "threshold",
                "in-scope acc",
                "OOS recall",
            ],
            ev.oos_rows,
        )
    )


def section_clinc(ctx: dict) -> None:
    """CLINC150: closed accuracy, calibration and out-of-scope scores for each design."""
    ev = clinc_eval(ctx)
    for d in clinc_designs():
        lg = clinc_closed(d, ev)
        t_val, ok_test, ok_val = clinc_calibration(d, ev, lg)
        scores = clinc_oos_scores(lg, t_val, ev.dist)
        if d in (EMB_LR, RECOMMENDED):
            add_reject_class(d, ev, scores)
        clinc_oos_rows(d, ev, scores, ok_test, ok_val)
        print(f"  clinc done {d.label()}", file=sys.stderr, flush=True)
    print_clinc_tables(ev)


def rej_le(ctx: dict) -> LabelEncoder:
    return ctx["clinc_reject_le"]


def train_as_shipped(
    d: Design, ctx: dict, train_split: Split
) -> tuple[Pipeline, float, tuple[float, float, float, float]]:
    """Encode the training texts (and their typo copies) without the cache, fit, and fit the
    temperature on out-of-fold logits; returns the model, T and the times t0..t3."""
    le = ctx["b77_le"]
    encoder = load_encoder(EncoderConfig(threads=2))
    t0 = time.perf_counter()
    texts = list(train_split.texts)
    if d.aug:
        texts = texts + typo_set(train_split.texts, TYPO_RATE, TYPO_TRAIN_SEED)
    emb = encoder.encode(texts)
    t1 = time.perf_counter()
    y = le.transform(train_split.labels)
    y = np.concatenate([y, y]) if d.aug else y
    model = Pipeline(d.feat, d.head).fit(texts, emb, y)
    t2 = time.perf_counter()
    # Temperature from 5-fold out-of-fold logits on the clean texts (typo copies follow folds).
    oof = oof_logits(d, ctx["b77_train"])
    temp = fit_temperature(oof, ctx["b77_train"].y)
    t3 = time.perf_counter()
    return model, temp, (t0, t1, t2, t3)


def b77_test_ece(d: Design, ctx: dict, model: Pipeline, temp: float) -> tuple[float, float]:
    """Top-label ECE on the BANKING77 test set, raw and with the temperature."""
    test = ctx["b77_test"]
    lg = model.logits(test.texts, test.emb)
    ok = lg.argmax(1) == test.y
    conf = softmax(lg / temp, axis=1).max(1)
    ece_raw = ece(softmax(lg, axis=1).max(1), ok)
    ece_t = ece(conf, ok)
    if d == RECOMMENDED:
        ctx["b77_reliability"] = reliability_table(conf, ok)
        RESULTS["b77_ece"] = ece_t
    return ece_raw, ece_t


def one_sentence_latency_ms(
    ctx: dict, model: Pipeline, temp: float, texts: Sequence[str]
) -> np.ndarray:
    """One-sentence latency, 1 thread: encode + features + head + temperature softmax +
    Mahalanobis, over the first 400 texts, the first 20 not counted."""
    from threadpoolctl import threadpool_limits

    enc1 = load_encoder(EncoderConfig(threads=1))
    mu, prec = mahalanobis_fit(ctx["b77_train"].emb, ctx["b77_train"].y)
    lat = []
    with threadpool_limits(1):
        for i, text in enumerate(texts[:400]):
            s = time.perf_counter()
            e = enc1.encode([text])
            p = softmax(model.logits([text], e) / temp, axis=1)
            _ = (p.max(), mahalanobis_score(e, mu, prec))
            if i >= 20:
                lat.append(time.perf_counter() - s)
    return 1000 * np.array(lat)


def speed_row(d: Design, ctx: dict, train_split: Split, test_split: Split) -> list[str]:
    """One design: training time from raw text, calibration and latency."""
    model, temp, (t0, t1, t2, t3) = train_as_shipped(d, ctx, train_split)
    ece_raw, ece_t = b77_test_ece(d, ctx, model, temp)
    if d == RECOMMENDED:
        RESULTS["train_s"] = t3 - t0
    lat_ms = one_sentence_latency_ms(ctx, model, temp, test_split.texts)
    if d == RECOMMENDED:
        RESULTS["p50_ms"] = float(np.median(lat_ms))
    return [
        d.label(),
        f"{t1 - t0:.1f}",
        f"{t2 - t1:.1f}",
        f"{t3 - t2:.1f}",
        f"{t3 - t0:.1f}",
        f"{temp:.3g}",
        f"{ece_raw:.4f}",
        f"{ece_t:.4f}",
        f"{np.median(lat_ms):.2f}",
        f"{np.percentile(lat_ms, 95):.2f}",
    ]


def print_speed_table(ctx: dict, rows: list[list[str]]) -> None:
    """The training time, calibration and latency table, and the recommended design's
    reliability on BANKING77."""
    print(
        "\n## BANKING77 full: training time from raw text (2 cores), calibration, latency (1 thread)\n"
    )
    print(
        "encode s = embedding every training text (and its typo copy when augmented), no cache; "
        "OOF s = five extra fits for the out-of-fold temperature. ECE: 15 bins, top-label, on "
        "the BANKING77 test set. Latency: one sentence at a time, 380 sentences, onnxruntime and "
        "BLAS limited to 1 thread; includes encode, features, head, softmax and a Mahalanobis "
        "score.\n"
    )
    print(
        md_table(
            [
                "design",
                "encode s",
                "fit s",
                "OOF temp s",
                "total s",
                "T",
                "ECE raw",
                "ECE T",
                "p50 ms",
                "p95 ms",
            ],
            rows,
        )
    )
    if "b77_reliability" in ctx:
        print(f"\nReliability of {RECOMMENDED.label()}, OOF temperature, BANKING77 test:\n")
        print(ctx["b77_reliability"])


def section_speed(ctx: dict) -> None:
    """The recommended design trained from raw text as it would ship, timed; then latency."""
    root: Path = ctx["root"]
    train_split, test_split = load_banking(root)
    rows = []
    for d in (EMB_LR, RECOMMENDED):
        rows.append(speed_row(d, ctx, train_split, test_split))
        print(f"  speed {rows[-1]}", file=sys.stderr, flush=True)
    print_speed_table(ctx, rows)


def section_final(ctx: dict) -> None:
    r = RESULTS
    lab = RECOMMENDED.label()
    rows = []

    def add(target: str, key: str, fmt: Callable[[object], str]) -> None:
        rows.append([target, fmt(r[key]) if key in r else "(section not run)"])

    add("BANKING77 full acc >= 94.0", f"b77:{lab}", lambda v: pct(v[0]))
    add("BANKING77 10-shot mean of 5 seeds >= 88", f"fewshot:{lab}", pct)
    add("CLINC150 closed in-scope acc >= 96.5", f"clinc_closed:{lab}", pct)
    oos = ctx.get("final_oos_score", "z(1 - max prob) + z(max cosine to a training example)")
    add(f"CLINC150 OOS AUROC >= 0.97 ({oos})", f"clinc_oos:{lab}:{oos}", lambda v: f"{v[0]:.4f}")
    add(
        "CLINC150 fixed threshold: in-scope acc >= 95, OOS recall >= 85",
        f"clinc_oos:{lab}:{oos}",
        lambda v: f"{pct(v[4])} / {pct(v[5])} (threshold {v[3]:.4g})",
    )
    add("typo drop on BANKING77 <= 3 pts", f"b77:{lab}", lambda v: f"{100 * (v[0] - v[1]):.2f}")
    add("BANKING77 ECE after temperature", "b77_ece", lambda v: f"{v:.4f}")
    add("training time BANKING77 full incl. encoding <= 600 s", "train_s", lambda v: f"{v:.1f} s")
    add("one-sentence p50 latency, 1 thread", "p50_ms", lambda v: f"{v:.2f} ms")
    print(f"\n## Recommended design against the targets: {lab}\n")
    print(md_table(["target", "measured"], rows))


SECTIONS = {
    "b77": section_b77,
    "fewshot": section_fewshot,
    "clinc": section_clinc,
    "speed": section_speed,
    "final": section_final,
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/warmline-nlu-cache"))
    parser.add_argument(
        "--sections",
        default="b77,fewshot,clinc,speed,final",
        help="comma-separated: encode," + ",".join(SECTIONS),
    )
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    start = time.perf_counter()
    embed = Embedder(args.cache)
    root = args.datasets.resolve()
    b_train, b_test = load_banking(root)
    b_le = LabelEncoder().fit(b_train.labels)
    ctx: dict = {"root": root, "b77_le": b_le}
    ctx["b77_train"] = Data(embed, b_train, b_le)
    ctx["b77_test"] = Data(embed, b_test, b_le)
    ctx["b77_train"].typo(TYPO_TRAIN_SEED)
    ctx["b77_test"].typo(TYPO_TEST_SEED)
    clinc = load_clinc(root)
    c_le = LabelEncoder().fit(clinc["train"].labels)
    ctx["clinc_le"] = c_le
    ctx["clinc"] = {k: Data(embed, clinc[k], c_le) for k in ("train", "val", "test")}
    ctx["clinc"].update({k: Data(embed, clinc[k]) for k in ("oos_val", "oos_test")})
    ctx["clinc"]["train"].typo(TYPO_TRAIN_SEED)
    rej = Split(
        clinc["train"].texts + clinc["oos_train"].texts,
        clinc["train"].labels + ["oos"] * len(clinc["oos_train"].texts),
    )
    ctx["clinc_reject_le"] = LabelEncoder().fit(rej.labels)
    ctx["clinc_reject"] = Data(embed, rej, ctx["clinc_reject_le"])
    ctx["clinc_reject"].typo(TYPO_TRAIN_SEED)
    print(f"# NLU options on the frozen encoder `{embed.encoder.name}`\n")
    print(
        f"Embeddings: {embed.encoded} texts encoded now ({embed.seconds:.1f} s), the rest from "
        f"`{args.cache}`. sklearn {__import__('sklearn').__version__}, {os.cpu_count()} CPUs."
    )
    for s in sections:
        if s != "encode":
            SECTIONS[s](ctx)
    print(f"\n_Total run time {time.perf_counter() - start:.0f} s._")


if __name__ == "__main__":
    main()
