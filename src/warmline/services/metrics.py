"""Metrics (Prometheus): what the bot did, counted from the events each turn records, so the
metrics and the event log agree; the turn's and the back office's latency; the breakers' state.

``count_recorded`` is called once per recorded turn (``services/turn/record.py``), after the
append succeeded. With several workers, ``PROMETHEUS_MULTIPROC_DIR`` set (an empty folder,
before the workers start) puts prometheus_client in multiprocess mode: each worker writes its
values there and a scrape of any worker reads them all (docs/observability.md)."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from warmline.domain.events import Decided, Escalated, Event, MessageReceived

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TURNS = Counter("warmline_turns", "Customer messages taken as a turn", ["pack"], registry=None)
DECISIONS = Counter(
    "warmline_decisions", "Decisions recorded, by kind", ["pack", "kind"], registry=None
)
ESCALATIONS = Counter(
    "warmline_escalations", "Hand-overs to a person, by trigger", ["pack", "trigger"], registry=None
)
ACTIONS = Counter(
    "warmline_actions",
    "Pack actions by outcome (proposed, executed, failed, declined, awaiting_approval, "
    "approved, rejected) and rollout mode",
    ["pack", "action", "outcome", "mode"],
    registry=None,
)
HOLDS = Counter("warmline_holds", "Stock holds, by outcome", ["outcome"], registry=None)
TURN_SECONDS = Histogram(
    "warmline_turn_seconds", "Time of a turn", buckets=LATENCY_BUCKETS, registry=None
)
STAGE_SECONDS = Histogram(
    "warmline_turn_stage_seconds",
    "Time of a stage of a turn",
    ["stage"],
    buckets=LATENCY_BUCKETS,
    registry=None,
)
BACKOFFICE_SECONDS = Histogram(
    "warmline_backoffice_call_seconds",
    "Time of one HTTP attempt to the back office, by route",
    ["operation"],
    buckets=LATENCY_BUCKETS,
    registry=None,
)
OWN: tuple[Collector, ...] = (
    TURNS,
    DECISIONS,
    ESCALATIONS,
    ACTIONS,
    HOLDS,
    TURN_SECONDS,
    STAGE_SECONDS,
    BACKOFFICE_SECONDS,
)
OUTCOMES = {
    "action_proposed": "proposed",
    "action_executed": "executed",
    "action_failed": "failed",
    "action_declined": "declined",
    "action_awaiting_approval": "awaiting_approval",
    "action_approved": "approved",
    "action_rejected": "rejected",
}
"""The event kinds counted in ``warmline_actions_total`` and the outcome each stands for."""
BREAKER_VALUES = {"closed": 0.0, "half-open": 1.0, "half_open": 1.0, "open": 2.0}
UNKNOWN_MODE = "unknown"


HOLD_REASONS = {
    "stock_held": "placed",
    "stock_hold_released": "released",
    "stock_sold_out": "sold_out",
    "stock_unavailable": "unavailable",
}
"""The reasons of a decision that tell what became of a stock hold, and the outcome each counts
as in ``warmline_holds_total``."""


def count_recorded(pack: str, events: Iterable[Event]) -> None:
    """Count a recorded turn's events: messages, decisions, escalations, actions, and the
    stock holds its decisions' reasons tell of (once a turn: every decision of a turn carries
    what the turn observed)."""
    holds: set[str] = set()
    for event in events:
        if isinstance(event, MessageReceived):
            TURNS.labels(pack).inc()
        elif isinstance(event, Decided):
            DECISIONS.labels(pack, event.decision.kind).inc()
            holds.update(r.code for r in event.decision.reasons if r.code in HOLD_REASONS)
        elif isinstance(event, Escalated):
            ESCALATIONS.labels(pack, event.trigger).inc()
        elif event.kind in OUTCOMES:
            action = str(getattr(event, "action", ""))
            ACTIONS.labels(pack, action, OUTCOMES[event.kind], rollout_mode(event)).inc()
    for code in sorted(holds):
        HOLDS.labels(HOLD_REASONS[code]).inc()


def rollout_mode(event: Event) -> str:
    """The rollout mode an action event states: its ``mode``, else a reason giving one, else
    ``unknown`` (an event that does not say)."""
    mode = getattr(event, "mode", None)
    if isinstance(mode, str) and mode:
        return mode
    for reason in getattr(event, "reasons", None) or ():
        value = reason.values.get("mode")
        if isinstance(value, str) and value:
            return value
    return UNKNOWN_MODE


def count_hold(outcome: str) -> None:
    """One stock hold's outcome told by no decision (``expired``, ``converted`` ...), for the
    code that learns of it."""
    HOLDS.labels(outcome).inc()


async def breaker_states(client: object) -> Mapping[str, Any] | None:
    """The connector's breakers by operation, read through its ``breaker_states()`` (plain
    or awaitable); None when the connector has no such method."""
    read = getattr(client, "breaker_states", None)
    if not callable(read):
        return None
    states = read()
    if inspect.isawaitable(states):
        states = await states
    return states if isinstance(states, Mapping) else None


def breaker_family(states: Mapping[str, Any]) -> GaugeMetricFamily:
    """``warmline_breaker_state{operation}``: 0 closed, 1 half-open, 2 open, from the
    connector's ``breaker_states()`` (a state name, or an object or mapping with ``state``)."""
    family = GaugeMetricFamily(
        "warmline_breaker_state",
        "Back-office circuit breaker per operation: 0 closed, 1 half-open, 2 open",
        labels=["operation"],
    )
    for operation, state in sorted(states.items()):
        name = state if isinstance(state, str) else getattr(state, "state", None)
        if name is None and isinstance(state, Mapping):
            name = state.get("state")
        if isinstance(name, str) and name in BREAKER_VALUES:
            family.add_metric([operation], BREAKER_VALUES[name])
    return family


class _Scrape(Collector):
    """One scrape: the counters and histograms (this process's, or every worker's in
    multiprocess mode) and the metrics read at scrape time."""

    def __init__(self, extra: Iterable[Metric]) -> None:
        self.extra = list(extra)

    def collect(self) -> Iterator[Metric]:
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if folder:
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
            yield from registry.collect()
        else:
            for collector in OWN:
                yield from collector.collect()
        yield from self.extra


def exposition(extra: Iterable[Metric] = ()) -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    return generate_latest(_Scrape(extra)), CONTENT_TYPE_LATEST
