"""The register and dialect detector (``nlu/register.py``): precision and recall per label on
the labelled set (``tests/data/register_set.tsv``), how often it labels plain service
questions non-standard (CLINC150 and BANKING77 train texts: written by crowd workers asked
for plain questions, so a dialect label there is mostly a false one), the same on casual
writing (GoEmotions' Reddit comments, where some AAE and British English is expected),
examples of what it labels there (to read by hand), and its cost per turn.

    .venv/bin/python benchmarks/register_detector.py [--datasets ../shared/datasets] \\
        [--examples 8] [--multivalue /tmp/warmline-dialects] [--out /tmp/register.md]

``--multivalue``: the BANKING77 test rows ``benchmarks/dialects.py build --groups aave indian``
rewrote with Multi-VALUE's documented features of each variety (an independent source of
feature-bearing text, though not how speakers of the variety write): the share the detector
labels with the variety, beside the share of the same rows, unrewritten.

The labelled set was written by the same hands as the cues: its figures are an optimistic
estimate. The rates on CLINC150 and BANKING77 are the independent check.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from warmline.nlu.register import read_style

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "tests" / "data" / "register_set.tsv"
REGISTERS = ("formal", "neutral", "casual", "textspeak")
DIALECTS = ("aae", "indian_english", "british", "standard")


def labelled(path: Path = SET) -> list[tuple[str, str, str]]:
    """(text, register, dialect) rows of the labelled set."""
    lines = [line for line in path.read_text("utf-8").splitlines() if not line.startswith("#")]
    rows = list(csv.reader(lines[1:], delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(text, register, dialect) for text, register, dialect in rows]


def scores(truth: Sequence[str], guess: Sequence[str], labels: Sequence[str]) -> list[str]:
    """A markdown table: per label, support, precision, recall, F1."""
    out = ["| label | n | precision | recall | F1 |", "|---|---|---|---|---|"]
    for label in labels:
        tp = sum(t == g == label for t, g in zip(truth, guess, strict=True))
        said = sum(g == label for g in guess)
        real = sum(t == label for t in truth)
        p = tp / said if said else float("nan")
        r = tp / real if real else float("nan")
        f = 2 * p * r / (p + r) if p + r else 0.0
        out.append(
            f"| `{label}` | {real} | {p:.2f} ({tp}/{said}) | {r:.2f} ({tp}/{real}) | {f:.2f} |"
        )
    return out


def corpus(datasets: Path) -> dict[str, list[str]]:
    clinc = json.loads((datasets / "clinc150" / "data_full.json").read_text("utf-8"))
    with (datasets / "banking77" / "train.csv").open(encoding="utf-8") as f:
        banking = [row["text"] for row in csv.DictReader(f)]
    found = {"CLINC150 train": [text for text, _ in clinc["train"]], "BANKING77 train": banking}
    reddit = datasets / "goemotions" / "train.tsv"
    if reddit.exists():  # casual writing: Reddit comments, where some AAE is expected
        lines = reddit.read_text("utf-8").splitlines()
        found["GoEmotions train (Reddit)"] = [line.split("\t", 1)[0] for line in lines]
    return found


def rates(name: str, texts: list[str], examples: int) -> list[str]:
    """The share of ``texts`` given each dialect and register, with examples of each
    non-standard dialect label and the cues that gave it."""
    styles = [read_style(t) for t in texts]
    dialects = Counter(s.dialect for s in styles)
    registers = Counter(s.formality for s in styles)
    n = len(texts)
    out = [f"### {name} ({n:,} texts)", ""]
    out.append(
        "dialect: "
        + ", ".join(f"`{d}` {dialects[d] / n:.2%} ({dialects[d]})" for d in DIALECTS)
        + f"; any non-standard {(n - dialects['standard']) / n:.2%}"
    )
    out.append("")
    out.append("register: " + ", ".join(f"`{r}` {registers[r] / n:.1%}" for r in REGISTERS))
    rng = random.Random(0)
    for label in DIALECTS[:-1]:
        hits = [(t, s) for t, s in zip(texts, styles, strict=True) if s.dialect == label]
        if not hits:
            continue
        out += ["", f"examples labelled `{label}`:", ""]
        for text, style in rng.sample(hits, min(examples, len(hits))):
            cues = ", ".join(m for m in style.markers if m.startswith(label))
            out.append(f"- {text!r}: {cues}")
    return out


MULTIVALUE = {"aave": "aae", "indian": "indian_english"}


def multivalue(cache: Path, datasets: Path) -> list[str]:
    """Per Multi-VALUE group, the share of its rewritten rows labelled with the variety, and
    of the same rows as written."""
    with (datasets / "banking77" / "test.csv").open(encoding="utf-8") as f:
        originals = [row["text"] for row in csv.DictReader(f)]
    out = ["### Multi-VALUE rewrites of BANKING77 test rows", ""]
    out += [
        "| group | rows | labelled the variety | as written: labelled it |",
        "|---|---|---|---|",
    ]
    for group, label in MULTIVALUE.items():
        path = cache / f"test_{group}.csv"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as f:
            rows = [(int(row["row"]), row["text"]) for row in csv.DictReader(f)]
        changed = [(i, text) for i, text in rows if text != originals[i]]
        hit = sum(read_style(text).dialect == label for _, text in changed)
        base = sum(read_style(originals[i]).dialect == label for i, _ in changed)
        n = len(changed)
        out.append(
            f"| `{group}` -> `{label}` | {n} | {hit / n:.1%} ({hit}) | {base / n:.1%} ({base}) |"
        )
    return out


def cost(texts: list[str]) -> float:
    """Mean microseconds per turn over ``texts`` (after one warm-up pass)."""
    for text in texts[:200]:
        read_style(text)
    start = time.perf_counter()
    for text in texts:
        read_style(text)
    return (time.perf_counter() - start) / len(texts) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--examples", type=int, default=8)
    parser.add_argument("--multivalue", type=Path, help="benchmarks/dialects.py's cache")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = labelled()
    styles = [read_style(text) for text, _, _ in rows]
    out = [f"## Labelled set ({len(rows)} sentences, `tests/data/register_set.tsv`)", ""]
    out += ["Dialect:", "", *scores([d for *_, d in rows], [s.dialect for s in styles], DIALECTS)]
    out += ["", "Register:", ""]
    out += scores([r for _, r, _ in rows], [s.formality for s in styles], REGISTERS)
    missed = [(t, d, s) for (t, _, d), s in zip(rows, styles, strict=True) if s.dialect != d]
    out += ["", "Dialect disagreements (text, label, read, cues):", ""]
    out += [f"- {t!r}: {d} read as {s.dialect} {s.markers}" for t, d, s in missed]
    texts = corpus(args.datasets)
    for name, found in texts.items():
        out += ["", *rates(name, found, args.examples)]
    if args.multivalue:
        out += ["", *multivalue(args.multivalue, args.datasets)]
    every = [t for found in texts.values() for t in found]
    out += ["", f"cost: {cost(every):.0f} µs per turn (mean over {len(every):,} texts)"]
    report = "\n".join(out)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", "utf-8")


if __name__ == "__main__":
    main()
