"""Build-time training of the affect screen: a linear head per target on the pooled embedding
that decides whether a turn needs the affect tail at all (``nlu/affect.py``, ``AffectConfig.
screen``), and whose calibrated probabilities a screened turn reports instead of the tail's.

Most customer turns are plainly calm ("where is my reservation 4WQ150?", "thanks"); the tail
(two transformer layers over the encoder's token states) costs about a third of a turn's
transformer time. The screen reads what the turn already has, the pooled embedding, and skips
the tail when every distress target (negative, frustration, urgency, confusion) is under the
screen's gate. The gates are chosen for recall of the tail's own readings: on the held-out fifth
of GoEmotions train (``numpy.random.default_rng(0).random(n) < 0.2``, the split the tail and
the linear head were calibrated on, unseen by both in training), the screen must pass on at
least ``--recall`` of the comments where the tail reads any distress target at or above its
stored threshold (those thresholds are below every threshold the policy acts on). Dev is never
seen; the figures on it and on support turns are for the report only.

Steps (repository root, project venv)::

    python scripts/train_affect_screen.py features   # embeddings + tail readings, one text a
                                                      # run as at run time (about 5 min, 1 core)
    python scripts/train_affect_screen.py train      # heads, calibration, gates -> assets
    python scripts/train_affect_screen.py report     # recall and share skipped, each set

``features`` writes ``--work`` (default ``var/affect_screen``): per set the pooled embeddings and
the tail's calibrated probabilities. ``train`` fits the heads on the other four fifths with
``train_affect.train`` (the ``linear`` kind's recipe: balanced logistic regression, C 4, Platt
scaling and best-F1 thresholds on the held-out fifth), then the gates, and writes
``screen.npz`` and ``screen.json`` beside the tail (``--out``, default the shipped folder).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from train_affect import TUNE_SHARE, read_goemotions, targets_matrix, train  # noqa: E402

from warmline.nlu.affect_models import (  # noqa: E402
    ASSETS_DIR,
    GROUPS,
    SCREEN_TARGETS,
    AffectModel,
    LinearAffectModel,
    load_affect_model,
)
from warmline.nlu.embeddings import Encoder, EncoderConfig, load_encoder  # noqa: E402

SETS = ("train", "dev", "clinc150", "banking77", "locust")
GRID = np.linspace(0.0, 1.0, 2001)


def support_texts(datasets: Path, name: str) -> list[str]:
    """Realistic support turns: CLINC150's validation texts (in scope and out of scope),
    BANKING77's test set (it has no dev), and the load test's conversation
    (``benchmarks/locustfile.py``) with each demo customer's reservation and flight."""
    if name == "clinc150":
        data = json.loads((datasets / "clinc150" / "data_full.json").read_text("utf-8"))
        return [text for text, _ in data["val"] + data["oos_val"]]
    if name == "banking77":
        import csv

        with (datasets / "banking77" / "test.csv").open(encoding="utf-8") as handle:
            return [row["text"] for row in csv.DictReader(handle)]
    # read, not imported: importing Locust patches the standard library (gevent)
    source = ast.parse((REPO / "benchmarks" / "locustfile.py").read_text("utf-8"))
    found = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in source.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in ("CUSTOMERS", "TURNS")
    }
    return [
        turn.format(reservation=reservation, flight=flight)
        for _, reservation, flight in found["CUSTOMERS"]
        for turn in found["TURNS"]
    ]


def texts_of(datasets: Path, name: str) -> list[str]:
    if name in ("train", "dev"):
        return read_goemotions(datasets, name)[0]
    return support_texts(datasets, name)


def features(encoder: Encoder, tail: AffectModel, texts: list[str]) -> dict[str, np.ndarray]:
    """Each text's embedding and the tail's probabilities, one text a run as a live turn is
    encoded (int8 dynamic quantization scales per run, so a padded batch would differ)."""
    assert tail.state_output is not None
    rows, probs = [], []
    for text in texts:
        vector, states = encoder.encode_with_states(text, tail.state_output)
        rows.append(vector)
        probs.append(tail.probabilities(vector[None, :], [states])[0])
    return {"x": np.vstack(rows), "tail": np.vstack(probs)}


def load_set(work: Path, name: str) -> dict[str, np.ndarray]:
    with np.load(work / f"{name}.npz", allow_pickle=False) as data:
        return {k: np.asarray(data[k]) for k in data.files}


ACTED_ON = {"negative": 0.5, "frustration": 0.5, "urgency": 0.5, "confusion": 0.5}
"""The lowest score each distress target is acted on at with the demo packs' settings: the
empathy thresholds (frustration 0.5, urgency and confusion 0.6, negative 0.75), the packet's
mood (frustration, urgency or confusion at 0.5) and rising negativity (ending at 0.5)."""


def flagged(
    tail: AffectModel, probs: np.ndarray, levels: dict[str, float] | None = None
) -> np.ndarray:
    """Texts where the tail reads any distress target at or above its stored threshold (or
    ``levels``)."""
    levels = levels or tail.thresholds
    columns = [tail.targets.index(t) for t in SCREEN_TARGETS]
    bars = np.array([levels[t] for t in SCREEN_TARGETS])
    result: np.ndarray = (probs[:, columns] >= bars).any(axis=1)
    return result


def passes(model: LinearAffectModel, x: np.ndarray, gates: dict[str, float]) -> np.ndarray:
    probs = model.probabilities(x.astype(np.float32))
    columns = [model.targets.index(t) for t in SCREEN_TARGETS]
    result: np.ndarray = (probs[:, columns] >= np.array([gates[t] for t in SCREEN_TARGETS])).any(
        axis=1
    )
    return result


def choose_gates(
    model: LinearAffectModel, x: np.ndarray, wanted: np.ndarray, recall: float
) -> dict[str, float]:
    """Per-target gates at one common share of each target's own tail readings kept: the
    highest share's gates (most turns skipped) whose any-target recall reaches ``recall``.
    Each gate is the screen probability under which the tail's readings of that target above
    its threshold are at most the given share missed."""
    probs = model.probabilities(x.astype(np.float32))
    columns = [model.targets.index(t) for t in SCREEN_TARGETS]
    best: dict[str, float] = {t: 0.0 for t in SCREEN_TARGETS}
    for level in np.linspace(0.90, 1.0, 201):
        gates = {}
        for t, j in zip(SCREEN_TARGETS, columns, strict=True):
            own = probs[wanted[t], j]
            gates[t] = float(np.quantile(own, 1.0 - level)) if len(own) else 1.0
        caught = (probs[:, columns] >= np.array([gates[t] for t in SCREEN_TARGETS])).any(axis=1)
        if caught[wanted["any"]].mean() >= recall:
            best = gates
            break
    return {t: round(float(np.floor(g * 1e4) / 1e4), 4) for t, g in best.items()}


def step_features(args: argparse.Namespace) -> None:
    encoder = load_encoder(EncoderConfig(threads=1, precision="int8"))
    tail = load_affect_model()
    args.work.mkdir(parents=True, exist_ok=True)
    for name in args.sets:
        started = time.perf_counter()
        texts = texts_of(args.datasets, name)
        np.savez(args.work / f"{name}.npz", **features(encoder, tail, texts))
        print(f"{name}: {len(texts)} texts in {time.perf_counter() - started:.0f} s", flush=True)


def step_train(args: argparse.Namespace) -> None:
    tail = load_affect_model()
    data = load_set(args.work, "train")
    _, labels = read_goemotions(args.datasets, "train")
    targets = list(GROUPS)
    model = train(data["x"], targets_matrix(labels, targets), targets, tail.encoder_name)
    tune = np.random.default_rng(0).random(len(data["x"])) < TUNE_SHARE
    wanted = {
        t: data["tail"][tune, tail.targets.index(t)] >= tail.thresholds[t] for t in SCREEN_TARGETS
    }
    wanted["any"] = flagged(tail, data["tail"][tune])
    gates = choose_gates(model, data["x"][tune], wanted, args.recall)
    print(f"gates {gates}")
    model.meta.update(
        {
            "screen": {
                "gates": gates,
                "recall": args.recall,
                "chosen_on": "the held-out fifth of GoEmotions train: any distress target of "
                "the tail at or above its stored threshold",
            },
            "trained_with": "scripts/train_affect_screen.py features; train",
        }
    )
    model.save(args.out, head_file="screen.npz", meta_file="screen.json")
    print(f"wrote {args.out / 'screen.json'}")


def step_report(args: argparse.Namespace) -> None:
    tail = load_affect_model()
    screen = LinearAffectModel.load(args.out, head_file="screen.npz", meta_file="screen.json")
    gates = screen.meta["screen"]["gates"]
    for name in args.sets:
        data = load_set(args.work, name)
        if name == "train":
            tune = np.random.default_rng(0).random(len(data["x"])) < TUNE_SHARE
            data = {k: v[tune] for k, v in data.items()}
        kept = passes(screen, data["x"], gates)
        line = f"{name:<10} {len(kept):>6} texts  skipped {1 - kept.mean():6.1%}"
        for label, levels in (("stored thresholds", None), ("acted on", ACTED_ON)):
            wanted = flagged(tail, data["tail"], levels)
            recall = kept[wanted].mean() if wanted.any() else float("nan")
            line += (
                f" | {label}: tail {wanted.mean():5.1%}, recall {recall:.4f} "
                f"({int((wanted & ~kept).sum())} missed)"
            )
        same = sentiments(tail, data["tail"]) == sentiments(screen, screen.probabilities(data["x"]))
        print(f"{line} | sentiment as the tail's on skipped {same[~kept].mean():.3f}")


def sentiments(model: AffectModel, probs: np.ndarray) -> np.ndarray:
    """The most probable sentiment group of each row, as ``Affect.sentiment`` without cues."""
    groups = ("negative", "neutral", "positive", "ambiguous")
    columns = [model.targets.index(g) for g in groups]
    return np.array(groups)[probs[:, columns].argmax(axis=1)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("features", "train", "report"))
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--work", type=Path, default=REPO / "var" / "affect_screen")
    parser.add_argument("--out", type=Path, default=ASSETS_DIR)
    parser.add_argument("--recall", type=float, default=0.98)
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    args = parser.parse_args(argv)
    {"features": step_features, "train": step_train, "report": step_report}[args.step](args)


if __name__ == "__main__":
    main()
