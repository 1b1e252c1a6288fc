"""Traces (OpenTelemetry): a ``turn`` span per customer turn, a child span per stage, the
back-office calls (httpx) and the database (SQLAlchemy) beneath them.

Tracing is configured once per process from the standard ``OTEL_*`` variables
(``configure``): ``OTEL_TRACES_EXPORTER`` names the exporters (``console``, ``otlp``: OTLP over
HTTP, to ``OTEL_EXPORTER_OTLP_ENDPOINT``; ``none``, the default here). With no exporter there is
no tracer provider at all: a stage's span is skipped before anything is built, the back-office
transport and the engine are not instrumented, and tracing costs nothing.

No personal data goes into a span: the turn carries its conversation id, never the customer's
text; a back-office call's URL is cut to its route with every id replaced (``route``) and no
query. The trace id of a turn is stored on its ``Decided`` events (``trace_id``), so a decision
in the log links to its trace (docs/observability.md)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from functools import cache, wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.connectors import backoffice
from warmline.errors import ConfigurationError
from warmline.services import metrics

P = ParamSpec("P")
R = TypeVar("R")
TRACER = "warmline"
EXPORTERS = ("console", "otlp", "none")
_state: dict[str, TracerProvider | None] = {"provider": None}
_configured: list[bool] = []


def configure(environ: Mapping[str, str] = os.environ) -> TracerProvider | None:
    """The process's tracer provider, built from ``environ`` on the first call (later calls
    return the same one): None when ``OTEL_SDK_DISABLED`` is true or ``OTEL_TRACES_EXPORTER``
    is unset or ``none``. An unknown exporter or a protocol other than OTLP over HTTP is a
    ``ConfigurationError``."""
    if _configured:
        return _state["provider"]
    _configured.append(True)
    names = [n.strip() for n in environ.get("OTEL_TRACES_EXPORTER", "none").split(",")]
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown:
        raise ConfigurationError(f"OTEL_TRACES_EXPORTER: unknown exporter {unknown[0]!r}")
    disabled = environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    processors = [] if disabled else [_processor(n, environ) for n in names if n != "none"]
    if not processors:
        return None
    service = environ.get("OTEL_SERVICE_NAME") or TRACER
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    for processor in processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    install(provider)
    return provider


def _processor(name: str, environ: Mapping[str, str]) -> SpanProcessor:
    if name == "console":
        return BatchSpanProcessor(ConsoleSpanExporter())
    protocol = environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "")
    )
    if protocol not in ("", "http/protobuf"):
        raise ConfigurationError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol}: warmline exports OTLP over HTTP "
            "(http/protobuf) only"
        )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return BatchSpanProcessor(OTLPSpanExporter())


def install(provider: TracerProvider | None) -> None:
    """Trace with ``provider`` from now on (None: no tracing); ``configure`` calls it, tests
    and benchmarks call it with a provider of their own. Transports and engines instrumented
    before keep the provider they were built with."""
    _state["provider"] = provider


def provider() -> TracerProvider | None:
    return _state["provider"]


def tracer() -> trace.Tracer | None:
    current = _state["provider"]
    return None if current is None else current.get_tracer(TRACER)


@cache
def _stage_seconds(name: str) -> Histogram:
    """The stage's histogram child: ``labels`` takes a lock and builds its key on every call,
    and a turn times half a dozen stages."""
    return metrics.STAGE_SECONDS.labels(name)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """One stage of a turn: its span (a child of the turn's) and its time in
    ``warmline_turn_stage_seconds``."""
    started = time.perf_counter()
    current = tracer()
    try:
        if current is None:
            yield
        else:
            with current.start_as_current_span(name):
                yield
    finally:
        _stage_seconds(name).observe(time.perf_counter() - started)


S = TypeVar("S")


def traced_turn(
    kind: str,
) -> Callable[
    [Callable[Concatenate[S, str, P], Coroutine[Any, Any, R]]],
    Callable[Concatenate[S, str, P], Coroutine[Any, Any, R]],
]:
    """A method taking a conversation id first, run as one turn: the ``turn`` span (with the
    conversation id and the turn's kind; never the text) and ``warmline_turn_seconds``."""

    def decorate(
        method: Callable[Concatenate[S, str, P], Coroutine[Any, Any, R]],
    ) -> Callable[Concatenate[S, str, P], Coroutine[Any, Any, R]]:
        @wraps(method)
        async def run(self: S, conversation_id: str, /, *args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            current = tracer()
            try:
                if current is None:
                    return await method(self, conversation_id, *args, **kwargs)
                attributes = {"warmline.conversation_id": conversation_id, "warmline.turn": kind}
                with current.start_as_current_span("turn", attributes=attributes):
                    return await method(self, conversation_id, *args, **kwargs)
            finally:
                metrics.TURN_SECONDS.observe(time.perf_counter() - started)

        return run

    return decorate


def trace_id() -> str | None:
    """The current trace's id (32 hex digits), or None when nothing is being traced."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


_ID = re.compile(r"^[a-z]+(?:-[a-z]+)*$")


def route(method: str, path: str) -> str:
    """A back-office call's route with no personal data and few distinct values: the method
    and the path, every segment that is not a plain lower-case word (an id, a date, a code)
    replaced by ``{id}``, the query dropped (``GET /airline/users/{id}/reservations``)."""
    segments = [s if _ID.match(s) else "{id}" for s in path.split("?")[0].split("/") if s]
    return f"{method} /{'/'.join(segments)}"


class MeasuredTransport(httpx.AsyncBaseTransport):
    """Times each HTTP attempt to the back office into
    ``warmline_backoffice_call_seconds{operation}`` (the operation: its ``route``)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        operation = route(request.method, request.url.path)
        started = time.perf_counter()
        try:
            return await self.inner.handle_async_request(request)
        finally:
            elapsed = time.perf_counter() - started
            metrics.BACKOFFICE_SECONDS.labels(operation).observe(elapsed)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _name_call(span: Any, request: Any) -> None:
    """Cut the call's URL to its route before the span is exported: ids and queries may be
    personal data (a customer id, an e-mail address)."""
    if span.is_recording():
        name = route(request.method.decode(), request.url.path)
        span.update_name(name)
        url = f"{request.url.scheme}://{request.url.netloc.decode()}{name.split(' ', 1)[1]}"
        for key in ("url.full", "http.url"):
            span.set_attribute(key, url)


def backoffice_transport(inner: httpx.AsyncBaseTransport | None) -> httpx.AsyncBaseTransport:
    """The transport of the back-office client: ``inner`` (else httpx's own, with the
    connector's pool limits) measured, and
    traced when tracing is on (``AsyncOpenTelemetryTransport``)."""
    transport = inner if inner is not None else backoffice.http_transport()
    current = _state["provider"]
    if current is not None:
        from opentelemetry.instrumentation.httpx import AsyncOpenTelemetryTransport

        transport = AsyncOpenTelemetryTransport(
            transport, tracer_provider=current, request_hook=_name_call
        )
    return MeasuredTransport(transport)


def instrument_engine(engine: AsyncEngine) -> None:
    """Trace the engine's statements (their SQL text, never their parameters) when tracing
    is on."""
    current = _state["provider"]
    if current is None:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeter

    tracer_ = current.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    usage = NoOpMeter("warmline").create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer_, engine.sync_engine, usage)  # type: ignore[no-untyped-call]
