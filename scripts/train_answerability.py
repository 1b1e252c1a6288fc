"""Train the answerability model (src/warmline/knowledge/answerability.py) and write its
coefficients (src/warmline/knowledge/answerability.json)::

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python scripts/train_answerability.py

Each question of the knowledge question set's training split (benchmarks/knowledge/train.yaml)
goes through the product's pipeline (the demo packs' knowledge bases, the search, the
extractive answer and its check: ``benchmarks/knowledge_answers.py``); a question worded as
one whose extractive answer is supported is a training row: its figures (the retrieval
support, the chosen passage's cosine, the answer check's score of the chosen passage: for a
training question the cross-fitted one of ``assets/answer-check/cross_fitted.json``, made by
``scripts/train_answer_check.py``, for a dev question the shipped model's) and whether the
answer is right (every key fact and a
gold document cited; an unanswerable question is never right). A logistic regression
(scikit-learn, lbfgs, C=1: deterministic) is fitted to them. The operating point is chosen on
the training and dev splits together: the probability threshold that answers most questions
correctly while abstaining on at least 0.95 of the unanswerable ones. The intercept is then
moved so that the packs' default ``min_support`` (0.65) is that threshold. The test split is
never read."""

from __future__ import annotations

import argparse
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

import knowledge_answers  # noqa: E402
from knowledge_answers import K, facts_in, load_items, open_base  # noqa: E402

from warmline.knowledge import answer_check  # noqa: E402
from warmline.knowledge.answer import ground  # noqa: E402
from warmline.knowledge.answerability import COEFFICIENTS, FEATURES, Model  # noqa: E402
from warmline.policy.knowledge import asks  # noqa: E402

MIN_SUPPORT = 0.65  # the packs' default knowledge.min_support (domain/pack.py)
ABSTENTION = 0.95  # the least share of unanswerable questions the bot must not answer
NEUTRAL = Model(dict.fromkeys(FEATURES, 0.0), 0.0)
CROSS_FITTED = answer_check.ASSETS / "cross_fitted.json"
"""The answer check's scores of the training questions' passages, each by a model trained on
the other half of the questions (``scripts/train_answer_check.py``): a model that saw the
question would score it optimistically, and the regression would trust it too much."""


def checked(
    item: dict[str, Any], chunk: str | None, text: str, scores: dict[str, dict[str, float]]
) -> float | None:
    """The answer check's score of the chosen passage: from ``scores`` where it holds the
    question (the cross-fitted ones of a training question), else the shipped model's
    (0: no passage chosen; None: the question is among those scores but not that passage, as
    when the documents changed since: the shipped check was trained on it, so it is left
    out)."""
    if chunk is None:
        return 0.0
    if item["id"] in scores:
        return scores[item["id"]].get(chunk)
    return answer_check.score(item["question"], text)


async def rows(features: tuple[str, ...], scored: list[Path]) -> list[dict[str, Any]]:
    """Each train and dev question's figures, whether it may be answered at all (worded as a
    question, a supported extractive answer) and whether the answer is right."""
    base, _specs = await open_base()
    crossed: dict[str, dict[str, float]] = {}
    for path in scored if "check" in features else []:
        crossed.update(json.loads(path.read_text("utf-8")))
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
        values = dict(grounding.answerability)
        if "check" in features:
            cited = answer.cited[0].chunk if usable and answer is not None else None
            chosen = [p for p in passages if p.chunk_id == cited]
            text = (
                answer_check.passage_text(chosen[0].section_path, chosen[0].text) if chosen else ""
            )
            check = checked(item, cited, text, crossed)
            if check is None:
                print(f"left out: {item['id']} (no cross-fitted score of {cited})")
                continue
            values["check"] = check
        figures = [values[f] for f in features]
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--features", default=",".join(FEATURES), help="comma-separated")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write")
    parser.add_argument(
        "--scores",
        action="append",
        type=Path,
        help="answer check scores by question and chunk (default: the cross-fitted ones)",
    )
    parser.add_argument(
        "--train", type=Path, default=None, help="the training split (default: train.yaml)"
    )
    args = parser.parse_args()
    if args.train is not None:
        knowledge_answers.TRAIN = args.train
    features = tuple(args.features.split(","))
    data = asyncio.run(rows(features, args.scores or [CROSS_FITTED]))
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
    weights = {f: round(float(w), 4) for f, w in zip(features, fitted.coef_[0], strict=True)}
    model = {
        "weights": weights,
        "intercept": round(float(fitted.intercept_[0]) + shift, 4),
        "threshold": MIN_SUPPORT,
        "fitted_intercept": round(float(fitted.intercept_[0]), 4),
        "probability_at_threshold": threshold,
        "trained_on": "benchmarks/knowledge/train.yaml (split: train), "
        f"{sum(d['split'] == 'train' for d in data)} questions, {len(train)} rows; "
        "operating point chosen on train + dev",
    }
    if not args.dry_run:
        COEFFICIENTS.write_text(json.dumps(model, indent=2) + "\n", "utf-8")
    print(json.dumps(model, indent=2))
    for split in ("train", "dev"):
        part = [i for i, d in enumerate(data) if d["split"] == split]
        right, abstained = outcome([data[i] for i in part], p[part], threshold)
        print(f"{split}: answered right {right:.3f}, abstained {abstained:.3f}")


if __name__ == "__main__":
    main()
