"""The acknowledgement set (benchmarks/acknowledgement/messages.csv) is well formed: its columns,
labels and kinds, its size, halves drawn from the hash of the ids, and no text twice."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

FOLDER = Path(__file__).resolve().parents[1] / "benchmarks" / "acknowledgement"
COLUMNS = ["id", "text", "label", "source", "kind", "split"]


def read(name: str) -> list[dict[str, str]]:
    with (FOLDER / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return read("messages.csv")


def make_set() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_set", FOLDER / "make_set.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_columns_labels_and_kinds(rows: list[dict[str, str]]) -> None:
    with (FOLDER / "messages.csv").open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == COLUMNS
    assert len(rows) >= 600
    assert {r["label"] for r in rows} == {"upset", "calm"}
    assert {r["split"] for r in rows} == {"dev", "test"}
    assert {r["kind"] for r in rows} == {"banking77", "clinc150", "domain", "dialogue"}
    assert all(r["text"].strip() and r["source"] for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)
    upset = sum(r["label"] == "upset" for r in rows) / len(rows)
    assert 0.35 <= upset <= 0.50


def test_no_text_twice(rows: list[dict[str, str]]) -> None:
    texts = Counter(" ".join(r["text"].casefold().split()) for r in rows)
    assert [text for text, n in texts.items() if n > 1] == []


def test_sources_match_the_kinds(rows: list[dict[str, str]]) -> None:
    for r in rows:
        prefix = {"banking77": "banking77:train:", "clinc150": "clinc150:train:"}.get(r["kind"])
        if prefix is not None:
            assert r["source"] == prefix + r["id"].split("-", 1)[1], r["id"]
        else:
            assert r["source"].startswith("hand:"), r["id"]
            parts = r["source"].split(":")
            assert parts[1] in ("retail", "airline")
            assert len(parts) == (3 if r["kind"] == "dialogue" else 2), r["id"]


def test_the_halves_come_from_the_hash_of_the_ids(rows: list[dict[str, str]]) -> None:
    """Within each kind and label, in the order of the ids' SHA-256: dev, test, dev..."""
    groups: dict[tuple[str, str], list[dict[str, str]]] = {}
    for r in rows:
        groups.setdefault((r["kind"], r["label"]), []).append(r)
    for group in groups.values():
        ordered = sorted(group, key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
        assert [r["split"] for r in ordered] == [
            "dev" if i % 2 == 0 else "test" for i in range(len(ordered))
        ]
    assert make_set().assign_splits(rows) == {r["id"]: r["split"] for r in rows}


def test_the_set_is_its_sources(rows: list[dict[str, str]]) -> None:
    """Every row is a labelled drawn row or a written one, with the same text and label."""
    sources = {r["id"]: r for r in read("drawn_labels.csv") + read("written.csv")}
    assert sorted(sources) == sorted(r["id"] for r in rows)
    for r in rows:
        assert (r["text"], r["label"]) == (sources[r["id"]]["text"], sources[r["id"]]["label"])


def test_make_set_reproduces_the_file() -> None:
    module = make_set()
    if not (module.DATASETS / "banking77" / "train.csv").exists():
        pytest.skip("the datasets are not here")
    text = module.to_csv(module.build(module.DATASETS))
    assert (FOLDER / "messages.csv").read_text(encoding="utf-8") == text
