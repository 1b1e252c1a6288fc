"""NLU training, prediction and evaluation over CSV files (``warmline nlu ...``).

Training CSV: columns ``text,intent``; rows whose intent is ``oos`` are out-of-scope examples
and train the reject class. A model folder holds the intent classifier and its zone
thresholds (``zones.json``), so ``predict`` and ``eval`` need nothing else.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from warmline.errors import InputError
from warmline.nlu.embeddings import Encoder, load_encoder
from warmline.nlu.engine import clean_text
from warmline.nlu.intents import IntentClassifier, IntentClassifierConfig, Progress, Ranking
from warmline.nlu.metrics import (
    accuracy,
    expected_calibration_error,
    macro_f1,
    oos_scores,
    reliability,
)
from warmline.nlu.zones import OOS, ZoneThresholds, zone_for

TOP_K = 5
GARBAGE_OOS_SCORE = 1e3  # no words at all: out of scope beyond any threshold


def read_csv(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV with at least ``columns``; a clear error names what is wrong."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(
                    f"{path}: missing column(s) {', '.join(missing)}; found {reader.fieldnames}"
                )
            return [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class Prediction:
    text: str
    intent: str
    confidence: float
    zone: str
    reason: str
    ranking: list[tuple[str, float]]
    oos_score: float

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 6),
            "zone": self.zone,
            "reason": self.reason,
            "ranking": [[i, round(p, 6)] for i, p in self.ranking],
        }


class IntentModel:
    """A trained classifier with its zone thresholds: what ``warmline nlu`` saves and loads."""

    def __init__(self, classifier: IntentClassifier, thresholds: ZoneThresholds) -> None:
        self.classifier = classifier
        self.thresholds = thresholds

    @classmethod
    def train(
        cls,
        texts: list[str],
        labels: list[str],
        encoder: Encoder,
        config: IntentClassifierConfig | None = None,
        thresholds: ZoneThresholds | None = None,
        progress: Progress | None = None,
    ) -> IntentModel:
        classifier = IntentClassifier(encoder, config).fit(texts, labels, progress)
        return cls(classifier, thresholds or ZoneThresholds())

    def save(self, directory: Path) -> None:
        self.classifier.save(directory)
        (directory / "zones.json").write_text(self.thresholds.model_dump_json(indent=2), "utf-8")

    @classmethod
    def load(cls, directory: Path, encoder: Encoder) -> IntentModel:
        classifier = IntentClassifier.load(directory, encoder)
        zones = directory / "zones.json"
        thresholds = (
            ZoneThresholds.model_validate_json(zones.read_text("utf-8"))
            if zones.exists()
            else ZoneThresholds()
        )
        return cls(classifier, thresholds)

    def predict(self, texts: list[str], batch: int = 256) -> Iterator[Prediction]:
        for start in range(0, len(texts), batch):
            chunk = texts[start : start + batch]
            cleaned = [clean_text(t) for t in chunk]
            rankings = self.classifier.rank(cleaned)
            for raw, ranking in zip(chunk, rankings, strict=True):
                yield self._prediction(raw, ranking)

    def _prediction(self, text: str, ranking: Ranking) -> Prediction:
        if not clean_text(text) or not any(ch.isalpha() for ch in text):
            top = ranking.scores[0]
            return Prediction(
                text,
                top.intent,
                top.probability,
                "out_of_scope",
                "no words to understand",
                [(s.intent, s.probability) for s in ranking.scores[:TOP_K]],
                GARBAGE_OOS_SCORE,
            )
        zone, reason = zone_for(ranking, self.thresholds, self.classifier.oos_scale.threshold)
        top = ranking.scores[0]
        return Prediction(
            text,
            top.intent,
            top.probability,
            zone,
            reason,
            [(s.intent, s.probability) for s in ranking.scores[:TOP_K]],
            ranking.oos_score,
        )


def train_from_csv(
    data: Path,
    out: Path,
    *,
    progress: Progress | None = None,
    encoder: Encoder | None = None,
    confident: float = 0.55,
    clarify: float = 0.25,
    min_similarity: float = 0.30,
    ngram_weight: float = 0.4,
    out_of_scope: float | None = None,
) -> dict[str, Any]:
    try:
        thresholds = ZoneThresholds(
            confident=confident,
            clarify=clarify,
            min_similarity=min_similarity,
            out_of_scope=out_of_scope,
        )
        config = IntentClassifierConfig(ngram_weight=ngram_weight)
    except ValueError as exc:
        raise InputError(f"invalid training options: {exc}") from None
    rows = read_csv(data, ("text", "intent"))
    texts = [clean_text(r["text"]) for r in rows]
    labels = [r["intent"].strip() for r in rows]
    keep = [i for i, (t, label) in enumerate(zip(texts, labels, strict=True)) if t and label]
    if len({labels[i] for i in keep} - {OOS}) < 2:
        raise InputError(f"{data}: training needs at least two intents besides '{OOS}'")
    started = time.perf_counter()
    model = IntentModel.train(
        [texts[i] for i in keep],
        [labels[i] for i in keep],
        encoder or load_encoder(),
        config,
        thresholds,
        progress,
    )
    model.save(out)
    summary = {
        "rows": len(keep),
        "skipped_rows": len(rows) - len(keep),
        "intents": len(set(model.classifier.classes) - {OOS}),
        "oos_examples": sum(1 for i in keep if labels[i] == OOS),
        "temperature": model.classifier.temperature,
        "oos_cut_off": model.classifier.oos_scale.threshold,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out / "training.json").write_text(json.dumps(summary, indent=2), "utf-8")
    return summary


def predict_csv(
    model_dir: Path, input_csv: Path, output: Path, encoder: Encoder | None = None
) -> int:
    model = IntentModel.load(model_dir, encoder or load_encoder())
    rows = read_csv(input_csv, ("text",))
    output.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with output.open("w", encoding="utf-8") as handle:
        for prediction in model.predict([r["text"] for r in rows]):
            handle.write(json.dumps(prediction.as_json(), ensure_ascii=False) + "\n")
            count += 1
    return count


def evaluate_csv(model_dir: Path, data: Path, encoder: Encoder | None = None) -> dict[str, Any]:
    """Accuracy and macro-F1 on in-scope rows, ECE with a reliability table, and where
    ``oos`` rows exist, OOS recall (zone out_of_scope), AUROC, AUPR and FPR@95."""
    model = IntentModel.load(model_dir, encoder or load_encoder())
    rows = read_csv(data, ("text", "intent"))
    gold = [r["intent"].strip() for r in rows]
    predictions = list(model.predict([r["text"] for r in rows]))
    in_scope = [i for i, g in enumerate(gold) if g != OOS]
    oos = [i for i, g in enumerate(gold) if g == OOS]
    # Closed-set prediction: the best intent that is not the reject class.
    closed = [next((i for i, _ in p.ranking if i != OOS), p.intent) for p in predictions]
    conf = np.array([predictions[i].confidence for i in in_scope])
    correct = np.array([closed[i] == gold[i] for i in in_scope], dtype=float)
    report: dict[str, Any] = {
        "rows": len(rows),
        "accuracy": accuracy([gold[i] for i in in_scope], [closed[i] for i in in_scope]),
        "macro_f1": macro_f1([gold[i] for i in in_scope], [closed[i] for i in in_scope]),
        "ece": expected_calibration_error(conf, correct),
        "reliability": reliability(conf, correct),
        "zones": {
            z: sum(1 for p in predictions if p.zone == z)
            for z in ("confident", "clarify", "out_of_scope")
        },
    }
    if oos:
        is_oos = np.array([g == OOS for g in gold])
        score = np.array([p.oos_score for p in predictions])
        report["oos_recall"] = float(np.mean([predictions[i].zone == "out_of_scope" for i in oos]))
        report["in_scope_accuracy_at_thresholds"] = float(
            np.mean(
                [predictions[i].zone != "out_of_scope" and closed[i] == gold[i] for i in in_scope]
            )
        )
        report |= oos_scores(is_oos, score)
        report["oos_threshold"] = model.thresholds.oos_cut_off(model.classifier.oos_scale.threshold)
        report["tradeoff"] = _tradeoff(
            score, is_oos, np.array([c == g for c, g in zip(closed, gold, strict=True)])
        )
    return report


def _tradeoff(score: np.ndarray, is_oos: np.ndarray, correct: np.ndarray) -> list[dict[str, float]]:
    """In-scope accuracy and OOS recall when the cut-off flags 1, 2, 5 or 10 % of in-scope rows."""
    rows = []
    for rate in (0.01, 0.02, 0.05, 0.10):
        cut = float(np.quantile(score[~is_oos], 1.0 - rate))
        flagged = score >= cut
        rows.append(
            {
                "in_scope_flagged": rate,
                "cut": cut,
                "in_scope_accuracy": float(np.mean(correct[~is_oos] & ~flagged[~is_oos])),
                "oos_recall": float(np.mean(flagged[is_oos])),
            }
        )
    return rows
