"""Intent classifier: calibrated logistic regression over sentence embeddings, optionally
fused with a character and word n-gram model, saved without pickle.

* Two views of the text: the sentence embedding (meaning) and TF-IDF word 1-2-grams plus
  character 2-5-grams (surface form, which keeps misspellings close to their word). Each view
  has its own logistic regression; their log-probabilities are mixed with ``ngram_weight``.
* Calibration: a temperature fitted on logits of held-out folds of the training data
  (temperature scaling), so a probability of 0.8 is right about 80 % of the time.
* Robustness: every training text also trains, at ``typo_weight``, as a copy with keyboard
  typos in about a tenth of its words (``typos.py``); an intent with fewer than
  ``SMALL_DATA_PER_CLASS`` examples also learns from its own name in words.
* Spelling: before ranking, a word neither in the training texts nor in English is corrected to
  the nearest known word, and text-speak is written out (``spelling.py``); both views read the
  corrected text. A row given with its embedding (``rank_embeddings``) is re-encoded when its
  text changed.
* Out of scope: ``oos_score`` (``oos.py``) is fitted on the same held-out folds as the
  temperature. Examples labelled ``oos`` train a reject class of their own.

* Nearest example: cosines are taken in the top ``NEAREST_DIMENSIONS`` singular directions of
  the training embeddings (rows re-normalised), which keeps the distances that matter and reads a
  quarter of the memory per prediction.

``rank`` returns the ``RANKED`` best intents with their probabilities, best first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from warmline.domain.understanding import IntentScore
from warmline.errors import ConfigurationError
from warmline.nlu import tfidf
from warmline.nlu.calibration import fit_temperature, softmax
from warmline.nlu.embeddings import Encoder
from warmline.nlu.oos import OOS, OosScale
from warmline.nlu.spelling import Speller
from warmline.nlu.typos import typo_set

FORMAT_VERSION = 5
SMALL_DATA_PER_CLASS = 30
NEAREST_DIMENSIONS = 256
RANKED = 10
FEW_TEXTS = 16  # at most this many texts, the n-gram view reads them one at a time
TYPO_RATE = 0.10
Progress = Callable[[str, float], None]


class IntentClassifierConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    c: float = Field(40.0, gt=0, description="inverse regularisation of the embedding view")
    ngram_c: float = Field(10.0, gt=0, description="inverse regularisation of the n-gram view")
    ngram_weight: float = Field(0.4, ge=0, le=1, description="share of the n-gram view; 0 = off")
    calibration_folds: int = Field(5, ge=0, description="folds for the temperature; 0 = none")
    typo_weight: float = Field(
        0.5, ge=0, le=1, description="weight of one keyboard-typo copy of every example; 0 = none"
    )
    name_examples: bool = Field(
        True, description="an intent with few examples also learns from its own name"
    )
    spelling: bool = Field(
        True, description="correct unknown words and write out text-speak before ranking"
    )
    max_iter: int = Field(3000, ge=10)
    seed: int = 0


@dataclass(frozen=True)
class Copies:
    """Altered copies of the training rows, one per row in the same order, and their weight."""

    embeddings: np.ndarray
    texts: list[str]
    weight: float

    def take(self, rows: np.ndarray) -> Copies:
        return Copies(self.embeddings[rows], [self.texts[i] for i in rows], self.weight)


class Ranking(BaseModel):
    model_config = ConfigDict(frozen=True)
    scores: list[IntentScore]
    nearest_similarity: float
    oos_score: float


def _ngrams() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        lowercase=True,
        sublinear_tf=True,
        min_df=1,
        max_features=200_000,
    )


def _words() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        lowercase=True,
        sublinear_tf=True,
        token_pattern=r"(?u)\b\w+\b",
    )


class IntentClassifier:
    def __init__(self, encoder: Encoder, config: IntentClassifierConfig | None = None) -> None:
        self.encoder = encoder
        self.config = config or IntentClassifierConfig()
        self.classes: list[str] = []
        self.temperature = 1.0
        self.oos_scale = OosScale()
        self._coef: np.ndarray | None = None
        self._intercept: np.ndarray | None = None
        self._examples: np.ndarray | None = None
        self._projection: np.ndarray | None = None
        self._chars: TfidfVectorizer | None = None
        self._words: TfidfVectorizer | None = None
        self._ngram_coef: np.ndarray | None = None
        self._ngram_coef_t: np.ndarray | None = None  # features x classes, contiguous: fast
        self._ngram_intercept: np.ndarray | None = None
        self._sparse_logits: tfidf.SparseLogits | None = None  # the n-gram view, one text at a time
        self.speller: Speller | None = None

    # -- training -------------------------------------------------------------------------

    def fit(
        self, texts: Sequence[str], labels: Sequence[str], progress: Progress | None = None
    ) -> IntentClassifier:
        if len(texts) != len(labels) or not texts:
            raise ValueError("fit needs as many labels as texts, and at least one")
        if len(set(labels)) < 2:
            raise ValueError("fit needs at least two intents")
        report = progress or (lambda _stage, _share: None)
        texts, labels = list(texts), list(labels)
        if self.config.name_examples:
            texts, labels = _with_names(texts, labels)
        embeddings = self._encode(texts, report, "encoding")
        copies = None
        if self.config.typo_weight > 0:
            typed = typo_set(texts, TYPO_RATE, self.config.seed + 1)
            copies = Copies(
                self._encode(typed, report, "typo copies"), typed, self.config.typo_weight
            )
        return self.fit_embeddings(embeddings, texts, labels, report, copies)

    def _encode(
        self, texts: list[str], report: Progress, stage: str, batch: int = 256
    ) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), batch):
            parts.append(self.encoder.encode(texts[start : start + batch]))
            report(stage, min(1.0, (start + batch) / len(texts)))
        return np.vstack(parts).astype(np.float32)

    def fit_embeddings(
        self,
        embeddings: np.ndarray,
        texts: Sequence[str],
        labels: Sequence[str],
        progress: Progress | None = None,
        copies: Copies | None = None,
    ) -> IntentClassifier:
        """Fit on embedded rows; ``copies`` (typo copies of the same rows) train the two views
        at their weight but are never held out, compared with, or used to calibrate."""
        report = progress or (lambda _stage, _share: None)
        texts = list(texts)
        report("training", 0.0)
        y_idx = self._fit_views(embeddings, texts, labels, copies)
        self.speller = Speller.from_texts(texts) if self.config.spelling else None
        self._projection = _projection(embeddings)
        self._examples = self._near_space(embeddings)
        report("training", 0.5)
        if self.config.calibration_folds > 0:
            self.temperature, self.oos_scale = self._calibrate(
                embeddings, texts, y_idx, report, copies
            )
        report("calibrating", 1.0)
        return self

    def _fit_views(
        self,
        embeddings: np.ndarray,
        texts: list[str],
        labels: Sequence[str],
        copies: Copies | None = None,
    ) -> np.ndarray:
        """Fit both views' regressions; return the labels as class indices."""
        self.classes = sorted(set(labels))
        index = {c: i for i, c in enumerate(self.classes)}
        y_idx = np.array([index[c] for c in labels])
        y_all, weights = y_idx, None
        if copies is not None:
            embeddings = np.vstack([embeddings, copies.embeddings])
            texts = texts + copies.texts
            y_all = np.concatenate([y_idx, y_idx])
            weights = np.concatenate([np.ones(len(y_idx)), np.full(len(y_idx), copies.weight)])
        self._coef, self._intercept = self._fit_view(embeddings, y_all, self.config.c, weights)
        if self.config.ngram_weight > 0:
            self._chars, self._words = _ngrams(), _words()
            grams = self._fit_ngrams(texts)
            self._ngram_coef, self._ngram_intercept = self._fit_view(
                grams, y_all, self.config.ngram_c, weights
            )
            self._ngram_coef_t = np.ascontiguousarray(self._ngram_coef.T)
            self._sparse_logits = None
        return y_idx

    def _fit_view(
        self,
        x: np.ndarray | sparse.spmatrix,
        y: np.ndarray,
        c: float,
        weights: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        model = LogisticRegression(
            C=c, max_iter=self.config.max_iter, random_state=self.config.seed
        )
        model.fit(x, y, sample_weight=weights)
        coef, intercept = model.coef_, model.intercept_
        if coef.shape[0] == 1:  # binary: sklearn keeps one row, for the second class
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([[0.0], intercept])
        return coef.astype(np.float32), intercept.astype(np.float32)

    def _fit_ngrams(self, texts: list[str]) -> sparse.csr_matrix:
        assert self._chars is not None and self._words is not None
        return sparse.hstack(
            [self._chars.fit_transform(texts), self._words.fit_transform(texts)]
        ).tocsr()

    def _grams(self, texts: list[str]) -> sparse.csr_matrix:
        assert self._chars is not None and self._words is not None
        chars, words = tfidf.transform(self._chars, texts), tfidf.transform(self._words, texts)
        return sparse.hstack([chars, words]).tocsr()

    def _calibrate(
        self,
        embeddings: np.ndarray,
        texts: list[str],
        y: np.ndarray,
        report: Progress,
        copies: Copies | None = None,
    ) -> tuple[float, OosScale]:
        """The temperature and the out-of-scope scale, both from held-out folds."""
        folds = self.config.calibration_folds
        if len(y) / len(self.classes) < SMALL_DATA_PER_CLASS:
            folds = min(folds, 3)  # small packs: fewer refits, start-up stays quick
        smallest = int(np.bincount(y).min())
        folds = min(folds, smallest)
        if folds < 2:
            return 1.0, OosScale()
        held_out = np.zeros((len(y), len(self.classes)), dtype=np.float64)
        nearest = np.zeros(len(y), dtype=np.float64)
        space = self._near_space(embeddings)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.config.seed)
        for n, (train, test) in enumerate(splitter.split(embeddings, y)):
            fold = IntentClassifier(self.encoder, self.config)
            fold._fit_views(
                embeddings[train],
                [texts[i] for i in train],
                [self.classes[i] for i in y[train]],
                copies.take(train) if copies is not None else None,
            )
            logits = fold._logits(embeddings[test], [texts[i] for i in test])
            # A fold may miss a rare class: map its columns onto the full class list.
            columns = [self.classes.index(c) for c in fold.classes]
            full = np.full((len(test), len(self.classes)), -1e4)
            full[:, columns] = logits
            held_out[test] = full
            nearest[test] = (space[test] @ space[train].T).max(axis=1)
            report("calibrating", (n + 1) / folds)
        temperature = fit_temperature(held_out, y)
        if len(y) / len(self.classes) < SMALL_DATA_PER_CLASS:
            # With a handful of examples per intent the held-out estimate is too noisy to
            # trust a sharpening; only softening is allowed.
            temperature = max(temperature, 1.0)
        in_scope = np.array([self.classes[i] != OOS for i in y])
        probabilities = softmax(held_out[in_scope], temperature)
        return temperature, OosScale.fit(
            self._top_in_scope(probabilities), nearest[in_scope], self._reject(probabilities)
        )

    def _near_space(self, embeddings: np.ndarray) -> np.ndarray:
        """Embeddings as compared with the training examples: projected, unit length."""
        if self._projection is None:
            return embeddings.astype(np.float32)
        projected = embeddings @ self._projection
        norms = np.linalg.norm(projected, axis=1, keepdims=True)
        return np.asarray(projected / np.maximum(norms, 1e-12), dtype=np.float32)

    def _reject(self, probabilities: np.ndarray) -> np.ndarray:
        """The reject class's probability, or zeros when the model has none."""
        if OOS not in self.classes:
            return np.zeros(len(probabilities))
        result: np.ndarray = probabilities[:, self.classes.index(OOS)]
        return result

    def _top_in_scope(self, probabilities: np.ndarray) -> np.ndarray:
        """The highest probability among the real intents (the reject class left out)."""
        if OOS in self.classes:
            probabilities = np.delete(probabilities, self.classes.index(OOS), axis=1)
        result: np.ndarray = probabilities.max(axis=1)
        return result

    # -- prediction -----------------------------------------------------------------------

    def _logits(self, embeddings: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        if self._coef is None or self._intercept is None:
            raise ConfigurationError("the intent classifier is not trained")
        logits = embeddings @ self._coef.T + self._intercept
        if self._ngram_coef_t is not None and self._ngram_intercept is not None:
            w = self.config.ngram_weight
            ngram_logits = self._ngram_logits(list(texts)) + self._ngram_intercept
            # Mix log-probabilities of the two views: a product of experts.
            logits = (1 - w) * _log_softmax(logits) + w * _log_softmax(np.asarray(ngram_logits))
        return np.asarray(logits, dtype=np.float64)

    def _ngram_logits(self, texts: list[str]) -> np.ndarray:
        """The n-gram view's logits less its intercept: a turn's few texts one at a time
        (``tfidf.SparseLogits``), a training fold's many through sparse matrices."""
        assert self._ngram_coef_t is not None and self._chars is not None
        assert self._words is not None
        if len(texts) > FEW_TEXTS:
            # float32 like the weights: a float64 matrix would make scipy copy the weights.
            return np.asarray(self._grams(texts).astype(np.float32) @ self._ngram_coef_t)
        if self._sparse_logits is None:
            views = [self._chars, self._words]
            self._sparse_logits = tfidf.SparseLogits(views, self._ngram_coef_t)
        return self._sparse_logits(texts)

    def probabilities(self, embeddings: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        return softmax(self._logits(embeddings, texts), self.temperature)

    def corrected(self, texts: Sequence[str]) -> list[str]:
        """The texts as ranked: spelling corrected when the model does that."""
        if self.speller is None:
            return list(texts)
        return [self.speller.correct(t) for t in texts]

    def rank_embeddings(self, embeddings: np.ndarray, texts: Sequence[str]) -> list[Ranking]:
        """Rank rows given with their embeddings; a row whose text the spelling correction
        changes is re-encoded, so that both views read the corrected text."""
        fixed = self.corrected(texts)
        changed = [i for i, (a, b) in enumerate(zip(texts, fixed, strict=True)) if a != b]
        if changed:
            embeddings = np.array(embeddings, copy=True)
            embeddings[changed] = self.encoder.encode([fixed[i] for i in changed])
        return self._rank(embeddings, fixed)

    def _rank(self, embeddings: np.ndarray, texts: Sequence[str]) -> list[Ranking]:
        probs = self.probabilities(embeddings, texts)
        assert self._examples is not None
        nearest = (self._near_space(embeddings) @ self._examples.T).max(axis=1)
        oos = self.oos_scale.score(self._top_in_scope(probs), nearest, self._reject(probs))
        rankings = []
        for row, near, score in zip(probs, nearest, oos, strict=True):
            order = np.argsort(-row)[:RANKED].tolist()
            values = row.tolist()  # Python floats, as float() gives
            # pydantic-core validates these plain values faster than model_construct copies them
            scores = [IntentScore(intent=self.classes[i], probability=values[i]) for i in order]
            rankings.append(
                Ranking(scores=scores, nearest_similarity=float(near), oos_score=float(score))
            )
        return rankings

    def rank(self, texts: Sequence[str]) -> list[Ranking]:
        fixed = self.corrected(texts)
        return self._rank(self.encoder.encode(fixed), fixed)

    # -- storage --------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        if self._coef is None or self._intercept is None or self._examples is None:
            raise ConfigurationError("cannot save an untrained intent classifier")
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "coef": self._coef,
            "intercept": self._intercept,
            "examples": self._examples,
        }
        if self._projection is not None:
            arrays["projection"] = self._projection
        meta: dict[str, object] = {
            "format": FORMAT_VERSION,
            "classes": self.classes,
            "encoder": self.encoder.name,
            "config": self.config.model_dump(),
            "temperature": self.temperature,
            "oos_scale": self.oos_scale.model_dump(),
        }
        if self._ngram_coef is not None and self._chars is not None and self._words is not None:
            arrays |= {
                "ngram_coef": self._ngram_coef,
                "ngram_intercept": self._ngram_intercept,  # type: ignore[dict-item]
                "chars_idf": self._chars.idf_,
                "words_idf": self._words.idf_,
            }
            meta["chars_vocabulary"] = {k: int(v) for k, v in self._chars.vocabulary_.items()}
            meta["words_vocabulary"] = {k: int(v) for k, v in self._words.vocabulary_.items()}
        if self.speller is not None:
            meta["spelling_words"] = self.speller.words
        np.savez_compressed(directory / "intents.npz", **arrays)  # type: ignore[arg-type]
        (directory / "intents.json").write_text(json.dumps(meta), "utf-8")

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
        model.temperature = float(meta["temperature"])
        model.oos_scale = OosScale.model_validate(meta["oos_scale"])
        model._coef = arrays["coef"]
        model._intercept = arrays["intercept"]
        model._examples = arrays["examples"]
        model._projection = arrays.get("projection", None)
        if "spelling_words" in meta:
            model.speller = Speller(meta["spelling_words"])
        if "ngram_coef" in arrays:
            model._chars, model._words = _ngrams(), _words()
            model._chars.vocabulary_ = meta["chars_vocabulary"]
            model._chars.idf_ = arrays["chars_idf"]
            model._words.vocabulary_ = meta["words_vocabulary"]
            model._words.idf_ = arrays["words_idf"]
            model._ngram_coef = arrays["ngram_coef"]
            model._ngram_coef_t = np.ascontiguousarray(model._ngram_coef.T)
            model._ngram_intercept = arrays["ngram_intercept"]
        return model


def _with_names(texts: list[str], labels: list[str]) -> tuple[list[str], list[str]]:
    """One more example for each intent with few: its name in words ("card_arrival" gives
    "card arrival"). The reject class has no meaningful name and gets none."""
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    names = [c for c, n in sorted(counts.items()) if n < SMALL_DATA_PER_CLASS and c != OOS]
    spoken = [" ".join(c.replace("_", " ").replace("-", " ").split()) for c in names]
    return texts + spoken, labels + names


def _projection(embeddings: np.ndarray) -> np.ndarray | None:
    """The top right-singular vectors of the training embeddings (dimension x k), or ``None``
    when the embeddings are already small enough to compare as they are."""
    k = min(NEAREST_DIMENSIONS, embeddings.shape[0] - 1)
    if embeddings.shape[1] <= NEAREST_DIMENSIONS or k < 2:
        return None
    from sklearn.decomposition import TruncatedSVD

    svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=4, random_state=0)
    svd.fit(embeddings)
    return np.ascontiguousarray(svd.components_.T, dtype=np.float32)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    result: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return result
