"""What the back office answered when the bot acted: the record it returned, or how it failed.

The act stage (``services/turn/act.py``) turns the connector's answer or error into an
``ActionOutcome``; the policy (``policy/outcomes.py``) decides what follows from it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Step = Literal["preview", "execute"]
Failure = Literal["rejected", "not_found", "unavailable", "circuit_open"]


class ActionOutcome(BaseModel):
    """One call of an action: its ``preview`` (read before asking for a yes) or ``execute``."""

    model_config = ConfigDict(frozen=True)
    action: str
    step: Step
    params: dict[str, str] = Field(default_factory=dict)
    result: dict[str, Any] = Field(default_factory=dict)
    failure: Failure | None = None
    error: str = Field("", description="the error's stable code, e.g. backoffice_rejected")
    title: str = Field("", description="the error's title, safe to log and show")
    message: str = Field("", description="what the customer may be told (the back office's rule)")
    retryable: bool = False
    idempotency_key: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None
