"""Train the answerability model (src/warmline/knowledge/answerability.py) and write its
coefficients (src/warmline/knowledge/answerability.json)::

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python scripts/train_answerability.py

Each question of the knowledge question set's training split (benchmarks/knowledge/train.yaml)
goes through the product's pipeline (the demo packs' knowledge bases, the search, the
extractive answer and its check: ``benchmarks/knowledge_answers.py``); a question worded as
one whose extractive answer is supported is a training row: its figures (the retrieval
support, the chosen passage's cosine) and whether the answer is right (every key fact and a
gold document cited; an unanswerable question is never right). A logistic regression
(scikit-learn, lbfgs, C=1: deterministic) is fitted to them. The operating point is chosen on
the training and dev splits together: the probability threshold that answers most questions
correctly while abstaining on at least 0.95 of the unanswerable ones. The intercept is then
moved so that the packs' default ``min_support`` (0.65) is that threshold. The test split is
never read."""

from __future__ import annotations

import asyncio
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from knowledge_answers import K, facts_in, load_items, open_base  # noqa: E402

from warmline.knowledge.answer import ground  # noqa: E402
from warmline.knowledge.answerability import COEFFICIENTS, FEATURES, Model  # noqa: E402
from warmline.policy.knowledge import asks  # noqa: E402

MIN_SUPPORT = 0.65  # the packs' default knowledge.min_support (domain/pack.py)
ABSTENTION = 0.95  # the least share of unanswerable questions the bot must not answer
NEUTRAL = Model(dict.fromkeys(FEATURES, 0.0), 0.0)


async def rows() -> list[dict[str, Any]]:
    """Each train and dev question's figures, whether it may be answered at all (worded as a
    question, a supported extractive answer) and whether the answer is right."""
    base, _specs = await open_base()
    out = []
    for item in load_items():
        if item["split"] not in ("train", "dev"):
            continue
        passages = await base.search(item["pack"], item["question"], k=K)
        grounding = ground(item["question"], passages, model=NEUTRAL)
        answer = grounding.extractive
        usable = bool(asks(item["question"]) and answer is not None and answer.supported)
        answerable = item.get("answerable", True)
        right = bool(
            usable
            and answerable
            and answer is not None
            and facts_in(answer.text, item["answer"]["must_contain"])
            and answer.cited
            and answer.cited[0].doc in {g["doc"] for g in item["gold"]}
        )
        figures = [grounding.answerability[f] for f in FEATURES]
        out.append(
            dict(
                split=item["split"],
                answerable=answerable,
                usable=usable,
                right=right,
                kind=item.get("kind", "answerable"),
                x=figures,
            )
        )
    return out


def outcome(data: list[dict[str, Any]], p: np.ndarray, threshold: float) -> tuple[float, float]:
    """(share of answerable questions answered right, share of unanswerable ones abstained)."""
    answered = [d["usable"] and pi >= threshold for d, pi in zip(data, p, strict=True)]
    yes = [a and d["right"] for d, a in zip(data, answered, strict=True) if d["answerable"]]
    no = [not a for d, a in zip(data, answered, strict=True) if not d["answerable"]]
    return sum(yes) / max(1, len(yes)), sum(no) / max(1, len(no))


def main() -> None:
    data = asyncio.run(rows())
    train = [d for d in data if d["split"] == "train" and d["usable"]]
    fitted = LogisticRegression(C=1.0, max_iter=5000).fit(
        np.array([d["x"] for d in train]), np.array([int(d["right"]) for d in train])
    )
    both = np.array([d["x"] for d in data])
    p = fitted.predict_proba(both)[:, 1]
    best = (0.0, 0.5)
    for step in range(5, 100):
        threshold = step / 100
        right, abstained = outcome(data, p, threshold)
        if abstained >= ABSTENTION and right >= best[0]:  # ties: the stricter threshold
            best = (right, threshold)
    threshold = best[1]
    shift = math.log(MIN_SUPPORT / (1 - MIN_SUPPORT)) - math.log(threshold / (1 - threshold))
    weights = {f: round(float(w), 4) for f, w in zip(FEATURES, fitted.coef_[0], strict=True)}
    model = {
        "weights": weights,
        "intercept": round(float(fitted.intercept_[0]) + shift, 4),
        "threshold": MIN_SUPPORT,
        "fitted_intercept": round(float(fitted.intercept_[0]), 4),
        "probability_at_threshold": threshold,
        "trained_on": "benchmarks/knowledge/train.yaml (split: train), "
        f"{len(train)} rows; operating point chosen on train + dev",
    }
    COEFFICIENTS.write_text(json.dumps(model, indent=2) + "\n", "utf-8")
    print(json.dumps(model, indent=2))
    for split in ("train", "dev"):
        part = [i for i, d in enumerate(data) if d["split"] == split]
        right, abstained = outcome([data[i] for i in part], p[part], threshold)
        print(f"{split}: answered right {right:.3f}, abstained {abstained:.3f}")


if __name__ == "__main__":
    main()
