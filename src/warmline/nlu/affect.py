"""Affect: how the customer seems to feel in one turn, and across the conversation.

Three parts:

* **The affect model** (``affect_models.py``) reuses what the shared encoder computed for the
  turn: the shipped one runs the encoder's last two layers, fine-tuned on GoEmotions, on the
  encoder's own token states. Targets are groups of GoEmotions' 27 emotions (``GROUPS``,
  documented in docs/affect.md); each probability is Platt-scaled on a held-out fifth of the
  training set, so 0.7 means about 70 %. Its **screen** (``AffectScreen``, ``screen``
  in ``AffectConfig``, on by default) reads the pooled embedding first, with a linear head per
  target, and the tail runs only when a distress target could be high; most support turns
  ("where is my reservation?") keep the screen's calibrated reading (``Affect.reader``).
* **Cues** (``affect_cues.py``, and the conversation here) raise the scores where the surface
  of the chat is stronger evidence than a single-comment model: shouting, profanity, "third time
  I ask", threats to leave, urgent and confused wording, the same request rephrased (cosine of
  the turn with an earlier one), and negativity rising over the last turns. ``CUE_FLOORS`` gives
  each cue's floor; ``Affect.model`` keeps the model's own figures.
* **The upset detector** (``upset.py``): from the same embedding and the turn's cues, the
  calibrated probability that the customer is upset, trained on support messages rather than
  comments (``Affect.upset``); the acknowledgement decision reads it (``policy/empathy.py``).

With ``clause_reading``, the distress targets (negative, frustration, urgency, confusion) are also
read clause by clause and the highest kept, for a complaint wrapped round a request.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from warmline.domain.understanding import Affect, AffectReader, Sentiment, TurnContext
from warmline.errors import ConfigurationError
from warmline.nlu.affect_cues import trouble_in, turn_cues
from warmline.nlu.affect_models import GROUPS, AffectModel, AffectScreen, load_affect_model
from warmline.nlu.embeddings import Encoder
from warmline.nlu.upset import UpsetModel, load_upset_model

__all__ = ["GROUPS", "AffectConfig", "AffectDetector", "clauses", "load_affect"]

SENTIMENTS: tuple[Sentiment, ...] = ("negative", "neutral", "positive", "ambiguous")

# The least each score is when a cue is present (conversation cues need the context).
CUE_FLOORS: dict[str, dict[str, float]] = {
    "shouting": {"frustration": 0.65, "negative": 0.65},
    "profanity": {"frustration": 0.7, "negative": 0.75},
    "repeat_complaint": {"frustration": 0.75, "negative": 0.7},
    "leave_threat": {"frustration": 0.85, "negative": 0.85},
    "urgent_words": {"urgency": 0.75},
    "confused_words": {"confusion": 0.75},
    "rephrasing": {"frustration": 0.6},
    "rising_negativity": {"frustration": 0.6},
}


CLAUSE_TARGETS = ("negative", "frustration", "urgency", "confusion")
_CLAUSE_BREAK = re.compile(r"[.!?;]+\s+|,\s+|\s+but\s+", re.I)


def clauses(text: str) -> list[str]:
    """The clauses of a text with two words or more, when it has at least two; else none."""
    found = [c for c in _CLAUSE_BREAK.split(text) if len(c.split()) >= 2]
    return found if len(found) >= 2 else []


class AffectConfig(BaseModel):
    """How the detector reads a conversation."""

    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())
    model_dir: Path | None = Field(
        None, description="folder with an affect model (affect.json); None: the shipped one"
    )
    clause_reading: bool = Field(
        False, description="also read the distress targets clause by clause, keeping the highest"
    )
    upset_dir: Path | None = Field(
        None, description="folder with an upset detector (upset.json); None: the shipped one"
    )
    screen: bool = Field(
        True,
        description="run the affect model only on turns its screen (screen.json beside it) "
        "says could be distressed; the others keep the screen's calibrated reading",
    )
    rephrase_similarity: float = Field(
        0.75, ge=0.0, le=1.0, description="cosine at or above which a turn repeats an earlier one"
    )
    rephrase_turns: int = Field(3, ge=0, description="earlier turns compared for rephrasing")
    rising_turns: int = Field(3, ge=2, description="turns whose negative score must rise")
    rising_min: float = Field(0.5, ge=0.0, le=1.0, description="negative score the rise ends at")


class AffectDetector:
    """Reads affect from a turn's embedding, its words and the conversation before it."""

    def __init__(
        self,
        encoder: Encoder,
        model: AffectModel,
        config: AffectConfig | None = None,
        upset: UpsetModel | None = None,
        screen: AffectScreen | None = None,
    ) -> None:
        # The weights, not the arithmetic: one file run in int8 or float32 gives the same states
        # up to rounding (benchmarks: affect_targets.py --precision).
        if model.encoder_name != encoder.weights_name:
            raise ConfigurationError(
                f"the affect model was trained on encoder '{model.encoder_name}', not "
                f"'{encoder.weights_name}'; train one for this encoder with scripts/train_affect.py"
            )
        if upset is not None and upset.encoder_name != encoder.weights_name:
            raise ConfigurationError(
                f"the upset detector was trained on encoder '{upset.encoder_name}', not "
                f"'{encoder.weights_name}'; train one with scripts/build_upset_set.py train"
            )
        self.upset = upset
        self.encoder = encoder
        self.model = model
        self.config = config or AffectConfig()
        self._index = {name: i for i, name in enumerate(model.targets)}
        self._own: AffectReader = "tail" if model.state_output is not None else "linear"
        self.screen = screen
        self._screen_order = self._screen_columns(screen) if screen is not None else []
        self._vectors: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def _screen_columns(self, screen: AffectScreen) -> list[int]:
        """Where each of the model's targets is among the screen's (it stands in for them all)."""
        if screen.encoder_name != self.encoder.weights_name:
            raise ConfigurationError(
                f"the affect screen was trained on encoder '{screen.encoder_name}', not "
                f"'{self.encoder.weights_name}'; train one with scripts/train_affect_screen.py"
            )
        missing = set(self.model.targets) - set(screen.model.targets)
        if missing:
            raise ConfigurationError(f"the affect screen reads no {', '.join(sorted(missing))}")
        return [screen.model.targets.index(t) for t in self.model.targets]

    def read_texts(self, texts: Sequence[str]) -> list[Affect]:
        """Each text on its own, with no conversation around it."""
        if not texts:
            return []
        embeddings, states = self._encoded(list(texts))
        whole, readers = self._reading(list(texts), embeddings, states)
        clause = self._with_clauses(list(texts), whole)
        cues = [turn_cues(t) for t in texts]
        upset = self._upset(embeddings, cues)
        return [
            self._combine(t, w, c, found, 0, u, r)
            for t, w, c, found, u, r in zip(texts, whole, clause, cues, upset, readers, strict=True)
        ]

    def model_probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """The model's calibrated probabilities of every target, whole texts, no cues, never
        screened: the affect model's own reading."""
        if not texts:
            return np.zeros((0, len(self._index)))
        embeddings, states = self._encoded(list(texts))
        return self.model.probabilities(embeddings, states)

    def _probabilities(
        self,
        texts: list[str],
        embeddings: NDArray[np.float32] | None = None,
        states: list[NDArray[np.float32]] | None = None,
    ) -> NDArray[np.float64]:
        """The probabilities for ``texts`` as a turn reads them (screened), encoding what was
        not given."""
        return self._reading(texts, embeddings, states)[0]

    def _reading(
        self,
        texts: list[str],
        embeddings: NDArray[np.float32] | None = None,
        states: list[NDArray[np.float32]] | None = None,
    ) -> tuple[NDArray[np.float64], list[AffectReader]]:
        """The calibrated probabilities for ``texts`` and which model gave each row: the
        screen's where it reads no distress target that could be high, else the model's."""
        if embeddings is None or (self.model.state_output is not None and states is None):
            embeddings, states = self._encoded(texts)
        if self.screen is None:
            return self.model.probabilities(embeddings, states), [self._own] * len(texts)
        screened, needs = self.screen.read(embeddings)
        probs = screened[:, self._screen_order]
        readers: list[AffectReader] = ["screen"] * len(texts)
        rows = np.flatnonzero(needs)
        if len(rows):
            given = None if states is None else [states[i] for i in rows]
            probs[rows] = self.model.probabilities(embeddings[rows], given)
            for i in rows:
                readers[i] = self._own
        return probs, readers

    def _encoded(
        self, texts: list[str]
    ) -> tuple[NDArray[np.float32], list[NDArray[np.float32]] | None]:
        """The embeddings of ``texts`` and, when the model reads them, their token states."""
        name = self.model.state_output
        if name is None:
            return self.encoder.encode(texts), None
        pairs = [self.encoder.encode_with_states(t, name) for t in texts]
        return np.vstack([e for e, _ in pairs]), [st for _, st in pairs]

    def _upset(self, embeddings: NDArray[np.float32], cues: list[list[str]]) -> list[float | None]:
        """The upset detector's probability for each turn (None without a detector)."""
        if self.upset is None:
            return [None] * len(cues)
        return [round(float(p), 4) for p in self.upset.probabilities(embeddings, cues)]

    def _with_clauses(self, texts: list[str], probs: NDArray[np.float64]) -> NDArray[np.float64]:
        """Distress targets read clause by clause too, keeping the highest: a complaint wrapped
        round a request ("this is so annoying, where is my booking?") is diluted when the
        sentence is pooled whole."""
        if not self.config.clause_reading:
            return probs
        owner, parts = [], []
        for i, text in enumerate(texts):
            for clause in clauses(text):
                owner.append(i)
                parts.append(clause)
        if not parts:
            return probs
        result = probs.copy()
        columns = [self._index[t] for t in CLAUSE_TARGETS if t in self._index]
        for i, row in zip(owner, self._probabilities(parts), strict=True):
            result[i, columns] = np.maximum(result[i, columns], row[columns])
        return result

    def read(
        self,
        text: str,
        embedding: NDArray[np.float32],
        context: TurnContext | None = None,
        intent: str | None = None,
        values: Sequence[str] = (),
        states: NDArray[np.float32] | None = None,
    ) -> Affect:
        """One turn of a conversation: ``embedding`` is the turn's, as the encoder gave it, and
        ``states`` its token states of ``model.state_output`` when the model reads those;
        ``intent`` and ``values`` are what the turn was read as (top intent, entity values)."""
        context = context or TurnContext()
        self._remember(text, embedding)
        whole, (reader,) = self._reading(
            [text], embedding[None, :], None if states is None else [states]
        )
        row = self._with_clauses([text], whole)[0]
        cues = turn_cues(text)
        (upset,) = self._upset(embedding[None, :], [cues])
        repeats = self._repeats(embedding, context, intent, set(values))
        if repeats:
            cues.append("rephrasing")
        negative = float(row[self._index["negative"]])
        if self._rising(context.recent_negative, negative):
            cues.append("rising_negativity")
        return self._combine(text, whole[0], row, cues, repeats, upset, reader)

    def _combine(
        self,
        text: str,
        whole: NDArray[np.float64],
        clause: NDArray[np.float64],
        cues: list[str],
        repeats: int,
        upset: float | None = None,
        reader: AffectReader = "tail",
    ) -> Affect:
        """``model`` is the whole text's calibrated reading (by ``reader``); the scores start
        from the clause reading and rise to the cues' floors; the trouble ``text`` tells of and
        the upset detector's probability are kept beside."""
        probabilities, chosen = whole.tolist(), clause.tolist()  # Python floats, as float() gives
        model = {t: round(probabilities[i], 4) for t, i in self._index.items()}
        scores = {t: chosen[self._index[t]] for t in CLAUSE_TARGETS}
        for cue in cues:
            for target, floor in CUE_FLOORS.get(cue, {}).items():
                scores[target] = max(scores[target], floor)
        scores["negative"] = max(scores["negative"], scores["frustration"])
        return Affect.model_validate(
            {
                **{k: round(v, 4) for k, v in scores.items()},
                "sentiment": self._sentiment(model, cues),
                "cues": cues,
                "repeats": repeats,
                "model": model,
                "trouble": trouble_in(text),
                "upset": upset,
                "reader": reader,
            }
        )

    @staticmethod
    def _sentiment(model: dict[str, float], cues: list[str]) -> Sentiment:
        """The most probable sentiment group; negative when a cue of negativity is present
        (a shouted "third time I ask?" is not merely a question)."""
        if any({"negative", "frustration"} & CUE_FLOORS.get(cue, {}).keys() for cue in cues):
            return "negative"
        return max(SENTIMENTS, key=lambda s: model[s])

    def _repeats(
        self,
        embedding: NDArray[np.float32],
        context: TurnContext,
        intent: str | None,
        values: set[str],
    ) -> int:
        """Earlier turns that asked the same thing: similar wording (cosine at or above
        ``rephrase_similarity``), the same intent, and no different entity value (asking about
        two reservations in turn is not repeating oneself). An answer to what the bot just
        asked repeats nothing, however much it echoes the request ("I'd like to fly on
        2024-05-24" after "which date?" and an opening that named the date)."""
        n = min(self.config.rephrase_turns, len(context.recent))
        if n == 0 or context.answering:
            return 0
        earlier = context.recent[-n:]
        intents = context.recent_intents[-n:] if len(context.recent_intents) >= n else [None] * n
        found = context.recent_values[-n:] if len(context.recent_values) >= n else [[]] * n
        # only a turn of the same request, naming no other value, can repeat this one: when
        # none can, their wording does not matter and is neither looked up nor encoded
        could = [
            (intent is None or their_intent is None or intent == their_intent)
            and not (values and their_values and not values & set(their_values))
            for their_intent, their_values in zip(intents, found, strict=True)
        ]
        if not any(could):
            return 0
        similarity = self._vectors_of(earlier) @ embedding
        threshold = self.config.rephrase_similarity
        return sum(1 for sim, ok in zip(similarity, could, strict=True) if ok and sim >= threshold)

    def _rising(self, previous: list[float], current: float) -> bool:
        span = self.config.rising_turns - 1
        if len(previous) < span or current < self.config.rising_min:
            return False
        series = [*previous[-span:], current]
        return all(b > a for a, b in itertools.pairwise(series))

    def _remember(self, text: str, vector: NDArray[np.float32]) -> None:
        with self._lock:
            self._vectors[text] = vector
            self._vectors.move_to_end(text)
            while len(self._vectors) > 4096:
                self._vectors.popitem(last=False)

    def _vectors_of(self, texts: list[str]) -> NDArray[np.float32]:
        """Embeddings of earlier turns: remembered from when they were read, else encoded."""
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
        missing = [t for t in texts if t not in known]
        if missing:
            for text, vector in zip(missing, self.encoder.encode(missing), strict=True):
                known[text] = vector
                self._remember(text, vector)
        return np.vstack([known[t] for t in texts])


def load_affect(encoder: Encoder, config: AffectConfig | None = None) -> AffectDetector:
    """The affect detector for ``encoder``, with the shipped affect model and upset detector
    unless ``config`` names others."""
    config = config or AffectConfig()
    model = load_affect_model(config.model_dir)
    screen = AffectScreen.load(config.model_dir) if config.screen else None
    return AffectDetector(encoder, model, config, load_upset_model(config.upset_dir), screen)
