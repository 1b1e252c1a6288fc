"""Observability: a turn's trace (the turn span, a child span per stage, the back office's calls
and the database beneath), its id stored on the turn's decision, no personal data in any span;
``GET /metrics`` only for the scrape token or an admin, its counters moved by a recorded turn
with the right labels."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import sign_in, test_settings
from warmline.app import create_app
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import ActionDeclined, ActionExecuted, Decided
from warmline.nlu.embeddings import Encoder
from warmline.services import metrics, telemetry
from warmline.services.agent_accounts import hash_password
from warmline.services.runtime import Runtime

USER = "chen_jackson_3290"
NOW = datetime(2026, 5, 1, tzinfo=UTC)
ASK = "where is my reservation 4WQ150? my email is jo@example.com"
STAGES = {"perceive", "guide", "decide", "respond", "record"}
ACCOUNTS = {
    "ana": {"hash": hash_password("ana-pass"), "role": "agent"},
    "ada": {"hash": hash_password("ada-pass"), "role": "admin"},
}


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on, into memory, for the runtimes built while it lasts."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.install(provider)
    yield exporter
    telemetry.install(None)
    provider.shutdown()


@pytest.fixture
async def traced(
    spans: InMemorySpanExporter, encoder: Encoder, model_cache: Path, backoffice_app: object
) -> AsyncIterator[Runtime]:
    built = await Runtime.build(
        test_settings(model_cache),
        transport=httpx.ASGITransport(app=backoffice_app),  # type: ignore[arg-type]
        encoder=encoder,
    )
    yield built
    await built.aclose()


def _descends(span: ReadableSpan, ancestor: ReadableSpan, by_id: dict[int, ReadableSpan]) -> bool:
    parent = span.parent
    while parent is not None:
        if parent.span_id == ancestor.context.span_id:
            return True
        above = by_id.get(parent.span_id)
        parent = above.parent if above is not None else None
    return False


async def test_a_turn_is_one_trace_with_a_span_per_stage_and_its_id_in_the_log(
    traced: Runtime, spans: InMemorySpanExporter
) -> None:
    cid = (await traced.conversations.start(None, USER)).conversation_id
    spans.clear()
    await traced.conversations.post_message(cid, ASK)
    finished = list(spans.get_finished_spans())
    turn = next(s for s in finished if s.name == "turn")
    assert turn.attributes == {"warmline.conversation_id": cid, "warmline.turn": "message"}
    children = {s.name for s in finished if s.parent and s.parent.span_id == turn.context.span_id}
    assert children >= STAGES
    by_id = {s.context.span_id: s for s in finished}
    trace_id = turn.context.trace_id
    calls = [s for s in finished if s.name.startswith("GET /")]
    assert calls and all(_descends(s, turn, by_id) for s in calls)
    database = [s for s in finished if s.attributes and "db.system" in s.attributes]
    assert database and all(s.context.trace_id == trace_id for s in database)
    _, events = await traced.conversations.state(cid)
    decided = [e for e in events if isinstance(e, Decided)]
    assert decided[-1].trace_id == format(trace_id, "032x")


async def test_no_span_carries_the_customers_words_or_ids(
    traced: Runtime, spans: InMemorySpanExporter
) -> None:
    cid = (await traced.conversations.start(None, USER)).conversation_id
    await traced.conversations.post_message(cid, ASK)
    values = [
        str(value)
        for span in spans.get_finished_spans()
        for value in [span.name, *(span.attributes or {}).values()]
    ]
    assert any("/airline/reservations/{id}" in v for v in values)
    for secret in ("4WQ150", USER, "jo@example.com", "where is my"):
        assert not [v for v in values if secret in v], secret


async def test_without_an_exporter_nothing_is_traced_and_no_id_is_stored(
    runtime: Runtime,
) -> None:
    assert telemetry.provider() is None
    cid = (await runtime.conversations.start(None, USER)).conversation_id
    await runtime.conversations.post_message(cid, ASK)
    _, events = await runtime.conversations.state(cid)
    assert [e.trace_id for e in events if isinstance(e, Decided)] == [None]


def test_a_call_is_named_by_its_route_without_ids_or_query() -> None:
    assert telemetry.route("GET", "/airline/users/chen_jackson_3290/reservations") == (
        "GET /airline/users/{id}/reservations"
    )
    assert telemetry.route("POST", "/retail/orders/%23W2611340/exchange") == (
        "POST /retail/orders/{id}/exchange"
    )
    assert telemetry.route("GET", "/retail/users?email=jo@example.com") == "GET /retail/users"


@pytest.fixture
async def guarded(
    encoder: Encoder, model_cache: Path, backoffice_app: object
) -> AsyncIterator[Runtime]:
    built = await Runtime.build(
        test_settings(model_cache, agents=ACCOUNTS),
        transport=httpx.ASGITransport(app=backoffice_app),  # type: ignore[arg-type]
        encoder=encoder,
    )
    yield built
    await built.aclose()


@pytest.fixture
def app(guarded: Runtime) -> FastAPI:
    return create_app(runtime=guarded)


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w.test")


async def test_metrics_need_the_scrape_token_or_an_admin(app: FastAPI) -> None:
    token = app.state.metrics_token
    async with _client(app) as anyone:
        assert (await anyone.get("/metrics")).status_code == 401
        wrong = {"Authorization": "Bearer not-the-token"}
        assert (await anyone.get("/metrics", headers=wrong)).status_code == 401
        scraped = await anyone.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        assert "warmline_turn_seconds" in scraped.text
    async with _client(app) as agent:
        await sign_in(agent, "ana", "ana-pass")
        assert (await agent.get("/metrics")).status_code == 403
    async with _client(app) as admin:
        await sign_in(admin, "ada", "ada-pass")
        assert (await admin.get("/metrics")).status_code == 200


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _moved(before: dict, after: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    """How much the samples of ``name`` with (at least) ``labels`` moved."""
    wanted = set(labels.items())
    return sum(
        value - before.get(key, 0.0)
        for key, value in after.items()
        if key[0] == name and wanted <= key[1]
    )


async def test_a_recorded_turn_moves_the_counters_with_its_labels(
    app: FastAPI, guarded: Runtime
) -> None:
    bearer = {"Authorization": f"Bearer {app.state.metrics_token}"}
    service = guarded.conversations
    async with _client(app) as scraper:
        before = _samples((await scraper.get("/metrics", headers=bearer)).text)
        cid = (await service.start(None, USER)).conversation_id
        proposed = await service.post_message(cid, "please cancel my reservation 4WQ150")
        done = await service.post_message(cid, "yes")
        await service.request_person(cid)
        after = _samples((await scraper.get("/metrics", headers=bearer)).text)
    pack = "mini_airline"
    assert proposed.decision and proposed.decision.kind == "confirm"
    assert done.decision and done.decision.kind == "act"
    assert _moved(before, after, "warmline_turns_total", pack=pack) == 2
    assert _moved(before, after, "warmline_decisions_total", pack=pack, kind="confirm") == 1
    assert _moved(before, after, "warmline_decisions_total", pack=pack, kind="act") == 1
    assert _moved(before, after, "warmline_decisions_total", pack=pack, kind="escalate") == 1
    trigger = {"pack": pack, "trigger": "customer_request"}
    assert _moved(before, after, "warmline_escalations_total", **trigger) == 1
    action = {"pack": pack, "action": "cancel_reservation"}
    for outcome in ("proposed", "executed"):
        assert _moved(before, after, "warmline_actions_total", **action, outcome=outcome) == 1
    assert _moved(before, after, "warmline_turn_seconds_count") == 3
    assert _moved(before, after, "warmline_turn_stage_seconds_count", stage="act") == 2
    assert after[("warmline_breaker_state", frozenset({("operation", "read")}))] == 0  # closed
    calls = [k for k in after if k[0] == "warmline_backoffice_call_seconds_count"]
    assert ("operation", "POST /airline/reservations/{id}/cancel") in {
        item for _, labels in calls for item in labels
    }


async def test_the_breaker_gauge_reads_the_connectors_states() -> None:
    class Connector:
        async def breaker_states(self) -> dict[str, object]:
            return {
                "read": SimpleNamespace(state="closed"),
                "write:airline.cancel_reservation": SimpleNamespace(state="open"),
                "write:airline.update_cabin": {"state": "half-open"},
            }

    states = await metrics.breaker_states(Connector())
    assert states is not None
    text = metrics.exposition([metrics.breaker_family(states)])[0].decode()
    gauge = {k: v for k, v in _samples(text).items() if k[0] == "warmline_breaker_state"}
    assert {dict(k[1])["operation"]: v for k, v in gauge.items()} == {
        "read": 0,
        "write:airline.cancel_reservation": 2,
        "write:airline.update_cabin": 1,
    }
    assert await metrics.breaker_states(object()) is None  # a connector without breakers


COUNT_ONE_TURN = """
from datetime import UTC, datetime
from warmline.domain.events import MessageReceived
from warmline.services.metrics import count_recorded
count_recorded("airline", [MessageReceived(at=datetime.now(UTC), text="hi")])
"""
SCRAPE = "from warmline.services.metrics import exposition; print(exposition()[0].decode())"


def test_with_a_multiprocess_folder_a_scrape_reads_every_workers_counts(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):  # two workers, each counting one turn
        subprocess.run([sys.executable, "-c", COUNT_ONE_TURN], env=env, check=True)
    scraped = subprocess.run(
        [sys.executable, "-c", SCRAPE], env=env, check=True, capture_output=True, text=True
    ).stdout
    samples = _samples(scraped)
    assert samples[("warmline_turns_total", frozenset({("pack", "airline")}))] == 2


CONFIGURE = """
from warmline.services import telemetry
provider = telemetry.configure()
print("provider:", provider is not None)
if provider is not None:
    with telemetry.stage("perceive"):
        pass
    provider.force_flush()
"""


def _configured(**variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return subprocess.run(
        [sys.executable, "-c", CONFIGURE],
        env={**env, **variables},
        capture_output=True,
        text=True,
    )


def test_tracing_is_configured_from_the_otel_variables() -> None:
    assert "provider: False" in _configured().stdout  # unset: no provider
    assert "provider: False" in _configured(OTEL_TRACES_EXPORTER="none").stdout
    off = _configured(OTEL_TRACES_EXPORTER="console", OTEL_SDK_DISABLED="true")
    assert "provider: False" in off.stdout
    console = _configured(OTEL_TRACES_EXPORTER="console", OTEL_SERVICE_NAME="warmline-eu")
    assert "provider: True" in console.stdout
    assert '"name": "perceive"' in console.stdout and "warmline-eu" in console.stdout
    for wrong in ({"OTEL_TRACES_EXPORTER": "zipkin"}, {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}):
        failed = _configured(**{"OTEL_TRACES_EXPORTER": "otlp", **wrong})
        assert failed.returncode != 0 and "ConfigurationError" in failed.stderr


def test_holds_are_counted_once_a_turn_from_the_decisions_reasons() -> None:
    held = Reason(code="stock_held", detail="1 unit held")
    released = Reason(code="stock_hold_released", detail="the earlier hold released")
    decision = Decision(kind="confirm", reasons=[held, released])
    turn = [Decided(at=NOW, decision=decision), Decided(at=NOW, decision=decision)]

    def count(outcome: str) -> float:
        text = metrics.exposition()[0].decode()
        return _samples(text).get(("warmline_holds_total", frozenset({("outcome", outcome)})), 0)

    before = {o: count(o) for o in ("placed", "released", "sold_out")}
    metrics.count_recorded("retail", turn)
    assert {o: count(o) - before[o] for o in before} == {"placed": 1, "released": 1, "sold_out": 0}


def test_an_actions_rollout_mode_is_the_one_its_event_states() -> None:
    mode = Reason(
        code="rollout_supervised", detail="a person checks", values={"mode": "supervised"}
    )
    executed = ActionExecuted(at=NOW, action="refund", params={}, risk="write", reasons=[mode])
    declined = ActionDeclined(at=NOW, action="refund")
    assert metrics.rollout_mode(executed) == "supervised"
    assert metrics.rollout_mode(declined) == "unknown"
    before = _samples(metrics.exposition()[0].decode())
    metrics.count_recorded("retail", [executed, declined])
    after = _samples(metrics.exposition()[0].decode())
    labels = {"pack": "retail", "action": "refund"}
    executed_supervised = {**labels, "outcome": "executed", "mode": "supervised"}
    assert _moved(before, after, "warmline_actions_total", **executed_supervised) == 1
    assert _moved(before, after, "warmline_actions_total", **labels, outcome="declined") == 1
