"""The NLU engine of one domain pack: text and context in, ``Understanding`` out. Never raises
on input.

Zones: ``confident`` when the top probability reaches the pack's ``confident`` threshold,
``clarify`` when it reaches ``clarify``, else ``out_of_scope``; a text whose out-of-scope score
reaches the cut-off, or whose nearest training example is less similar than ``min_similarity``,
is out of scope whatever its probability (``zones.py``).
Garbage (empty, emoji only, control bytes) gets the out-of-scope zone and a note saying why.

Context: a short follow-up that is not clear on its own ("what about 4WQ150?", "and the other
one?", "same for my bag") is read again together with the customer's previous turn; when that
reading is confident, and is the request last acted on (when there is one), it is used, and
``Understanding.context`` says so. Relative dates
("tomorrow") are read against the turn's time.

Affect: with an ``AffectDetector`` the turn's embedding (the one the intents were read from) also
gives ``Understanding.affect``; see ``affect.py``.

The embedding: ``understand_with_embedding`` also returns the encoder's embedding of the
understanding's text (``Embedded``), which the turn's knowledge stage reuses to search the
documents instead of encoding the same text again; it stays out of the ``Understanding``, which
is recorded (events carry no vectors).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from warmline.domain.pack import DomainPack
from warmline.domain.understanding import (
    Affect,
    DialogueActs,
    EntityMention,
    TurnContext,
    Understanding,
    Zone,
)
from warmline.nlu.acts import read_acts, without_openers
from warmline.nlu.affect import AffectDetector
from warmline.nlu.embeddings import Encoder
from warmline.nlu.entities import EntityExtractor
from warmline.nlu.intents import FORMAT_VERSION, IntentClassifier, IntentClassifierConfig, Ranking
from warmline.nlu.language import LanguageDetector, words_of
from warmline.nlu.register import read_style
from warmline.nlu.sentences import CONVERSATIONAL, is_request, read_request
from warmline.nlu.topics import turn_topics
from warmline.nlu.zones import ZoneThresholds, zone_for

MAX_NLU_CHARS = 1000
MIN_SIMILARITY = 0.30
FOLLOW_UP_MAX_WORDS = 8
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_FOLLOW_UP = re.compile(
    r"^\s*(and|also|plus|what about|how about|same|the same|ok(ay)? and|then)\b"
    r"|\b(it|that|this|those|them|the other( one)?|that one|this one|one too|as well|too)\b",
    re.I,
)


def clean_text(text: str) -> str:
    """Drop control characters, normalise Unicode and whitespace, cap the length."""
    if text.isascii() and text.isprintable():  # most turns: NFKC and the filter change nothing
        return " ".join(text.split())[:MAX_NLU_CHARS]
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\t\n" else " " for ch in text)
    return " ".join(text.split())[:MAX_NLU_CHARS]


def training_data(
    pack: DomainPack, extra: Sequence[tuple[str, str]] = ()
) -> tuple[list[str], list[str]]:
    """The pack's examples with their intents, then ``extra`` (text, intent) pairs: the
    reviewed corrections promoted for the pack (``services/model_training.py``)."""
    texts: list[str] = []
    labels: list[str] = []
    for name, intent in pack.intents.items():
        for example in intent.examples:
            texts.append(example)
            labels.append(name)
    for text, label in extra:
        texts.append(text)
        labels.append(label)
    return texts, labels


def vocabulary(pack: DomainPack) -> set[str]:
    """The words the pack itself uses, in its own languages: its examples, intent labels and
    the values and synonyms of its ontologies."""
    texts = [*training_data(pack)[0], *(pack.intent_label(name) for name in pack.intents)]
    for spec in pack.entities.values():
        for name, value in spec.values.items():
            texts.extend([value.label or name, *value.synonyms])
    return {word for text in texts for word in words_of(text)}


def pack_fingerprint(
    pack: DomainPack,
    encoder: Encoder,
    config: IntentClassifierConfig,
    extra: Sequence[tuple[str, str]] = (),
) -> str:
    texts, labels = training_data(pack, extra)
    blob = json.dumps(
        [texts, labels, encoder.name, config.model_dump(), FORMAT_VERSION], sort_keys=True
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


_SISTERS = ": the record's status decides between them"


@dataclass(frozen=True, eq=False)
class Embedded:
    """A text and the encoder's embedding of it (one row, as ``Encoder.encode`` gives it), for
    a later stage to reuse on that same text (``services/turn/knowledge.py``)."""

    text: str
    vector: NDArray[np.float32] = field(repr=False)
    encoder: str  # the name of the encoder that gave it


class NluEngine:
    def __init__(
        self,
        pack: DomainPack,
        encoder: Encoder,
        classifier: IntentClassifier,
        *,
        affect: AffectDetector | None = None,
        min_similarity: float = MIN_SIMILARITY,
    ) -> None:
        self.pack = pack
        self.encoder = encoder
        self.classifier = classifier
        self.affect = affect
        self.entities = EntityExtractor(pack.entities)
        self.languages = LanguageDetector(pack.languages, vocabulary(pack))
        self.thresholds = ZoneThresholds(
            confident=pack.thresholds.confident,
            clarify=pack.thresholds.clarify,
            min_similarity=min_similarity,
            out_of_scope=pack.thresholds.out_of_scope,
        )

    @classmethod
    def train(
        cls,
        pack: DomainPack,
        encoder: Encoder,
        *,
        cache_dir: Path | None = None,
        config: IntentClassifierConfig | None = None,
        affect: AffectDetector | None = None,
        extra: Sequence[tuple[str, str]] = (),
    ) -> NluEngine:
        """Train on the pack's examples (and ``extra`` (text, intent) pairs), or load the
        cached model trained on the same ones."""
        config = config or IntentClassifierConfig()
        target = None
        if cache_dir is not None:
            target = cache_dir / f"{pack.pack}-{pack_fingerprint(pack, encoder, config, extra)}"
            if (target / "intents.json").exists():
                return cls(pack, encoder, IntentClassifier.load(target, encoder), affect=affect)
        texts, labels = training_data(pack, extra)
        classifier = IntentClassifier(encoder, config).fit(texts, labels)
        if target is not None:
            classifier.save(target)
        return cls(pack, encoder, classifier, affect=affect)

    def understand(self, text: str, context: TurnContext | None = None) -> Understanding:
        return self.understand_with_embedding(text, context)[0]

    def understand_with_embedding(
        self, text: str, context: TurnContext | None = None
    ) -> tuple[Understanding, Embedded | None]:
        """The understanding and the encoder's embedding of its text (None: the encoder did
        not run), for a later stage to reuse: not part of the understanding, which is
        recorded, and events carry no vectors."""
        context = context or TurnContext()
        cleaned = clean_text(text)
        notes: list[str] = []
        if len(text) > MAX_NLU_CHARS:
            notes.append(f"text cut to {MAX_NLU_CHARS} characters for understanding")
        refused, language = self._refused(cleaned, notes, context)
        if refused is not None:
            return refused, None
        entities = self.entities.extract(cleaned, context.now)
        embedding, states = self._embed(cleaned)
        ranking = self.classifier.rank_embeddings(embedding, [cleaned])[0]
        zone, rule = self._zone(ranking)
        # a long turn: its request sentence decides the intent (nlu/sentences.py)
        request = read_request(self.classifier, self._zone, cleaned, ranking, zone)
        if request is not None:
            ranking, zone, rule = request.ranking, request.zone, request.rule
        used: str | None = None
        acts = read_acts(cleaned)  # nlu/acts.py: a mixed turn's request, a correction
        read = self._by_acts(acts, cleaned, context, ranking, zone)
        if read is None and zone != "confident" and self._is_follow_up(cleaned, context):
            read = self._with_previous(cleaned, context, ranking, zone)
        if read is not None:
            ranking, zone, rule, used = read
        if zone != "confident" or rule.endswith(_SISTERS):
            notes.append(rule)
        intent = ranking.scores[0].intent if zone != "out_of_scope" else None
        affect = self._affect(cleaned, embedding[0], states, context, intent, entities)
        understood = Understanding(
            text=cleaned,
            ranking=ranking.scores[:5],
            zone=zone,
            entities=entities,
            notes=notes,
            oos_score=round(ranking.oos_score, 4),
            context=used,
            affect=affect,
            sentence=request.request if request is not None else None,
            topics=turn_topics(cleaned),
            acts=acts,
            style=read_style(cleaned) if language == "en" else None,  # nlu/register.py
            language=language,
        )
        return understood, Embedded(cleaned, embedding[0], self.encoder.name)

    def _refused(
        self, cleaned: str, notes: list[str], context: TurnContext
    ) -> tuple[Understanding | None, str]:
        """The out-of-scope reading of a text with no words, or in a language the pack does
        not speak; else None and the language to read it in."""
        if not _LETTERS.search(cleaned):
            notes.append("no words to understand")  # but "#W2378156", "2024-05-17" answer
            entities = self.entities.extract(cleaned, context.now)
            understood = Understanding(
                text=cleaned, zone="out_of_scope", notes=notes, entities=entities
            )
            return understood, ""
        guess = self.languages.decide(cleaned)  # langid only where its guess may be acted on
        if self.languages.unsupported(guess):
            notes.append(
                f"language '{guess.language}' (p={guess.probability:.3f}) is not among "
                f"{self.pack.languages}"
            )
            understood = Understanding(
                text=cleaned, zone="out_of_scope", language=guess.language, notes=notes
            )
            return understood, guess.language
        # a language sure enough to act on is one of the pack's (else refused above)
        return None, guess.language if guess.decisive else self.pack.languages[0]

    def _affect(
        self,
        cleaned: str,
        vector: Any,
        states: Any,
        context: TurnContext,
        intent: str | None,
        entities: list[EntityMention],
    ) -> Affect | None:
        """How the customer seems to feel (``affect.py``), from the turn's embedding and the
        recent turns; None without an affect detector."""
        if self.affect is None:
            return None
        recent = [clean_text(t) for t in context.recent]
        return self.affect.read(
            cleaned,
            vector,
            context.model_copy(update={"recent": recent}),
            intent=intent,
            values=[m.value for m in entities],
            states=states,
        )

    def _embed(self, cleaned: str) -> tuple[Any, Any]:
        """The turn's embedding (one row) and, for the affect model, the encoder's token
        states: one encoder run gives both."""
        state_output = self.affect.model.state_output if self.affect is not None else None
        if state_output is not None:
            vector, states = self.encoder.encode_with_states(cleaned, state_output)
            return vector[None, :], states
        return self.encoder.encode([cleaned]), None

    def _with_previous(
        self, cleaned: str, context: TurnContext, alone: Ranking, zone: Zone
    ) -> tuple[Ranking, Zone, str, str] | None:
        """The turn read together with the previous one, when that reading is confident and
        the request last acted on (ranking, zone, rule, how it was read); else None."""
        previous = context.recent[-1]
        joined = self.classifier.rank([clean_text(f"{previous} {cleaned}")])[0]
        joined_zone, joined_rule = self._zone(joined)
        same_request = context.last_intent in (None, joined.scores[0].intent)
        if joined_zone != "confident" or not same_request:
            return None
        used = (
            f"read with the previous turn '{previous[:80]}': "
            f"{joined.scores[0].intent} {joined.scores[0].probability:.2f} "
            f"(alone: {zone}, {alone.scores[0].intent} {alone.scores[0].probability:.2f})"
        )
        return joined, joined_zone, joined_rule, used

    def _by_acts(
        self, acts: DialogueActs, text: str, context: TurnContext, whole: Ranking, zone: Zone
    ) -> tuple[Ranking, Zone, str, str] | None:
        """The reading the turn's acts give (``nlu/acts.py``), or None: a mixed turn's request
        part read on its own ("hi, can you ...", "thanks! and also ..."), when it reads better
        than the whole; a correction ("not the bag, the booking itself") read as the last
        request amended with what was meant, when that reading is confident."""
        alone = whole.scores[0] if whole.scores else None
        goodbye = alone is not None and alone.intent == "goodbye" and zone == "confident"
        if acts.has("goodbye") and not goodbye:
            return self._goodbye(acts, text)
        if acts.has("correction") and acts.meant and context.recent:
            previous = _last_request(context.recent)
            amended = _amended(previous, acts.negated, acts.meant)
            ranking = self.classifier.rank([clean_text(amended)])[0]
            read_zone, rule = self._zone(ranking)
            meant = ranking.scores[0].intent if ranking.scores else None
            if read_zone == "confident" and meant not in CONVERSATIONAL:
                used = f"a correction of '{previous[:80]}', read as '{amended[:120]}': {meant}"
                return ranking, read_zone, rule, used
        if acts.request is None or (
            zone == "confident" and alone is not None and alone.intent not in CONVERSATIONAL
        ):
            return None
        ranking = self.classifier.rank([acts.request])[0]
        read_zone, rule = self._zone(ranking)
        top = ranking.scores[0] if ranking.scores else None
        if top is None or top.intent in CONVERSATIONAL or read_zone == "out_of_scope":
            return None
        if read_zone != "confident" and alone is not None and top.probability <= alone.probability:
            return None
        used = f"{'+'.join(acts.acts)}: the request '{acts.request[:80]}' read on its own"
        return ranking, read_zone, rule, used

    def _goodbye(self, acts: DialogueActs, text: str) -> tuple[Ranking, Zone, str, str] | None:
        """A goodbye after thanks or a greeting ("thanks, bye"), read without them, when that
        reading is a confident goodbye: the turn ends the conversation."""
        rest = without_openers(text)
        ranking = self.classifier.rank([rest])[0]
        read_zone, rule = self._zone(ranking)
        if read_zone != "confident" or ranking.scores[0].intent != "goodbye":
            return None
        return ranking, read_zone, rule, f"{'+'.join(acts.acts)}: '{rest[:40]}' read on its own"

    def _zone(self, ranking: Ranking) -> tuple[Zone, str]:
        """The zone of ``ranking``; two sister intents ranked first and second (one's action
        is the other's ``instead``: an exchange and a change of a pending order's items) count
        as one request for it, since the record's status tells them apart without asking."""
        zone, rule = zone_for(ranking, self.thresholds, self.classifier.oos_scale.threshold)
        if zone != "clarify" or len(ranking.scores) < 2:
            return zone, rule
        first, second = ranking.scores[0], ranking.scores[1]
        joined = first.probability + second.probability
        if joined < self.thresholds.confident or not self._sisters(first.intent, second.intent):
            return zone, rule
        return "confident", (
            f"{first.intent} {first.probability:.2f} with its sister {second.intent} "
            f"{second.probability:.2f} >= confident {self.thresholds.confident:.2f}{_SISTERS}"
        )

    def _sisters(self, one: str, other: str) -> bool:
        """Whether the actions of intents ``one`` and ``other`` stand in for each other when
        the back office refuses one for the record's status (``instead``)."""
        intents, actions = self.pack.intents, self.pack.actions
        a = intents[one].action if one in intents else None
        b = intents[other].action if other in intents else None
        if a is None or b is None or a not in actions or b not in actions:
            return False
        return b in actions[a].instead.values() or a in actions[b].instead.values()

    @staticmethod
    def _is_follow_up(text: str, context: TurnContext) -> bool:
        """A short turn that leans on the one before: "what about 4WQ150?", "and that one?"."""
        if not context.recent:
            return False
        return len(text.split()) <= FOLLOW_UP_MAX_WORDS and bool(_FOLLOW_UP.search(text))


def _last_request(recent: list[str]) -> str:
    """The customer's last turn that asked for something (the last turn when none did)."""
    for text in reversed(recent):
        if is_request(clean_text(text)):
            return text
    return recent[-1]


def _amended(previous: str, negated: str | None, meant: str) -> str:
    """The previous request with what the customer now means in place of what they did not
    ("cancel my bag" with "the booking" for "the bag": "cancel my booking"), or with what
    they meant added when the wrong words are not in it."""
    words = [w for w in re.findall(r"[\w']+", negated or "") if w.lower() not in _DETERMINERS]
    head = re.sub(rf"^(?:{'|'.join(_DETERMINERS)})\s+", "", meant, flags=re.I)
    if words:
        wrong = re.compile(rf"\b{re.escape(words[-1])}\b", re.I)
        if wrong.search(previous):
            return wrong.sub(head, previous, count=1)
    return f"{previous} {meant}"


_DETERMINERS = ("the", "that", "this", "my", "a", "an", "those", "these")
