"""Build ``messages.csv``, the acknowledgement set, from its sources::

    .venv/bin/python benchmarks/acknowledgement/make_set.py [--datasets DIR] [--check]
    .venv/bin/python benchmarks/acknowledgement/make_set.py --draw   # the drawn rows, unlabelled

* 240 rows of BANKING77's train split and 120 of CLINC150's train split (in scope), drawn with
  ``random.Random(SEED)`` (below); each was labelled by hand, in ``drawn_labels.csv`` (id,
  label, and the text again so that a change of the draw is caught);
* the hand-written rows, in ``written.csv``: messages of the demo domains (``domain``) and
  dialogue turns (``dialogue``).

The split of a row (``dev`` or ``test``) comes from the SHA-256 of its id (``assign_splits``),
never chosen by hand. ``--check`` fails when ``messages.csv`` differs
from what the sources give.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATASETS = HERE.parents[2] / "shared" / "datasets"
SEED = 20261203
BANKING77_ROWS = 240
CLINC150_ROWS = 120
COLUMNS = ("id", "text", "label", "source", "kind", "split")
LABELS = ("upset", "calm")
KINDS = ("banking77", "clinc150", "domain", "dialogue")


def id_hash(row_id: str) -> str:
    return hashlib.sha256(row_id.encode("utf-8")).hexdigest()


def assign_splits(rows: list[dict[str, str]]) -> dict[str, str]:
    """The half of each row, by id: within each kind and label, the rows in the order of the
    SHA-256 of their ids go to dev, test, dev, test... So each half has half of every group
    (one more at most), and no row's half is chosen by hand."""
    groups: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        groups.setdefault((row["kind"], row["label"]), []).append(row["id"])
    splits = {}
    for ids in groups.values():
        for position, row_id in enumerate(sorted(ids, key=id_hash)):
            splits[row_id] = "dev" if position % 2 == 0 else "test"
    return splits


def _draw(texts: list[str], count: int, rng: random.Random) -> list[int]:
    """``count`` indices of distinct texts, in the order drawn."""
    chosen: list[int] = []
    seen: set[str] = set()
    for index in rng.sample(range(len(texts)), len(texts)):
        key = texts[index].strip().lower()
        if key in seen:
            continue
        seen.add(key)
        chosen.append(index)
        if len(chosen) == count:
            break
    return chosen


def drawn(datasets: Path) -> list[dict[str, str]]:
    """The drawn rows of BANKING77 and CLINC150 (train splits only), without labels."""
    rng = random.Random(SEED)
    with (datasets / "banking77" / "train.csv").open(encoding="utf-8", newline="") as f:
        banking = [row["text"] for row in csv.DictReader(f)]
    clinc = [
        text
        for text, _ in json.loads((datasets / "clinc150" / "data_full.json").read_text())["train"]
    ]
    rows = [
        {
            "id": f"b77-{i}",
            "text": banking[i],
            "source": f"banking77:train:{i}",
            "kind": "banking77",
        }
        for i in _draw(banking, BANKING77_ROWS, rng)
    ]
    rows += [
        {"id": f"clinc-{i}", "text": clinc[i], "source": f"clinc150:train:{i}", "kind": "clinc150"}
        for i in _draw(clinc, CLINC150_ROWS, rng)
    ]
    return rows


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def build(datasets: Path) -> list[dict[str, str]]:
    """Every row of the set, labelled, with its split."""
    labels = {row["id"]: row for row in _read(HERE / "drawn_labels.csv")}
    rows = []
    for row in drawn(datasets):
        labelled = labels.pop(row["id"], None)
        if labelled is None or labelled["text"] != row["text"]:
            raise SystemExit(f"{row['id']} is drawn but not labelled (or its text changed)")
        rows.append({**row, "label": labelled["label"]})
    if labels:
        raise SystemExit(f"labelled but no longer drawn: {sorted(labels)[:5]}")
    rows += _read(HERE / "written.csv")
    splits = assign_splits(rows)
    for row in rows:
        row["split"] = splits[row["id"]]
    return [{column: row[column] for column in COLUMNS} for row in rows]


def to_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--draw", action="store_true", help="print the drawn rows and stop")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    if args.draw:
        for row in drawn(args.datasets):
            print(f"{row['id']}\t{row['text']}")
        return
    text = to_csv(build(args.datasets))
    target = HERE / "messages.csv"
    if args.check:
        if target.read_text(encoding="utf-8") != text:
            sys.exit("messages.csv differs from its sources: run make_set.py")
        print("messages.csv matches its sources")
        return
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({text.count(chr(10)) - 1} rows)")


if __name__ == "__main__":
    main()
