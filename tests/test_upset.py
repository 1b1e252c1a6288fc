"""The upset detector: its training set's form, the shipped weights, that training again from
the CSV gives the same model, and what it reads in a turn."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from warmline.domain.pack import Empathy
from warmline.errors import ConfigurationError
from warmline.nlu.affect import load_affect
from warmline.nlu.affect_cues import turn_cues
from warmline.nlu.embeddings import Encoder
from warmline.nlu.upset import ASSETS_DIR, embed, fit_features, load_upset_model

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ASSETS_DIR / "train.csv"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_upset_set", ROOT / "scripts" / "build_upset_set.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _rows() -> tuple[list[str], list[dict[str, str]]]:
    with TRAIN.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def test_the_training_set_is_well_formed_and_apart_from_the_benchmark() -> None:
    header, rows = _rows()
    assert _script().form_faults(rows, header) == []
    kinds = {r["kind"] for r in rows}
    assert kinds == {"banking77", "clinc150", "domain", "dialogue"}
    upset = sum(r["label"] == "upset" for r in rows)
    assert 0.3 < upset / len(rows) < 0.5


def test_the_form_check_finds_a_benchmark_text_and_a_repeated_row() -> None:
    header, rows = _rows()
    script = _script()
    with script.BENCHMARK.open(encoding="utf-8", newline="") as f:
        taken = next(csv.DictReader(f))["text"]
    bad = [*rows, {**rows[0], "id": "w-ret-999"}, {**rows[1], "id": "x", "text": taken.upper()}]
    faults = script.form_faults(bad, header)
    assert any("twice" in f for f in faults) and any("benchmark" in f for f in faults)


def test_the_drawn_rows_are_the_draw() -> None:
    script = _script()
    if not script.DATASETS.is_dir():
        pytest.skip(f"no datasets at {script.DATASETS}")
    _, rows = _rows()
    assert script.draw_faults(rows, script.DATASETS) == []
    changed = [dict(r) for r in rows]
    first = next(r for r in changed if r["kind"] == "banking77")
    first["text"] += " please"
    assert script.draw_faults(changed, script.DATASETS)


def test_the_shipped_detector_loads_and_matches_the_pack_defaults(encoder: Encoder) -> None:
    model = load_upset_model()
    assert model.encoder_name == encoder.weights_name
    assert model.meta["precision"] == "int8"
    # the pack's defaults are the thresholds cross-validation chose for the shipped weights
    assert (Empathy().upset, Empathy().upset_floor) == (model.threshold, model.floor)
    assert model.meta["cv_at_threshold"]["fpr_calm"] <= model.meta["max_fpr"]


def test_a_missing_detector_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="upset model file not found"):
        load_upset_model(tmp_path)


def test_training_again_from_the_csv_gives_the_shipped_model(encoder: Encoder) -> None:
    """The shipped weights are what the CSV gives (with the regularisation chosen then, to
    keep this fast). int8 arithmetic rounds differently on CPUs with and without VNNI
    (docs/encoder.md), so on another CPU the figures agree to that rounding: the threshold and
    floor within 0.05, the cross-validated figures within two points, the probabilities to a
    hundredth for most messages."""
    shipped = load_upset_model()
    _, rows = _rows()
    texts = [r["text"] for r in rows]
    embeddings = embed(encoder, texts)
    cues = [turn_cues(t) for t in texts]
    labels = [r["label"] == "upset" for r in rows]
    again, report = fit_features(
        embeddings, cues, labels, encoder.weights_name, c_grid=(shipped.meta["C"],)
    )
    assert abs(again.threshold - shipped.threshold) <= 0.05
    assert abs(again.floor - shipped.floor) <= 0.05
    for figure in ("recall", "precision", "fpr_calm"):
        assert (
            abs(report["cv_at_threshold"][figure] - shipped.meta["cv_at_threshold"][figure]) <= 0.02
        )
    difference = np.abs(
        again.probabilities(embeddings, cues) - shipped.probabilities(embeddings, cues)
    )
    assert float(np.median(difference)) < 0.01
    assert float(np.quantile(difference, 0.95)) < 0.05


CALM = [
    "can I bring my cat on the plane with me",
    "I'd like to cancel order #W1200345, I don't need it anymore",
    "WHICH TERMINAL DOES MY FLIGHT LEAVE FROM",
    "thanks, that's everything",
]
UPSET = [
    "my suitcase still hasn't turned up and it's been eight days",
    "the lamp you sent me came with the shade torn",
    "I paid for two seats together and you split us up",
    "why is there a $30 charge I never agreed to",
]


def test_the_detector_reads_calm_and_upset_turns(encoder: Encoder) -> None:
    detector = load_affect(encoder)
    threshold = Empathy().upset
    calm = [a.upset for a in detector.read_texts(CALM)]
    upset = [a.upset for a in detector.read_texts(UPSET)]
    assert all(p is not None and p < threshold for p in calm), calm
    assert all(p is not None and p >= threshold for p in upset), upset


def test_a_turn_read_in_conversation_gets_the_same_probability(encoder: Encoder) -> None:
    """``read`` (a live turn, with the engine's embedding) and ``read_texts`` agree."""
    detector = load_affect(encoder)
    text = UPSET[0]
    vector, states = encoder.encode_with_states(text, "hidden_state_3")
    live = detector.read(text, vector, states=states)
    (alone,) = detector.read_texts([text])
    assert live.upset == alone.upset and live.upset is not None
