"""What the stages of one turn share: the conversation's state as the turn found it, its pack,
the moment, and the events the turn has produced so far; and what a recorded turn returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from warmline.domain.conversation import ConversationState, Offer, Refusal, Status
from warmline.domain.customers import Customer, VerificationCheck
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import BotReplied, ContactMedium, Event
from warmline.domain.grounding import Grounding
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import Understanding
from warmline.nlu.engine import Embedded
from warmline.policy.anomaly import Hold
from warmline.services.packs import PackRuntime


@dataclass(frozen=True)
class Perception:
    """What the perceive stage read: the understanding (None: the conversation is with the
    team and was not read), the customer's account, how it was read, a contact the customer
    left, what the reply did for the verification under way, the choices of the guided
    parameters the decision asks for, read from fresh records (``services/turn/guide.py``),
    the pack's writes on hold (``services/turn/holds.py``), while the conversation is with
    the team whether the message takes leave, and the encoder's embedding of the text read,
    for the knowledge stage to search with."""

    understanding: Understanding | None = None
    customer: Customer | None = None
    observations: list[Reason] = field(default_factory=list)
    contact: tuple[ContactMedium, str] | None = None
    verification: VerificationCheck | None = None
    offers: dict[str, Offer] = field(default_factory=dict)
    refusals: dict[str, Refusal] = field(default_factory=dict)
    leaving: bool = False  # while with the team: the message takes leave ("bye")
    holds: dict[str, Hold] = field(default_factory=dict)  # the pack's writes on hold
    grounding: Grounding | None = None  # what the pack's documents say (services/turn/knowledge.py)
    # the encoder's embedding of the understanding's text, which the knowledge stage reuses;
    # kept here, never in the recorded understanding (events carry no vectors)
    embedded: Embedded | None = None


@dataclass
class Turn:
    conversation_id: str
    state: ConversationState
    runtime: PackRuntime
    at: datetime
    seen: Perception = field(default_factory=Perception)
    events: list[Event] = field(default_factory=list)
    opener: str | None = None  # the greeting or thanks the reply returns first ("Hi!")
    # the policy's last decision in this turn and what it decided on (``guide.decided``)
    decided: tuple[Any, tuple[object, ...], Decision] | None = None
    # the records the guide has read, by path, while it gathers the offers (``guide.py``)
    reads: dict[str, dict[str, Any]] | None = None
    # the write's dry run sent last, its values and what was observed then (``act.py``)
    previewed: tuple[str, dict[str, str], object, dict[str, Any]] | None = None

    @property
    def pack(self) -> DomainPack:
        return self.runtime.pack

    def add(self, *events: Event) -> None:
        self.events.extend(events)


@dataclass(frozen=True)
class TurnResult:
    conversation_id: str
    replies: list[BotReplied]
    decision: Decision | None
    events: list[Event] = field(default_factory=list)
    status: Status = "open"
