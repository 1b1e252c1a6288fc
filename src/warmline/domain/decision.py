"""What the policy decides for one turn, with the reasons that produced it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DecisionKind = Literal[
    "greet", "answer", "clarify", "confirm", "act", "decline", "escalate", "close"
]


class Reason(BaseModel):
    """One rule that fired, with the figures it compared. ``code`` is stable for tests."""

    model_config = ConfigDict(frozen=True)
    code: str
    detail: str
    values: dict[str, float | str | bool | None] = Field(default_factory=dict)


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
    reasons: list[Reason] = Field(default_factory=list)

    def reason_codes(self) -> list[str]:
        return [r.code for r in self.reasons]
