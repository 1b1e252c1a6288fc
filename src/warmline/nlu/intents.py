"""Intent classifier: logistic regression over sentence embeddings, saved without pickle.

Trained from a domain pack's examples or any ``(text, intent)`` pairs. ``rank`` returns every
intent with its probability, best first, plus the cosine similarity of the text to its nearest
training example (a first out-of-scope signal: a text far from everything seen is not ours).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.linear_model import LogisticRegression

from warmline.domain.understanding import IntentScore
from warmline.errors import ConfigurationError
from warmline.nlu.embeddings import Encoder

FORMAT_VERSION = 1


class IntentClassifierConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    c: float = Field(20.0, gt=0, description="inverse regularisation strength")
    max_iter: int = Field(2000, ge=10)
    seed: int = 0


class Ranking(BaseModel):
    model_config = ConfigDict(frozen=True)
    scores: list[IntentScore]
    nearest_similarity: float


class IntentClassifier:
    def __init__(self, encoder: Encoder, config: IntentClassifierConfig | None = None) -> None:
        self.encoder = encoder
        self.config = config or IntentClassifierConfig()
        self.classes: list[str] = []
        self._coef: np.ndarray | None = None
        self._intercept: np.ndarray | None = None
        self._examples: np.ndarray | None = None

    @property
    def fitted(self) -> bool:
        return self._coef is not None

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> IntentClassifier:
        if len(texts) != len(labels) or not texts:
            raise ValueError("fit needs as many labels as texts, and at least one")
        if len(set(labels)) < 2:
            raise ValueError("fit needs at least two intents")
        embeddings = self.encoder.encode(list(texts))
        return self.fit_embeddings(embeddings, labels)

    def fit_embeddings(self, embeddings: np.ndarray, labels: Sequence[str]) -> IntentClassifier:
        model = LogisticRegression(
            C=self.config.c, max_iter=self.config.max_iter, random_state=self.config.seed
        )
        model.fit(embeddings, list(labels))
        self.classes = [str(c) for c in model.classes_]
        self._coef = model.coef_.astype(np.float32)
        self._intercept = model.intercept_.astype(np.float32)
        self._examples = embeddings.astype(np.float32)
        return self

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        if self._coef is None or self._intercept is None:
            raise ConfigurationError("the intent classifier is not trained")
        logits = embeddings @ self._coef.T + self._intercept
        if len(self.classes) == 2:  # sklearn's binary form: one column for the second class
            logits = np.concatenate([np.zeros_like(logits), logits], axis=1)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        result: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return result

    def rank_embeddings(self, embeddings: np.ndarray) -> list[Ranking]:
        probs = self.probabilities(embeddings)
        assert self._examples is not None
        nearest = (embeddings @ self._examples.T).max(axis=1)
        rankings = []
        for row, near in zip(probs, nearest, strict=True):
            order = np.argsort(-row)
            scores = [IntentScore(intent=self.classes[i], probability=float(row[i])) for i in order]
            rankings.append(Ranking(scores=scores, nearest_similarity=float(near)))
        return rankings

    def rank(self, texts: Sequence[str]) -> list[Ranking]:
        return self.rank_embeddings(self.encoder.encode(list(texts)))

    def save(self, directory: Path) -> None:
        if self._coef is None or self._intercept is None or self._examples is None:
            raise ConfigurationError("cannot save an untrained intent classifier")
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / "intents.npz",
            coef=self._coef,
            intercept=self._intercept,
            examples=self._examples,
        )
        meta = {
            "format": FORMAT_VERSION,
            "classes": self.classes,
            "encoder": self.encoder.name,
            "config": self.config.model_dump(),
        }
        (directory / "intents.json").write_text(json.dumps(meta, indent=2), "utf-8")

    @classmethod
    def load(cls, directory: Path, encoder: Encoder) -> IntentClassifier:
        try:
            meta = json.loads((directory / "intents.json").read_text("utf-8"))
            arrays = np.load(directory / "intents.npz")
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"no intent model in {directory}: {exc}") from None
        if meta.get("format") != FORMAT_VERSION or meta.get("encoder") != encoder.name:
            raise ConfigurationError(
                f"intent model in {directory} was trained for another format or encoder"
            )
        model = cls(encoder, IntentClassifierConfig(**meta["config"]))
        model.classes = list(meta["classes"])
        model._coef = arrays["coef"]
        model._intercept = arrays["intercept"]
        model._examples = arrays["examples"]
        return model
