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

With ``--no-screen`` every comment is read by the affect tail (``AffectConfig(screen=False)``);
by default the screen reads each first (``nlu/affect.py``) and the ``model`` column is what a
turn records (the screen's figures where it skipped the tail); the share skipped is printed.

Latency (``latency``): one thread, the airline demo pack. Consecutive texts are fed as a
conversation (each turn has the three before it as context, as in production, where earlier
turns' embeddings are remembered): GoEmotions dev comments, or with ``--texts support`` the
support turns of ``scripts/train_affect_screen.py`` (CLINC150 validation, BANKING77 test, the
load test's conversation). Each turn is read by three engines in turn (no affect, the tail
alone, the screen first): p50 and p99 of ``NluEngine.understand`` over the turns, then the CPU
time (``time.thread_time``) of the affect step alone, the detector's ``read`` on the turn's
embedding and token states, tail alone and screened alternately, and RSS.

Usage (repository root, project venv; about 2 minutes on 2 cores)::

    python benchmarks/affect_targets.py accuracy --datasets ../shared/datasets [--clause-reading]
    python benchmarks/affect_targets.py accuracy --datasets ../shared/datasets --no-screen
    python benchmarks/affect_targets.py latency --datasets ../shared/datasets [--clause-reading]
    python benchmarks/affect_targets.py latency --texts support --turns 2000
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
from train_affect_screen import support_texts  # noqa: E402

from warmline.domain.understanding import TurnContext  # noqa: E402
from warmline.nlu.affect import AffectConfig, AffectDetector, load_affect  # noqa: E402
from warmline.nlu.embeddings import Encoder, EncoderConfig, load_encoder  # noqa: E402
from warmline.nlu.metrics import expected_calibration_error  # noqa: E402

SENTIMENT = ("positive", "negative", "ambiguous", "neutral")
PRODUCT = ("negative", "frustration", "urgency", "confusion")
PAPER = {"anger": 0.47, "annoyance": 0.34, "disappointment": 0.28, "confusion": 0.37}


PRECISION = ["int8"]
"""The encoder arithmetic measured (``--precision``)."""


def accuracy(datasets: Path, clause_reading: bool, screen: bool) -> None:
    encoder = load_encoder(EncoderConfig(threads=2, precision=PRECISION[0]))
    config = AffectConfig(clause_reading=clause_reading, screen=screen)
    detector = load_affect(encoder, config)
    model = detector.model
    texts, labels = read_goemotions(datasets, "dev")
    targets = list(model.targets)
    truth = targets_matrix(labels, targets)
    started = time.perf_counter()
    read = detector.read_texts(texts)
    whole = np.array([[a.model[t] for t in targets] for a in read])
    print(f"read {len(texts)} dev comments in {time.perf_counter() - started:.0f} s")
    skipped = sum(a.reader == "screen" for a in read)
    print(f"screen {'on' if screen else 'off'}: the tail skipped on {skipped / len(read):.1%}")
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


def latency_texts(datasets: Path, which: str, turns: int) -> list[str]:
    if which == "support":
        names = ("locust", "clinc150", "banking77")
        texts = [t for name in names for t in support_texts(datasets, name)]
        # interleaved, so that any prefix mixes the three
        texts = [texts[i] for i in np.random.default_rng(0).permutation(len(texts))]
    else:
        texts = read_goemotions(datasets, "dev")[0]
    return texts[:turns]


def latency(datasets: Path, turns: int, clause_reading: bool, which: str) -> None:
    from warmline.domain.pack_loader import load_pack
    from warmline.nlu.engine import NluEngine
    from warmline.services.packs import resolve_pack_path

    encoder = load_encoder(EncoderConfig(threads=1, precision=PRECISION[0]))
    detectors = {
        "tail alone": load_affect(
            encoder, AffectConfig(clause_reading=clause_reading, screen=False)
        ),
        "screened": load_affect(encoder, AffectConfig(clause_reading=clause_reading)),
    }
    pack = load_pack(resolve_pack_path("airline"))
    trained = NluEngine.train(pack, encoder, cache_dir=REPO / "var" / "models")
    engines = {"without affect": NluEngine(pack, encoder, trained.classifier)}
    for name, detector in detectors.items():
        engines[name] = NluEngine(pack, encoder, trained.classifier, affect=detector)
    texts = latency_texts(datasets, which, turns)
    for text in texts[:20]:  # warm up
        for engine in engines.values():
            engine.understand(text)
    timings: dict[str, list[float]] = {name: [] for name in engines}
    for i, text in enumerate(texts):
        context = TurnContext(recent=texts[max(0, i - 3) : i])
        for name, engine in engines.items():
            started = time.perf_counter()
            engine.understand(text, context)
            timings[name].append((time.perf_counter() - started) * 1000)
    print(f"NluEngine.understand, {len(texts)} turns ({which})")
    for name, values in timings.items():
        print(
            f"  {name:<16} p50 {np.percentile(values, 50):.2f} ms   "
            f"p99 {np.percentile(values, 99):.2f} ms   mean {np.mean(values):.2f} ms"
        )
    for name in detectors:
        added = np.array(timings[name]) - np.array(timings["without affect"])
        print(
            f"  added by affect ({name}) p50 {np.percentile(added, 50):.2f} ms   "
            f"p99 {np.percentile(added, 99):.2f} ms"
        )
    affect_cpu(encoder, detectors, texts)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


def affect_cpu(encoder: Encoder, detectors: dict[str, AffectDetector], texts: list[str]) -> None:
    """CPU of the affect step alone (the detector's ``read``, on the turn's embedding and token
    states as the engine hands them over), the detectors alternately on each turn, 5 rounds."""
    output = next(iter(detectors.values())).model.state_output
    assert output is not None
    encoded = [encoder.encode_with_states(t, output) for t in texts]
    cpu: dict[str, list[float]] = {name: [] for name in detectors}
    skipped = 0
    for round_ in range(5):
        for text, (vector, states) in zip(texts, encoded, strict=True):
            for name in detectors if round_ % 2 == 0 else reversed(list(detectors)):
                started = time.thread_time()
                affect = detectors[name].read(text, vector, states=states)
                cpu[name].append((time.thread_time() - started) * 1000)
                skipped += round_ == 0 and affect.reader == "screen"
    print(f"affect step CPU (time.thread_time), {len(texts)} turns x 5 rounds, interleaved")
    for name, values in cpu.items():
        per_round = np.array(values).reshape(5, len(texts)).mean(axis=1)
        print(
            f"  {name:<12} mean {np.mean(values):.3f} ms/turn (median of round means "
            f"{np.median(per_round):.3f})   p50 {np.percentile(values, 50):.3f} ms   "
            f"p99 {np.percentile(values, 99):.3f} ms"
        )
    print(f"  screened out: {skipped / len(texts):.1%} of turns")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("accuracy", "latency"))
    parser.add_argument("--precision", choices=("int8", "float32"), default="int8")
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument(
        "--clause-reading", action="store_true", help="the turn reading also reads clauses"
    )
    parser.add_argument(
        "--no-screen", action="store_true", help="accuracy: every comment read by the tail"
    )
    parser.add_argument("--texts", choices=("goemotions", "support"), default="goemotions")
    args = parser.parse_args(argv)
    PRECISION[0] = args.precision
    if args.what == "accuracy":
        accuracy(args.datasets, args.clause_reading, not args.no_screen)
    else:
        latency(args.datasets, args.turns, args.clause_reading, args.texts)


if __name__ == "__main__":
    main()
