"""What the policy decides for one turn, with the reasons that produced it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from warmline.domain.reasons import ReasonCode, Trigger

DecisionKind = Literal[
    "greet", "answer", "clarify", "confirm", "act", "decline", "escalate", "close"
]

AcknowledgementCause = Literal[
    "leave_threat", "repeat", "frustration", "urgency", "confusion", "negative", "trouble"
]
"""What an acknowledgement answers: a feeling, or (``trouble``) real trouble told calmly."""


class Reason(BaseModel):
    """One rule that fired, with the figures it compared. ``code`` is stable for tests
    (``domain/reasons.py`` lists every code)."""

    model_config = ConfigDict(frozen=True)
    code: ReasonCode
    detail: str
    values: dict[str, float | str | bool | None] = Field(default_factory=dict)


class Acknowledgement(BaseModel):
    """What the reply acknowledges before anything else: the cause, how strongly, for a
    repeated request how many times it has been asked, and for trouble what happened to what
    ("arrived broken", "vacuum cleaner")."""

    model_config = ConfigDict(frozen=True)
    cause: AcknowledgementCause
    strong: bool = False
    times: int = 0
    trouble: str | None = None
    thing: str | None = None

    @property
    def upset(self) -> bool:
        """Whether it acknowledges a feeling (every cause but trouble told calmly)."""
        return self.cause != "trouble"


class Decision(BaseModel):
    """What to do with one turn. The fields say everything the conversation's state takes from
    it (``domain/conversation.py`` folds them); ``reasons`` explain it and change nothing."""

    model_config = ConfigDict(frozen=True)
    kind: DecisionKind
    intent: str | None = None
    confidence: float | None = None
    action: str | None = None
    params: dict[str, str] = Field(default_factory=dict)
    template: str | None = None
    choices: list[str] = Field(default_factory=list)
    choice_values: list[str] = Field(
        default_factory=list,
        description="what each of ``choices`` sends to the back office (guided parameters)",
    )
    missing: str | None = None
    proposal: int | None = None
    escalation: Trigger | None = None
    acknowledgement: Acknowledgement | None = None
    out_of_scope: bool = Field(False, description="the turn counts as outside what the bot does")
    empathy_buffer_spent: bool = Field(
        False, description="an acknowledgement was due but the buffer was spent: the streak holds"
    )
    callback: bool = Field(False, description="the customer left a contact to be called back")
    verify_method: str | None = Field(
        None, description="the pack's verification method whose fact is asked for"
    )
    verify_fact: str | None = Field(None, description="the fact asked for (never its value)")
    reasons: list[Reason] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _flags_of_older_logs(cls, data: Any) -> Any:
        """Decisions recorded before the flags existed carry them only as reason codes."""
        if not isinstance(data, dict) or "out_of_scope" in data:
            return data
        codes = {r.get("code") for r in data.get("reasons", ()) if isinstance(r, dict)}
        flags = {
            "out_of_scope": "out_of_scope" in codes,
            "empathy_buffer_spent": "empathy_buffer_spent" in codes,
            "callback": "callback_requested" in codes,
        }
        return {**flags, **data}

    def reason_codes(self) -> list[str]:
        return [r.code for r in self.reasons]
