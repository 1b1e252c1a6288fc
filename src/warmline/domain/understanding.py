"""What the NLU layer tells the policy about one customer turn."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Zone = Literal["confident", "clarify", "out_of_scope"]
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
