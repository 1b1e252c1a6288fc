"""The affect detector's targets on GoEmotions dev, and the latency it adds to a turn.

Accuracy (``accuracy``): the shipped model (``src/warmline/nlu/assets/affect``) on GoEmotions
dev (5,426 comments), each target at the threshold stored with the model (chosen on the held-out
fifth of train). Two readings of each comment:

* ``model``: the whole comment, the model alone (what the paper's figures compare with);
* ``turn``: as a live turn reads it, with the lexical cues (no conversation), and with
  ``--clause-reading`` clause by clause too.

Sentiment-group macro-F1 is the mean F1 of positive / negative / ambiguous / neutral, each a
one-vs-rest label as in the GoEmotions paper (Demszky et al. 2020, Table 5: BERT-base 0.69).
ECE (15 equal-width bins: the gap between the mean probability and the share of positives) of
the calibrated probabilities of the four product scores.

Latency (``latency``): one thread, the airline demo pack. Consecutive dev comments are fed as a
conversation (each turn has the three before it as context, as in production, where earlier
turns' embeddings are remembered). Reports the time ``NluEngine.understand`` takes with and
without the affect detector, p50 and p99 over the turns, and RSS.

Usage (repository root, project venv; about 2 minutes on 2 cores)::

    python benchmarks/affect_targets.py accuracy --datasets ../shared/datasets [--clause-reading]
    python benchmarks/affect_targets.py latency --datasets ../shared/datasets [--clause-reading]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from train_affect import read_goemotions, targets_matrix  # noqa: E402

from warmline.domain.understanding import TurnContext  # noqa: E402
from warmline.nlu.affect import AffectConfig, load_affect  # noqa: E402
from warmline.nlu.embeddings import EncoderConfig, load_encoder  # noqa: E402
from warmline.nlu.metrics import expected_calibration_error  # noqa: E402

SENTIMENT = ("positive", "negative", "ambiguous", "neutral")
PRODUCT = ("negative", "frustration", "urgency", "confusion")
PAPER = {"anger": 0.47, "annoyance": 0.34, "disappointment": 0.28, "confusion": 0.37}


PRECISION = ["int8"]
"""The encoder arithmetic measured (``--precision``)."""


def accuracy(datasets: Path, clause_reading: bool) -> None:
    encoder = load_encoder(EncoderConfig(threads=2, precision=PRECISION[0]))
    detector = load_affect(encoder, AffectConfig(clause_reading=clause_reading))
    model = detector.model
    texts, labels = read_goemotions(datasets, "dev")
    targets = list(model.targets)
    truth = targets_matrix(labels, targets)
    started = time.perf_counter()
    whole = detector.model_probabilities(texts)
    read = detector.read_texts(texts)
    print(f"read {len(texts)} dev comments in {time.perf_counter() - started:.0f} s")
    shipped = whole.copy()
    for i, affect in enumerate(read):
        for name in PRODUCT:
            shipped[i, targets.index(name)] = getattr(affect, name)
    print(f"\n{'target':<16}{'threshold':>10}{'F1 model':>10}{'F1 shipped':>12}{'paper':>8}")
    f1 = {}
    for j, name in enumerate(targets):
        t = model.thresholds[name]
        f1[name] = (
            f1_score(truth[:, j], whole[:, j] >= t),
            f1_score(truth[:, j], shipped[:, j] >= t),
        )
        paper = f"{PAPER[name]:.2f}" if name in PAPER else ""
        print(f"{name:<16}{t:>10.3f}{f1[name][0]:>10.3f}{f1[name][1]:>12.3f}{paper:>8}")
    for k, label in ((0, "model"), (1, "shipped")):
        macro = np.mean([f1[s][k] for s in SENTIMENT])
        print(f"sentiment-group macro-F1 ({label}): {macro:.3f}   (BERT-base 0.69)")
    print(f"\n{'ECE':<16}{'model':>10}{'shipped':>10}")
    for name in PRODUCT:
        j = targets.index(name)
        print(
            f"{name:<16}{expected_calibration_error(whole[:, j], truth[:, j]):>10.4f}"
            f"{expected_calibration_error(shipped[:, j], truth[:, j]):>10.4f}"
        )


def latency(datasets: Path, turns: int, clause_reading: bool) -> None:
    from warmline.domain.pack_loader import load_pack
    from warmline.nlu.engine import NluEngine
    from warmline.services.packs import resolve_pack_path

    encoder = load_encoder(EncoderConfig(threads=1, precision=PRECISION[0]))
    detector = load_affect(encoder, AffectConfig(clause_reading=clause_reading))
    pack = load_pack(resolve_pack_path("airline"))
    with_affect = NluEngine.train(pack, encoder, cache_dir=REPO / "var" / "models", affect=detector)
    without = NluEngine(pack, encoder, with_affect.classifier)
    texts, _ = read_goemotions(datasets, "dev")
    texts = texts[:turns]
    for text in texts[:20]:  # warm up
        with_affect.understand(text)
    timings: dict[str, list[float]] = {"without affect": [], "with affect": []}
    for i, text in enumerate(texts):
        context = TurnContext(recent=texts[max(0, i - 3) : i])
        for name, engine in (("without affect", without), ("with affect", with_affect)):
            started = time.perf_counter()
            engine.understand(text, context)
            timings[name].append((time.perf_counter() - started) * 1000)
    for name, values in timings.items():
        print(
            f"{name:<16} p50 {np.percentile(values, 50):.2f} ms   "
            f"p99 {np.percentile(values, 99):.2f} ms   ({len(values)} turns)"
        )
    added = np.array(timings["with affect"]) - np.array(timings["without affect"])
    print(
        f"added by affect  p50 {np.percentile(added, 50):.2f} ms   p99 {np.percentile(added, 99):.2f} ms"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("accuracy", "latency"))
    parser.add_argument("--precision", choices=("int8", "float32"), default="int8")
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument(
        "--clause-reading", action="store_true", help="the turn reading also reads clauses"
    )
    args = parser.parse_args(argv)
    PRECISION[0] = args.precision
    if args.what == "accuracy":
        accuracy(args.datasets, args.clause_reading)
    else:
        latency(args.datasets, args.turns, args.clause_reading)


if __name__ == "__main__":
    main()
