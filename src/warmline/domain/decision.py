"""What the policy decides for one turn, with the reasons that produced it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DecisionKind = Literal[
    "greet", "answer", "clarify", "confirm", "act", "decline", "escalate", "close"
]

AcknowledgementCause = Literal[
    "leave_threat", "repeat", "frustration", "urgency", "confusion", "negative"
]


class Reason(BaseModel):
    """One rule that fired, with the figures it compared. ``code`` is stable for tests."""

    model_config = ConfigDict(frozen=True)
    code: str
    detail: str
    values: dict[str, float | str | bool | None] = Field(default_factory=dict)


class Acknowledgement(BaseModel):
    """What the reply acknowledges before anything else: the cause, how strongly, and for a
    repeated request how many times it has been asked."""

    model_config = ConfigDict(frozen=True)
    cause: AcknowledgementCause
    strong: bool = False
    times: int = 0


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: DecisionKind
    intent: str | None = None
    confidence: float | None = None
    action: str | None = None
    params: dict[str, str] = Field(default_factory=dict)
    template: str | None = None
    choices: list[str] = Field(default_factory=list)
    missing: str | None = None
    proposal: int | None = None
    escalation: str | None = None
    acknowledgement: Acknowledgement | None = None
    reasons: list[Reason] = Field(default_factory=list)

    def reason_codes(self) -> list[str]:
        return [r.code for r in self.reasons]
