"""Conversation tests: scenario files (YAML) run against a domain pack in-process.

The format is documented in docs/scenarios.md and kept stable. A file holds a ``pack``, an
optional default ``customer`` and a list of ``scenarios``; each scenario has ``turns`` with
``expect`` blocks and an optional ``after`` block checking the whole conversation and the
back office's state.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree as ET

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from warmline.domain.customers import dig
from warmline.domain.events import (
    ActionExecuted,
    ActionProposed,
    BotReplied,
    Decided,
    Escalated,
    Event,
)
from warmline.errors import PackError, PackIssue, WarmlineError
from warmline.services.runtime import Runtime


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expect(_Strict):
    decision: str | None = None
    intent: str | None = None
    reply_contains: list[str] = Field(default_factory=list)
    reply_not_contains: list[str] = Field(default_factory=list)
    choices_include: list[str] = Field(default_factory=list)
    choices_exclude: list[str] = Field(default_factory=list)
    actions_executed: list[str] = Field(default_factory=list)
    actions_not_executed: list[str] = Field(default_factory=list)
    action_proposed: str | None = None
    escalation: str | None = None
    reasons_include: list[str] = Field(default_factory=list)
    status: Literal["open", "escalated", "closed"] | None = None
    acknowledgement: str | None = Field(
        None,
        description="the cause the reply must open by acknowledging, or 'none' for no "
        "acknowledgement at all",
    )


class BackOfficeWrite(_Strict):
    """A write sent straight to the back office before the turn, as if someone else (the
    customer on the website, a colleague) changed the account or the order in between."""

    method: Literal["POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str
    body: dict[str, Any] = Field(default_factory=dict)


class Turn(_Strict):
    customer: str | None = None
    press: Literal["talk_to_person"] | None = None
    backoffice: list[BackOfficeWrite] = Field(default_factory=list)
    expect: Expect = Expect()

    @model_validator(mode="after")
    def _one(self) -> Turn:
        if (self.customer is None) == (self.press is None):
            raise ValueError("a turn has exactly one of 'customer' (a message) or 'press'")
        return self


class BackOfficeCheck(_Strict):
    get: str
    expect: dict[str, Any] = Field(default_factory=dict)


class After(_Strict):
    actions_never_executed: list[str] = Field(default_factory=list)
    actions_executed: list[str] = Field(default_factory=list)
    escalation: str | None = None
    status: Literal["open", "escalated", "closed"] | None = None
    backoffice: list[BackOfficeCheck] = Field(default_factory=list)


class Switches(_Strict):
    latency_ms: int = 0
    error_rate: float = 0.0
    outage: bool = False


class Scenario(_Strict):
    name: str
    pack: str | None = None
    customer: str | None = None
    backoffice: Switches | None = None
    turns: list[Turn] = Field(min_length=1)
    after: After = After()


class ScenarioFile(_Strict):
    pack: str
    customer: str | None = None
    reset_backoffice: bool = True
    scenarios: list[Scenario] = Field(min_length=1)


class ScenarioResult(BaseModel):
    file: str
    name: str
    passed: bool
    failures: list[str]
    seconds: float
    transcript: list[str] = Field(default_factory=list)


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. A customer who says yes, no, on or off means it."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_scenarios(path: Path) -> ScenarioFile:
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=_Loader)
        return ScenarioFile.model_validate(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise PackError([PackIssue(str(path), line, "(yaml)", str(exc))]) from None
    except ValidationError as exc:
        raise PackError(
            [
                PackIssue(str(path), None, ".".join(str(p) for p in e["loc"]), e["msg"])
                for e in exc.errors()
            ]
        ) from None
    except OSError as exc:
        raise PackError([PackIssue(str(path), None, "(file)", str(exc))]) from None


def _executed(events: list[Event]) -> list[str]:
    return [e.action for e in events if isinstance(e, ActionExecuted)]


def _check_turn(
    expect: Expect, result_events: list[Event], decision: Any, status: str
) -> list[str]:
    failures: list[str] = []
    reply = "\n".join(getattr(e, "text", "") for e in result_events if e.kind == "bot_replied")
    choices = [
        c for e in result_events if e.kind == "bot_replied" for c in getattr(e, "choices", [])
    ]
    executed = _executed(result_events)
    if expect.decision and (decision is None or decision.kind != expect.decision):
        failures.append(
            f"decision: expected {expect.decision}, got {decision.kind if decision else None}"
        )
    if expect.intent and (decision is None or decision.intent != expect.intent):
        failures.append(
            f"intent: expected {expect.intent}, got {decision.intent if decision else None}"
        )
    failures += [
        f"reply does not contain {s!r}"
        for s in expect.reply_contains
        if s.lower() not in reply.lower()
    ]
    failures += [
        f"reply contains {s!r}" for s in expect.reply_not_contains if s.lower() in reply.lower()
    ]
    failures += [f"choices lack {c!r}" for c in expect.choices_include if c not in choices]
    failures += [f"choices offer {c!r}" for c in expect.choices_exclude if c in choices]
    failures += [
        f"action {a} was not executed" for a in expect.actions_executed if a not in executed
    ]
    failures += [f"action {a} was executed" for a in expect.actions_not_executed if a in executed]
    if expect.action_proposed:
        proposed = [e.action for e in result_events if isinstance(e, ActionProposed)]
        if expect.action_proposed not in proposed:
            failures.append(
                f"action {expect.action_proposed} was not proposed (proposed: {proposed})"
            )
    if expect.escalation:
        triggers = [e.trigger for e in result_events if isinstance(e, Escalated)]
        if expect.escalation not in triggers:
            failures.append(f"escalation: expected {expect.escalation}, got {triggers or 'none'}")
    if expect.reasons_include:
        codes = decision.reason_codes() if decision else []
        # a decision taken after the action (a write refused after the yes) is recorded too
        codes += [
            c for e in result_events if isinstance(e, Decided) for c in e.decision.reason_codes()
        ]
        failures += [
            f"reasons lack {c!r} (got {codes})" for c in expect.reasons_include if c not in codes
        ]
    if expect.status and status != expect.status:
        failures.append(f"status: expected {expect.status}, got {status}")
    if expect.acknowledgement:
        failures += _check_acknowledgement(expect.acknowledgement, result_events, decision)
    return failures


def _check_acknowledgement(expected: str, events: list[Event], decision: Any) -> list[str]:
    """The decision acknowledges ``expected`` and the first reply opens with it (before any
    answer, question or result); or, for 'none', nothing is acknowledged."""
    ack = decision.acknowledgement if decision is not None else None
    first = next((e for e in events if isinstance(e, BotReplied)), None)
    if expected == "none":
        if ack is not None or (first is not None and first.acknowledgement):
            return [f"acknowledgement: expected none, got {ack.cause if ack else first}"]
        return []
    if ack is None or ack.cause != expected:
        return [f"acknowledgement: expected {expected}, got {ack.cause if ack else 'none'}"]
    if (
        first is None
        or not first.acknowledgement
        or not first.text.startswith(first.acknowledgement)
    ):
        return ["acknowledgement: the first reply does not open with it"]
    return []


def _matches(actual: Any, expected: Any) -> bool:
    return actual == expected or (isinstance(expected, str) and str(actual) == expected)


async def run_scenario(
    runtime: Runtime, file: ScenarioFile, scenario: Scenario, source: str
) -> ScenarioResult:
    """Play one scenario turn by turn, then check the whole conversation and the back office."""
    started = time.perf_counter()
    failures: list[str] = []
    transcript: list[str] = []
    client = runtime.backoffice
    try:
        if file.reset_backoffice:
            await client.request("POST", "/_admin/reset")
            switches = scenario.backoffice or Switches()
            await client.request("PUT", "/_admin/switches", json=switches.model_dump())
        cid = await _play(runtime, file, scenario, transcript, failures)
        if file.reset_backoffice:
            await client.request("PUT", "/_admin/switches", json=Switches().model_dump())
        failures += await _check_after(runtime, scenario.after, cid)
    except WarmlineError as exc:
        failures.append(f"error: {exc.code}: {exc.message}")
    return ScenarioResult(
        file=source,
        name=scenario.name,
        passed=not failures,
        failures=failures,
        seconds=time.perf_counter() - started,
        transcript=transcript,
    )


async def _play(
    runtime: Runtime,
    file: ScenarioFile,
    scenario: Scenario,
    transcript: list[str],
    failures: list[str],
) -> str:
    """Start the conversation and play its turns, checking each; returns its id."""
    service = runtime.conversations
    start = await service.start(
        scenario.pack or file.pack, scenario.customer or file.customer, "test"
    )
    cid = start.conversation_id
    transcript += [f"bot: {r.text}" for r in start.replies]
    for index, turn in enumerate(scenario.turns, 1):
        for write in turn.backoffice:
            transcript.append(f"[back office: {write.method} {write.path}]")
            await runtime.backoffice.request(write.method, write.path, json=write.body)
        if turn.customer is not None:
            transcript.append(f"customer: {turn.customer}")
            result = await service.post_message(cid, turn.customer)
        else:
            transcript.append("customer: [presses talk to a person]")
            result = await service.request_person(cid)
        transcript += [_said(r) for r in result.replies]
        failures += [
            f"turn {index}: {f}"
            for f in _check_turn(turn.expect, result.events, result.decision, result.status)
        ]
    return cid


def _said(reply: BotReplied) -> str:
    """A bot's reply in the transcript, with the choices it offered."""
    offered = f" (choices: {' | '.join(reply.choices)})" if reply.choices else ""
    return f"bot: {reply.text}{offered}"


async def _check_after(runtime: Runtime, after: After, cid: str) -> list[str]:
    """The whole conversation: disclosure, no acknowledgement twice, the ``after`` block."""
    state, events = await runtime.conversations.state(cid)
    executed = _executed(events)
    failures: list[str] = []
    if not state.disclosed:
        failures.append("the conversation never disclosed that the customer is talking to an AI")
    said = state.acknowledgements
    failures += [
        f"acknowledgement said twice: {a!r}" for a in sorted(set(said)) if said.count(a) > 1
    ]
    failures += [
        f"after: action {a} was executed" for a in after.actions_never_executed if a in executed
    ]
    failures += [
        f"after: action {a} was never executed" for a in after.actions_executed if a not in executed
    ]
    if after.escalation and state.escalation != after.escalation:
        failures.append(f"after: escalation expected {after.escalation}, got {state.escalation}")
    if after.status and state.status != after.status:
        failures.append(f"after: status expected {after.status}, got {state.status}")
    for check in after.backoffice:
        record = await runtime.backoffice.request("GET", check.get)
        for path, want in check.expect.items():
            got = dig(record, path)
            if not _matches(got, want):
                failures.append(
                    f"after: back office {check.get} {path}: expected {want!r}, got {got!r}"
                )
    return failures


def junit_xml(results: list[ScenarioResult]) -> str:
    suite = ET.Element(
        "testsuite",
        name="warmline-scenarios",
        tests=str(len(results)),
        failures=str(sum(not r.passed for r in results)),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite, "testcase", classname=result.file, name=result.name, time=f"{result.seconds:.3f}"
        )
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=result.failures[0])
            failure.text = "\n".join([*result.failures, "", *result.transcript])
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)
