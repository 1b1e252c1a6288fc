"""The domain pack schema: what an admin declares in YAML for one business domain.

A pack declares intents (with examples), entities (an ontology with synonyms, or typed
patterns), actions against the back office (parameters, risk class, confirmation wording,
the HTTP request), response templates, the persona and the policy thresholds. The loader
(``domain/pack_loader.py``) turns YAML into these models and reports every error with file,
line and field.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from warmline.domain.console import ConsoleSpec
from warmline.domain.decision import AcknowledgementCause

Risk = Literal["read", "write", "destructive"]
Register = Literal["formal", "neutral", "casual"]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"{([a-z_][a-z0-9_]*)}")
_PARAMS_READ = re.compile(r"""params(?:\.get\(\s*|\[\s*|\.)['"]?([a-z_][a-z0-9_]*)""")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_disclosure(greeting: str) -> str:
    """A greeting must say the customer is talking to an AI, and how to reach a person."""
    if not re.search(r"\b(AI|artificial intelligence|virtual assistant|bot)\b", greeting, re.I):
        raise ValueError("the greeting must say that the customer is talking to an AI")
    if not re.search(r"\b(person|human|agent|someone)\b", greeting, re.I):
        raise ValueError("the greeting must say how to reach a person")
    return greeting


class Persona(_Model):
    name: str = Field(min_length=1)
    company: str = Field(min_length=1)
    voice: str = "warm, clear and brief"
    speech_register: Register = Field("neutral", alias="register")
    greeting: str = Field(min_length=1)
    guardrails: list[str] = Field(default_factory=list)
    forbidden_phrases: list[str] = Field(
        default_factory=list,
        description="phrases no template may contain, beside the built-in promise and blame list",
    )

    @field_validator("greeting")
    @classmethod
    def _discloses_ai(cls, value: str) -> str:
        return check_disclosure(value)


class Empathy(_Model):
    """When a reply opens by acknowledging how the customer feels (``policy/empathy.py``)."""

    enabled: bool = True
    frustration: float = Field(0.5, ge=0.0, le=1.0)
    urgency: float = Field(0.6, ge=0.0, le=1.0)
    confusion: float = Field(0.6, ge=0.0, le=1.0)
    negative: float = Field(0.75, ge=0.0, le=1.0)
    strong: float = Field(0.8, ge=0.0, le=1.0)
    upset: float = Field(
        0.67,
        ge=0.0,
        le=1.0,
        description="on a request or a statement, the upset detector's probability at or above "
        "which the reply acknowledges the customer, and which a score with no cue vouching for "
        "it must also reach (chosen by cross-validation on the detector's training set)",
    )
    upset_floor: float = Field(
        0.17,
        ge=0.0,
        le=1.0,
        description="on a request or a statement, under this probability of the upset detector "
        "no cue but a threat to leave or a repeat acknowledges (capitals, 'right now')",
    )
    buffer_turns: int = Field(
        2, ge=0, description="acknowledged turns in a row before replies go straight to the task"
    )
    acknowledgements: dict[AcknowledgementCause, list[str]] = Field(
        default_factory=dict, description="wording per cause, replacing the built-in variants"
    )


RegulatedTopic = Literal["health", "legal", "financial_advice", "regulated_complaint"]


def _all_topics() -> list[RegulatedTopic]:
    return ["health", "legal", "financial_advice", "regulated_complaint"]


class Escalation(_Model):
    """When a person takes over, beside the customer's own request (always honoured) and the
    clarify and out-of-scope limits in ``thresholds`` (``policy/escalation.py``)."""

    frustration: float | None = Field(
        0.8, ge=0.0, le=1.0, description="frustration at or above this hands over; None: off"
    )
    frustration_turns: int = Field(2, ge=1, description="turns in a row the frustration must last")
    leave_threat: bool = Field(True, description="a threat to leave hands over at once")
    vip_field: str | None = Field(
        None, description="the account fact holding the customer's tier (see `account.fields`)"
    )
    vip_tiers: list[str] = Field(
        default_factory=list, description="tiers handed to a person as soon as they are upset"
    )
    regulated_topics: list[RegulatedTopic] = Field(
        default_factory=_all_topics,
        description="regulated topics handed to a person when asked about",
    )


class Handoff(_Model):
    """Who takes this pack's conversations, and how long a customer may wait."""

    skill: str | None = Field(
        None, description="the skill an agent needs to take them; None: any agent"
    )
    sla_wait_s: float = Field(
        120.0, gt=0, description="a wait longer than this breaches the service level"
    )


class ExperimentArm(_Model):
    weight: float = Field(1.0, gt=0.0)
    greeting: str | None = None
    empathy: bool = True
    templates: dict[str, str] = Field(default_factory=dict)

    @field_validator("greeting")
    @classmethod
    def _discloses_ai(cls, value: str | None) -> str | None:
        return None if value is None else check_disclosure(value)


class Experiment(_Model):
    """Response variants compared on live conversations; each conversation gets one arm."""

    enabled: bool = True
    arms: dict[str, ExperimentArm]

    @field_validator("arms")
    @classmethod
    def _two_or_more(cls, value: dict[str, ExperimentArm]) -> dict[str, ExperimentArm]:
        if len(value) < 2:
            raise ValueError("an experiment needs at least two arms")
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"arm name '{name}' must be lower_snake_case")
        return value


class Thresholds(_Model):
    """Intent-confidence zones: at or above ``confident`` act; at or above ``clarify`` ask."""

    confident: float = Field(0.55, ge=0.0, le=1.0)
    clarify: float = Field(0.25, ge=0.0, le=1.0)
    out_of_scope: float | None = Field(
        None,
        description="out-of-scope score at or above which a message is out of scope; "
        "None: the cut-off the classifier sets on held-out folds",
    )
    clarify_choices: int = Field(3, ge=2, le=3)
    max_clarifications: int = Field(2, ge=1)
    max_out_of_scope: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.clarify > self.confident:
            raise ValueError("clarify must not be above confident")
        return self


class EntityValue(_Model):
    synonyms: list[str] = Field(default_factory=list)
    label: str | None = None


class Entity(_Model):
    """An ontology (values with synonyms), a typed pattern (a regular expression), or a typed
    value: a ``date`` (ISO ``YYYY-MM-DD`` from "May 22", "22/05/2024", "next Friday", ...), an
    ``amount`` (``25.50 USD`` from "$25.50", "25 dollars", "EUR 1,200", ...) or an ``address``
    (a complete postal address, kept as a JSON object with ``address1``, ``address2``, ``city``,
    ``state``, ``country`` and ``zip``: ``nlu/address.py``)."""

    kind: Literal["ontology", "pattern", "date", "amount", "address"]
    description: str = ""
    values: dict[str, EntityValue] = Field(default_factory=dict)
    pattern: str | None = None
    normalize: Literal["none", "upper", "lower"] = "none"
    prefer: Literal["future", "past", "current_period"] = Field(
        "future", description="date only: which date a day without a year means"
    )
    currency: str = Field(
        "USD",
        pattern=r"^[A-Z]{3}$",
        description="amount only: the currency of an amount written without one",
    )

    @model_validator(mode="after")
    def _shape(self) -> Entity:
        if self.kind == "ontology" and not self.values:
            raise ValueError("an ontology entity needs values")
        if self.kind != "ontology" and self.values:
            raise ValueError(f"a {self.kind} entity takes no values")
        if self.kind in ("date", "amount", "address") and self.pattern:
            raise ValueError(f"a {self.kind} entity takes no pattern: its format is built in")
        if self.kind == "pattern":
            if not self.pattern:
                raise ValueError("a pattern entity needs a pattern")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from exc
        return self


class Choices(_Model):
    """Where a parameter's choices come from: a record (one of the action's ``records``, or
    ``account``), the Jinja expression giving the list (``items``), what each one sends to the
    back office (``value``, an expression over ``item``) and what a person reads (``label``, a
    template over ``item``); ``where`` (an expression) keeps only some items. Every expression
    also sees ``account``, ``params``, each fetched record by name and, with ``per``, ``each``."""

    record: str = Field(min_length=1)
    items: str = Field(min_length=1)
    value: str = Field("item", min_length=1)
    label: str = Field(min_length=1)
    where: str | None = None


class Parameter(_Model):
    """An action parameter, filled from an entity, the account, a default, or one of the
    ``choices`` evaluated from a record (docs/domain-packs.md, "Guided actions")."""

    entity: str | None = None
    required: bool = True
    default: str | None = None
    prompt: str | None = None
    choices_from_account: str | None = None
    restrict_to_account: bool = Field(
        True,
        description="with choices_from_account and a known customer, accept only the customer's own values",
    )
    choices: Choices | None = None
    many: bool = Field(False, description="several values, kept as a JSON list")
    per: str | None = Field(
        None, description="one value per element of this other (many) parameter, asked in turn"
    )
    auto: bool = Field(False, description="with exactly one possible value, fill it unasked")
    depends_on: list[str] = Field(
        default_factory=list,
        description="other parameters its choices are read with, besides those found in its "
        "records' placeholders and its expressions' params reads: a correction of one drops it",
    )


class HttpRequest(_Model):
    method: HttpMethod = "GET"
    path: str = Field(min_length=1)
    body: dict[str, str] = Field(default_factory=dict)

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("path must start with '/'")
        return value

    def placeholders(self) -> set[str]:
        found = set(_PLACEHOLDER.findall(self.path))
        for template in self.body.values():
            found |= set(_PLACEHOLDER.findall(template))
        return found


RolloutMode = Literal["shadow", "supervised", "autonomous"]
ROLLOUT_MODES: tuple[RolloutMode, ...] = ("shadow", "supervised", "autonomous")


class Rollout(_Model):
    """How far a write is trusted to run on its own (``policy/rollout.py``, docs/rollout.md):
    ``shadow`` (proposed only: a person executes or rejects it from the console),
    ``supervised`` (a write at or above ``approve_from`` risk, or over the limit, waits for a
    person's approval) or ``autonomous`` (runs within the limit). A write that declares no
    mode takes the pack's ``rollout_default`` (``shadow``: nothing runs on its own unless the
    pack says so). A supervisor changes the mode at run time; leaving shadow needs
    ``min_agreement`` over ``min_cases`` decided cases."""

    mode: RolloutMode | None = Field(
        None,
        description="the declared mode (unset: the pack's rollout_default, shadow unless "
        "declared); a supervisor's change overrides it",
    )
    approve_from: Literal["write", "destructive"] = Field(
        "write", description="supervised: the risk from which a write waits for approval"
    )
    max_amount: float | None = Field(
        None, gt=0, description="the largest amount that runs without a person's approval"
    )
    amount_from: str | None = Field(
        None,
        pattern=r"^(params|record)\.[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$",
        description="where the amount is read: params.<parameter>, or record.<field> of the "
        "write's dry run, read again just before it runs",
    )
    min_cases: int = Field(20, ge=1, description="shadow cases decided before promotion")
    min_agreement: float = Field(
        0.9, ge=0.0, le=1.0, description="share of shadow cases executed unchanged to promote"
    )

    @model_validator(mode="after")
    def _limit(self) -> Rollout:
        if (self.max_amount is None) != (self.amount_from is None):
            raise ValueError("max_amount and amount_from go together: the limit and its field")
        return self


class StockHold(_Model):
    """Stock held before a write that takes it is proposed (docs/backoffice.md, "Stock and
    holds"): one unit per value of parameter ``items``, set aside at ``POST {holds}`` before
    the confirmation is asked for, carried to the write in parameter ``param`` (its request
    sends it), released at ``DELETE {holds}/{id}`` when the proposal gets no yes; the choices
    of ``items`` are offered only with units free by the figures of ``GET {stock}``."""

    items: str = Field(description="the parameter whose values are the variants held")
    param: str = Field("hold_id", description="the parameter the hold's id travels in")
    holds: str = Field(pattern=r"^/", description="the back office's holds collection")
    stock: str = Field(pattern=r"^/", description="the back office's stock figures")


class Action(_Model):
    description: str = ""
    risk: Risk
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    request: HttpRequest
    preview: HttpRequest | None = None
    dry_run: bool = Field(
        False, description="preview by sending the request itself with ?dry_run=true"
    )
    records: dict[str, HttpRequest] = Field(
        default_factory=dict, description="reads whose records parameters' choices come from"
    )
    confirm: str | None = None
    success: str
    failure: str | None = None
    refused: str | None = Field(
        None, description="template for a refused dry run (the rule, and what to do instead)"
    )
    instead: dict[str, str] = Field(
        default_factory=dict,
        description="a refused dry run's rule -> another action of the pack that handles it: "
        "proposed instead, with the values it shares already filled",
    )
    ask_again: dict[str, str] = Field(
        default_factory=dict,
        description="a refused dry run's rule -> the parameter with choices asked again, the "
        "refusal said first and every other value kept",
    )
    rollout: Rollout = Field(
        default_factory=Rollout,
        description="rollout mode, limits and the bar for promotion out of shadow (writes only)",
    )
    hold: StockHold | None = Field(
        None, description="units held before the write is proposed (a write that takes stock)"
    )

    @model_validator(mode="after")
    def _confirmation(self) -> Action:
        if self.risk != "read" and not self.confirm:
            raise ValueError(f"a {self.risk} action needs 'confirm' wording")
        if self.dry_run and self.preview is not None:
            raise ValueError("an action previews either by 'dry_run' or by 'preview', not both")
        used = self.request.placeholders() | (
            self.preview.placeholders() if self.preview else set()
        )
        for record in self.records.values():
            used |= record.placeholders()
        unknown = used - set(self.parameters) - {"customer_id"}
        if unknown:
            raise ValueError(f"request uses undeclared parameters: {sorted(unknown)}")
        if set(self.ask_again.values()) - set(self.parameters):
            raise ValueError(f"ask_again names undeclared parameters: {self.ask_again}")
        self._check_rollout()
        self._check_choices()
        self._check_hold()
        return self

    def _check_hold(self) -> None:
        hold = self.hold
        if hold is None:
            return
        if self.risk == "read":
            raise ValueError("hold: only a write takes stock")
        for name in (hold.items, hold.param):
            if name not in self.parameters:
                raise ValueError(f"hold names an undeclared parameter: {name}")
        if self.parameters[hold.param].required:
            raise ValueError(f"hold: parameter {hold.param} must be required: false")

    def _check_rollout(self) -> None:
        if self.risk == "read" and self.rollout != Rollout():
            raise ValueError("rollout: a read action always runs; only writes take a rollout")
        source = self.rollout.amount_from or ""
        if source.startswith("params.") and source.split(".")[1] not in self.parameters:
            raise ValueError(f"rollout.amount_from names an undeclared parameter: {source}")
        if source.startswith("record.") and self.preview_request() is None:
            raise ValueError(
                "rollout.amount_from reads the dry run's record: the action needs "
                "'dry_run' or 'preview'"
            )

    def _check_choices(self) -> None:
        names = list(self.parameters)
        for name, spec in self.parameters.items():
            if spec.choices and spec.choices.record not in {*self.records, "account"}:
                raise ValueError(
                    f"parameter {name}: choices come from unknown record '{spec.choices.record}'"
                )
            unknown = set(spec.depends_on) - set(self.parameters)
            if unknown or name in spec.depends_on:
                raise ValueError(f"parameter {name}: depends_on names {sorted(unknown) or name}")
            if name in self.ask_again.values() and spec.choices is None:
                raise ValueError(f"parameter {name}: ask_again needs choices")
            if (spec.many or spec.per or spec.auto) and spec.choices is None:
                raise ValueError(f"parameter {name}: many, per and auto need choices")
            if spec.per is not None:
                other = self.parameters.get(spec.per)
                if other is None or not other.many or names.index(spec.per) > names.index(name):
                    raise ValueError(
                        f"parameter {name}: per names an earlier parameter with many: true"
                    )

    def preview_request(self) -> HttpRequest | None:
        """The read shown before a yes: ``preview``, or the request itself as a dry run."""
        if not self.dry_run:
            return self.preview
        joiner = "&" if "?" in self.request.path else "?"
        path = f"{self.request.path}{joiner}dry_run=true"
        return self.request.model_copy(update={"path": path})

    def reads(self, name: str) -> set[str]:
        """The parameters the choices of ``name`` are read with: the placeholders of the
        records its expressions name (its own record first), the ``params`` its expressions
        read, its ``per`` and its ``depends_on``."""
        spec = self.parameters[name]
        if spec.choices is None:
            return set(spec.depends_on)
        c = spec.choices
        text = " ".join(x for x in (c.items, c.value, c.label, c.where) if x)
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)) | {c.record}
        uses = {p for r, req in self.records.items() if r in words for p in req.placeholders()}
        uses |= set(_PARAMS_READ.findall(text)) & set(self.parameters)
        uses |= set(spec.depends_on) | ({spec.per} if spec.per else set())
        return uses - {name}

    def depends_on(self, name: str) -> set[str]:
        """The parameters whose choices are read with ``name`` (directly or through another)."""
        found: set[str] = set()
        changed = True
        while changed:
            changed = False
            for pname, spec in self.parameters.items():
                if pname in found or pname == name or not (spec.choices or spec.depends_on):
                    continue
                if self.reads(pname) & ({name} | found):
                    found.add(pname)
                    changed = True
        return found


FactReader = Literal["email", "zip", "name", "pattern", "date", "text"]

NAME_PARTS = ("first_name", "last_name")  # the lookup's placeholders a ``name`` fact fills


class VerificationFact(_Model):
    """One fact a verification method asks the customer for, and how it is read from a reply."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    ask: str = Field(min_length=1, description="the question: a template name, or its text")
    reader: FactReader = Field(
        "text",
        description="email, zip (5 digits), name (first and last), pattern (the regex below), "
        "date, text",
    )
    pattern: str | None = Field(None, description="pattern only: the regex the fact matches")

    @model_validator(mode="after")
    def _pattern(self) -> VerificationFact:
        if (self.reader == "pattern") != (self.pattern is not None):
            raise ValueError("a pattern fact needs a pattern, and only a pattern fact takes one")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from exc
        return self


class VerificationMethod(_Model):
    """How a customer proves who they are in the conversation: facts asked in order, a back
    office lookup that finds the customer from them, and facts the found record must match."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    facts: list[VerificationFact] = Field(min_length=1)
    lookup: HttpRequest
    customer_field: str = Field("user_id", description="the response field with the customer id")
    match: dict[str, str] = Field(
        default_factory=dict, description="fact name -> the field of the record it must equal"
    )

    @model_validator(mode="after")
    def _facts_used(self) -> VerificationMethod:
        names = [f.name for f in self.facts]
        if len(set(names)) != len(names):
            raise ValueError("fact names must be distinct")
        named = [f.name for f in self.facts if f.reader == "name"]
        if len(named) > 1:
            raise ValueError("a method takes at most one name fact")
        parts = set(NAME_PARTS) if named else set()
        unknown = ((self.lookup.placeholders() - parts) | set(self.match)) - set(names)
        if unknown:
            raise ValueError(f"lookup or match uses undeclared facts: {sorted(unknown)}")
        return self

    def fact(self, name: str) -> VerificationFact:
        return next(f for f in self.facts if f.name == name)


class Intent(_Model):
    """Something a customer wants. It is answered by one of: an action, a template, a handoff."""

    description: str = ""
    examples: list[str] = Field(min_length=3)
    action: str | None = None
    response: str | None = None
    escalate: bool = False
    builtin: bool = False
    label: str | None = None
    not_with_entities: list[str] = Field(default_factory=list)
    requires_account: str | None = None

    @model_validator(mode="after")
    def _one_handler(self) -> Intent:
        handlers = [h for h in (self.action, self.response) if h] + (
            ["escalate"] if self.escalate else []
        )
        if len(handlers) > 1:
            raise ValueError("an intent has one handler: action, response or escalate")
        if not handlers and not self.builtin:
            raise ValueError("an intent needs a handler: action, response or escalate: true")
        return self


class AccountSpec(_Model):
    """How to read the customer's account from the back office, and what counts as active."""

    lookup: HttpRequest
    fields: dict[str, str] = Field(default_factory=dict)


class AnomalySettings(_Model):
    """Anomaly holds (``policy/anomaly.py``, docs/anomaly.md): each write's proposals,
    executions and amount are counted in windows of ``window_s`` seconds; when the current
    window reaches ``factor`` x the mean of the ``baseline_windows`` before it (never under
    ``min_count``, ``min_amount`` for the amount), the action is held for every customer until
    a supervisor releases it."""

    enabled: bool = True
    window_s: int = Field(60, ge=1, le=86_400, description="the length of one window, seconds")
    baseline_windows: int = Field(
        10, ge=1, le=1_000, description="how many windows before the current one make the baseline"
    )
    factor: float = Field(3.0, gt=1.0, description="held at this many times the baseline")
    min_count: int = Field(
        20, ge=1, description="the floor of a count's baseline: a quiet action is not held at once"
    )
    min_amount: float = Field(500.0, gt=0, description="the floor of the amount's baseline")
    amount_fields: dict[str, str] = Field(
        default_factory=dict,
        description="per action, where its amount is read: params.<parameter> or result.<field>",
    )

    @field_validator("amount_fields")
    @classmethod
    def _fields(cls, value: dict[str, str]) -> dict[str, str]:
        for action, where in value.items():
            if not _AMOUNT_FIELD.match(where):
                raise ValueError(
                    f"amount field of '{action}' is '{where}'; expected params.<parameter> or "
                    "result.<field> (dots for nested fields)"
                )
        return value


_AMOUNT_FIELD = re.compile(r"^(params|result)\.[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


BUILT_IN_SEGMENTS = frozenset({"pack", "channel", "language", "register", "dialect"})
"""Segments the analytics read themselves; ``register`` and ``dialect`` only from the
customer's words (``nlu/register.py``), never from an account."""


class AnalyticsSpec(_Model):
    """What the analytics segment conversations by besides the built-in dimensions (pack,
    channel, language, experiment arms; docs/analytics.md): each segment's name and the dotted
    path of its value in the customer's account (``tier: membership``). The value is recorded
    once the account is first read (``segments_noted``); only a short scalar is kept."""

    segments: dict[str, str] = Field(
        default_factory=dict, description="segment name -> dotted path in the account"
    )

    @field_validator("segments")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _NAME.match(name) or name in BUILT_IN_SEGMENTS:
                raise ValueError(
                    f"segment '{name}': a lower_snake_case name other than "
                    f"{', '.join(sorted(BUILT_IN_SEGMENTS))}"
                )
        return value


DEFAULT_KNOWLEDGE_INCLUDE = (
    "**/*.md",
    "**/*.markdown",
    "**/*.html",
    "**/*.htm",
    "**/*.txt",
    "**/*.pdf",
)


class KnowledgeSpec(_Model):
    """The company's own documents the bot answers from (docs/knowledge.md): a folder relative
    to the pack file, read for the files ``include`` matches; citations link to ``url`` + the
    document's path when set, else to warmline's own help page (``/help/<pack>/<doc>``)."""

    folder: str = Field(min_length=1, description="the documents' folder, relative to the pack")
    url: str | None = Field(
        None,
        pattern=r"^https?://[^\s]+$",
        description="the citation links' base (the company's help centre); None: /help pages",
    )
    include: list[str] = Field(
        default_factory=lambda: list(DEFAULT_KNOWLEDGE_INCLUDE),
        min_length=1,
        description="glob patterns of the files read, relative to the folder",
    )
    min_support: float = Field(
        0.65,
        ge=0.0,
        le=1.0,
        description="the answerability score (docs/knowledge.md#answers) a question needs to be "
        "answered from the documents; below it the bot does not guess",
    )
    min_topic: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="below min_support, the retrieval support from which the bot says it does "
        "not know and offers a person (a topic the documents cover; else: out of scope)",
    )
    llm: bool = Field(
        False,
        description="phrase answers with the language model of WARMLINE_LLM_URL; every sentence "
        "checked against the passages, else the documents' own sentences are the answer",
    )

    @field_validator("include")
    @classmethod
    def _globs(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not pattern.strip() or pattern.startswith("/") or ".." in pattern.split("/"):
                raise ValueError(f"include '{pattern}': a glob inside the folder (no /, no ..)")
        return value


class DomainPack(_Model):
    pack: str
    version: int = 1
    description: str = ""
    languages: list[str] = Field(default_factory=lambda: ["en"])
    persona: Persona
    thresholds: Thresholds = Thresholds()
    empathy: Empathy = Empathy()
    escalation: Escalation = Escalation()
    handoff: Handoff = Handoff()
    experiments: dict[str, Experiment] = Field(default_factory=dict)
    account: AccountSpec | None = None
    entities: dict[str, Entity] = Field(default_factory=dict)
    intents: dict[str, Intent]
    actions: dict[str, Action] = Field(default_factory=dict)
    templates: dict[str, str] = Field(default_factory=dict)
    verification: list[VerificationMethod] = Field(
        default_factory=list,
        description="in-conversation verification; empty: only identity tokens bind a customer",
    )
    console: ConsoleSpec = Field(
        default_factory=ConsoleSpec,
        description="what the agent console shows of a customer, and the saved replies",
    )
    anomaly: AnomalySettings = Field(
        default_factory=AnomalySettings,
        description="when a write whose volume jumps is held for everyone (docs/anomaly.md)",
    )
    analytics: AnalyticsSpec = Field(
        default_factory=AnalyticsSpec,
        description="the segments the analytics read from the account (docs/analytics.md)",
    )
    knowledge: KnowledgeSpec | None = Field(
        None, description="the documents the bot answers from (docs/knowledge.md)"
    )
    rollout_default: RolloutMode = Field(
        "shadow",
        description="the rollout mode of a write that declares none (docs/rollout.md): safe "
        "by default, a write runs on its own only where the pack says autonomous",
    )

    @field_validator("pack")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("pack name must be lower_snake_case")
        return value

    def reference_problems(self) -> list[tuple[tuple[str, ...], str]]:
        """Cross-references that do not resolve, each with the path of the offending field."""
        problems: list[tuple[tuple[str, ...], str]] = []
        for name, intent in self.intents.items():
            if intent.action and intent.action not in self.actions:
                problems.append((("intents", name, "action"), f"unknown action '{intent.action}'"))
            if intent.response and intent.response not in self.templates:
                problems.append(
                    (("intents", name, "response"), f"unknown template '{intent.response}'")
                )
            for ent in intent.not_with_entities:
                if ent not in self.entities:
                    problems.append(
                        (("intents", name, "not_with_entities"), f"unknown entity '{ent}'")
                    )
        for name, action in self.actions.items():
            if action.success not in self.templates:
                problems.append(
                    (("actions", name, "success"), f"unknown template '{action.success}'")
                )
            if action.failure and action.failure not in self.templates:
                problems.append(
                    (("actions", name, "failure"), f"unknown template '{action.failure}'")
                )
            if action.refused and action.refused not in self.templates:
                problems.append(
                    (("actions", name, "refused"), f"unknown template '{action.refused}'")
                )
            for rule, other in action.instead.items():
                if not any(i.action == other for i in self.intents.values()) or other == name:
                    problems.append(
                        (
                            ("actions", name, "instead", rule),
                            f"'{other}' is not another action an intent leads to",
                        )
                    )
            for pname, param in action.parameters.items():
                if param.entity and param.entity not in self.entities:
                    problems.append(
                        (
                            ("actions", name, "parameters", pname, "entity"),
                            f"unknown entity '{param.entity}'",
                        )
                    )
        for name in self.anomaly.amount_fields:
            if name not in self.actions:
                problems.append((("anomaly", "amount_fields", name), f"unknown action '{name}'"))
        return problems

    def declared_mode(self, action: str) -> RolloutMode:
        """The rollout mode the pack gives write ``action``: its own, else the pack's
        ``rollout_default`` (a supervisor's change, kept in the database, overrides both)."""
        return self.actions[action].rollout.mode or self.rollout_default

    def intent_label(self, name: str) -> str:
        intent = self.intents.get(name)
        if intent and intent.label:
            return intent.label
        return name.replace("_", " ")
