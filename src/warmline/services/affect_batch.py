"""Affect over a file: the ``warmline affect predict`` contract.

Input: a UTF-8 CSV with a ``text`` column (other columns are ignored). Output: JSON lines, one
per row in input order, each::

    {"text", "negative", "frustration", "urgency", "confusion", "sentiment", "cues", "turn"}

``negative`` ... ``confusion`` are the affect model's calibrated probabilities of the whole
text, and ``sentiment`` (negative / neutral / positive / ambiguous) its most probable sentiment
group. ``turn`` holds the same five fields as a live turn reads the text (clause by clause, with
the lexical cues' floors in ``cues``), which is what the policy acts on; those are scores, not
calibrated probabilities. Each row is read on its own, with no conversation. Other tools depend
on these field names: add fields, never rename or drop one.
"""

from __future__ import annotations

import json
from pathlib import Path

from warmline.nlu.affect import SENTIMENTS, AffectConfig, load_affect
from warmline.nlu.embeddings import Encoder, load_encoder
from warmline.services.training import read_csv

BATCH = 256
SCORES = ("negative", "frustration", "urgency", "confusion")


def predict_affect_csv(
    input_csv: Path,
    output: Path,
    *,
    affect_dir: Path | None = None,
    encoder: Encoder | None = None,
) -> int:
    """Write one JSON object per row of ``input_csv`` to ``output``; return the row count."""
    detector = load_affect(encoder or load_encoder(), AffectConfig(model_dir=affect_dir))
    texts = [row["text"] for row in read_csv(input_csv, ("text",))]
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as handle:
        for start in range(0, len(texts), BATCH):
            chunk = texts[start : start + BATCH]
            for text, affect in zip(chunk, detector.read_texts(chunk), strict=True):
                model = affect.model
                record = {
                    "text": text,
                    **{k: model[k] for k in SCORES},
                    "sentiment": max(SENTIMENTS, key=lambda s: model[s]),
                    "cues": affect.cues,
                    "turn": {
                        **{k: getattr(affect, k) for k in SCORES},
                        "sentiment": affect.sentiment,
                    },
                }
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(texts)
