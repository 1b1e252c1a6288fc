"""What the NLU layer tells the policy about one customer turn."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Zone = Literal["confident", "clarify", "out_of_scope"]
Sentiment = Literal["negative", "neutral", "positive", "ambiguous"]
REJECT_INTENT = "oos"  # the reject class: examples of what is out of scope, never handled


class IntentScore(BaseModel):
    model_config = ConfigDict(frozen=True)
    intent: str
    probability: float


class EntityMention(BaseModel):
    """An entity found in the text, linked to the pack's ontology or typed by a pattern."""

    model_config = ConfigDict(frozen=True)
    entity: str
    value: str
    text: str
    start: int = -1
    end: int = -1
    score: float = 1.0


class TurnContext(BaseModel):
    """What a turn is read with: the customer's recent turns and the time it was said."""

    model_config = ConfigDict(frozen=True)
    recent: list[str] = Field(
        default_factory=list, description="previous customer turns, oldest first"
    )
    last_intent: str | None = None
    now: datetime | None = None
    recent_negative: list[float] = Field(
        default_factory=list, description="the negative score of each turn in ``recent``"
    )
    recent_intents: list[str | None] = Field(
        default_factory=list, description="the top intent of each turn in ``recent``"
    )
    recent_values: list[list[str]] = Field(
        default_factory=list, description="the entity values found in each turn in ``recent``"
    )
    answering: bool = Field(
        False,
        description="the bot's last reply asked the customer something (a detail, a choice, a "
        "yes or no, a fact to verify): this turn answers it",
    )


class Trouble(BaseModel):
    """Real trouble the customer told of (``nlu/affect_cues.py``): what happened, as said
    ("arrived broken", "charged twice"), and the thing it happened to when the text names it
    ("vacuum cleaner"; None: "it arrived broken", "I was charged twice")."""

    model_config = ConfigDict(frozen=True)
    what: str
    thing: str | None = None


AffectReader = Literal["tail", "screen", "linear"]


class Affect(BaseModel):
    """How the customer seems to feel in this turn, and what in the conversation shows it.

    The four scores are probabilities in [0, 1]: the affect model's calibrated reading of the
    text, raised by lexical and conversation cues (``cues``) where those are stronger evidence.
    ``model`` keeps the model's own probabilities, so a decision can be traced to either, and
    ``reader`` says which model that was.
    """

    model_config = ConfigDict(frozen=True)
    negative: float = 0.0
    frustration: float = 0.0
    urgency: float = 0.0
    confusion: float = 0.0
    sentiment: Sentiment = "neutral"
    cues: list[str] = Field(
        default_factory=list,
        description="shouting, profanity, repeat_complaint, leave_threat, urgent_words, "
        "confused_words, feeling_words, trouble, rephrasing, rising_negativity",
    )
    trouble: Trouble | None = Field(
        None, description="real trouble told in the turn (the ``trouble`` cue), and to what"
    )
    repeats: int = Field(0, description="earlier customer turns that asked the same thing")
    model: dict[str, float] = Field(default_factory=dict)
    upset: float | None = Field(
        None,
        description="the upset detector's calibrated probability that the customer is upset "
        "(shows feeling or tells of real trouble; ``nlu/upset.py``); None: not read",
    )
    reader: AffectReader = Field(
        "tail",
        description="which affect model gave ``model``: ``tail`` (the fine-tuned encoder layers), "
        "``screen`` (the linear screen, which read no distress target that could be high, so "
        "the tail was not run) or ``linear`` (a linear affect model; ``nlu/affect.py``)",
    )

    @property
    def distress(self) -> float:
        return max(self.negative, self.frustration, self.urgency, self.confusion)


class RequestSentence(BaseModel):
    """The sentence of a long turn that decided its intent (``nlu/sentences.py``): where it
    stands, what it was read as, and what the whole turn was read as."""

    model_config = ConfigDict(frozen=True)
    text: str
    index: int = Field(description="its place among the turn's sentences, from 1")
    sentences: int
    intent: str
    probability: float
    whole_intent: str | None = None
    whole_probability: float = 0.0
    whole_zone: Zone = "out_of_scope"


DialogueAct = Literal[
    "greeting", "thanks", "goodbye", "affirm", "deny", "correction", "choice", "answer", "request"
]


class Reference(BaseModel):
    """Words pointing back at what was shown or discussed (``nlu/acts.py``): ``other`` (the
    other one), ``ordinal`` (``index`` from 1; -1: the last), ``date`` (the one from ``month``,
    on ``day`` when said), ``that`` (the one discussed)."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["other", "ordinal", "date", "that"]
    text: str
    index: int | None = None
    month: int | None = None
    day: int | None = None


class DialogueActs(BaseModel):
    """What a turn does (``nlu/acts.py``): its acts in order (an opener such as a greeting or
    thanks, then at most one other), the request part of a mixed turn, a correction's wrong and
    meant phrases, and what its words point back at."""

    model_config = ConfigDict(frozen=True)
    acts: list[str] = Field(
        default_factory=lambda: ["request"], description="each a ``DialogueAct``, in order"
    )
    request: str | None = None
    negated: str | None = None
    meant: str | None = None
    reference: Reference | None = None

    def has(self, act: DialogueAct) -> bool:
        return act in self.acts


class WritingStyle(BaseModel):
    """How the turn is written (``nlu/register.py``): its register and the features of a
    variety of English its words show, with the cues found. Labels of the text's features,
    never of the person; cue-based and coarse (docs/analytics.md, "Register and dialect").
    An empty ``register``: not read (another language, or the words erased)."""

    model_config = ConfigDict(frozen=True)
    formality: str = Field("", description="the register: formal, neutral, casual or textspeak")
    dialects: list[str] = Field(
        default_factory=list,
        description="the varieties whose features the words show enough of, strongest first "
        "(aae, indian_english, british); none: standard",
    )
    markers: list[str] = Field(
        default_factory=list,
        description="every cue found, as label:cue or label:cue=word (textspeak:token=u, "
        "aae:habitual_be), those too weak to decide a label too",
    )

    @property
    def dialect(self) -> str:
        """The strongest variety shown, ``standard`` when none is ("" when not read)."""
        if not self.formality:
            return ""
        return next((d for d in self.dialects if d), "standard")


class Understanding(BaseModel):
    model_config = ConfigDict(frozen=True)
    text: str
    ranking: list[IntentScore] = Field(default_factory=list)
    zone: Zone = "out_of_scope"
    entities: list[EntityMention] = Field(default_factory=list)
    language: str = "en"
    notes: list[str] = Field(default_factory=list)
    oos_score: float | None = Field(
        None,
        description="how far outside the pack the text is; at or above the cut-off: out of scope",
    )
    context: str | None = Field(
        None, description="how the recent turns changed the reading, when they did"
    )
    affect: Affect | None = None
    sentence: RequestSentence | None = Field(
        None, description="the request sentence that decided a long turn's intent, when one did"
    )
    topics: list[str] = Field(
        default_factory=list,
        description="topics of the turn (nlu/topics.py): the regulated ones asked about (health, "
        "legal, financial_advice, regulated_complaint), then the service ones (complaint, "
        "staff_complaint, health_circumstance)",
    )
    acts: DialogueActs | None = Field(
        None, description="the turn's dialogue acts (nlu/acts.py): greeting, correction, ..."
    )
    style: WritingStyle | None = Field(
        None, description="the turn's register and dialect features (nlu/register.py)"
    )

    @property
    def top(self) -> IntentScore | None:
        return self.ranking[0] if self.ranking else None

    @property
    def intent(self) -> str | None:
        return self.ranking[0].intent if self.ranking else None

    @property
    def confidence(self) -> float:
        return self.ranking[0].probability if self.ranking else 0.0

    def entity(self, name: str) -> EntityMention | None:
        for mention in self.entities:
            if mention.entity == name:
                return mention
        return None
