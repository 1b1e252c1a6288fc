"""The reference back office: a FastAPI app serving the airline and retail demo data.

All state (records, idempotency keys, switches) lives in the app that ``create_app`` builds.
Error bodies: 404 ``{"error": "not_found", "reason"}``, 409 ``{"error": "rule_violation",
"rule", "reason"}``, 422 ``{"error": "invalid_request", "rule": "invalid_request", "reason",
"detail"}``, 503 ``{"error": "outage", "reason"}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from warmline.demo.backoffice import (
    airline,
    airline_booking,
    airline_changes,
    airline_flights,
    retail,
    retail_orders,
    stock_routes,
)
from warmline.demo.backoffice.idempotency import IdempotencyCache, IdempotencyMiddleware
from warmline.demo.backoffice.stock_events import StockEvents
from warmline.demo.backoffice.store import (
    POLICY_NOW,
    BackOfficeStore,
    RecordNotFound,
    RuleViolation,
)
from warmline.demo.backoffice.switches import SwitchBoard, Switches, SwitchesMiddleware


class BackOfficeConfig(BaseModel):
    """How one back-office app starts: its fault switches, random seed and fixed clock."""

    latency_ms: int = Field(0, ge=0, le=60_000)
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    outage: bool = False
    seed: int | None = Field(None, description="seed of the error-rate dice (tests)")
    now: datetime = Field(POLICY_NOW, description="the policy's 'current time' (EST, naive)")
    nats_url: str | None = Field(None, description="publish stock changes to NATS JetStream")
    nats_stream: str = Field("BACKOFFICE_STOCK", description="the JetStream stream of them")
    nats_subject: str = Field("backoffice.stock", description="subject prefix (.<item_id>)")
    webhook_urls: list[str] = Field(
        default_factory=list, description="POST every stock change to these URLs"
    )
    webhook_secret: str = Field("", description="the HMAC key of X-Stock-Signature")

    def switches(self) -> Switches:
        return Switches(latency_ms=self.latency_ms, error_rate=self.error_rate, outage=self.outage)


def create_app(
    config: BackOfficeConfig | None = None,
    *,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The app; ``webhook_transport`` carries the stock webhooks (tests: an ASGI transport)."""
    config = config or BackOfficeConfig()
    app = FastAPI(title="warmline reference back office", version="1.0", docs_url="/_docs")
    store = BackOfficeStore(now=config.now)
    events = StockEvents(
        nats_url=config.nats_url,
        stream=config.nats_stream,
        subject=config.nats_subject,
        webhook_urls=config.webhook_urls,
        webhook_secret=config.webhook_secret,
        transport=webhook_transport,
    )
    store.stock.listeners.append(events)
    app.state.stock_events = events
    board = SwitchBoard(config.switches(), seed=config.seed)
    cache = IdempotencyCache()
    app.state.store = store
    app.state.switches = board
    app.state.idempotency = cache

    app.include_router(airline_flights.router)  # before /flights/{number}
    app.include_router(airline.router)
    app.include_router(airline_changes.router)
    app.include_router(airline_booking.router)
    app.include_router(retail.router)
    app.include_router(retail_orders.router)
    app.include_router(stock_routes.router)
    _add_ops_routes(app, store, board, cache)
    _add_error_handlers(app)
    # The last middleware added runs first: faults are applied before idempotency, so an
    # injected 500 or 503 never reaches (or is stored under) an idempotency key.
    app.add_middleware(IdempotencyMiddleware, cache=cache)
    app.add_middleware(SwitchesMiddleware, board=board)
    return app


def _add_ops_routes(
    app: FastAPI, store: BackOfficeStore, board: SwitchBoard, cache: IdempotencyCache
) -> None:
    @app.get("/_health", tags=["ops"])
    async def health() -> dict[str, Any]:
        return {"status": "ok", "now": store.now.isoformat(), "domains": ["airline", "retail"]}

    @app.get("/_admin/switches", tags=["ops"])
    async def get_switches() -> Switches:
        return board.switches

    @app.put("/_admin/switches", tags=["ops"])
    async def put_switches(switches: Switches) -> Switches:
        board.switches = switches
        return board.switches

    @app.post("/_admin/reset", tags=["ops"])
    async def reset() -> dict[str, str]:
        store.reset()
        cache.clear()
        return {"status": "reset"}

    @app.get("/_admin/writes", tags=["ops"])
    async def writes() -> dict[str, object]:
        """Writes run per path (reached, applied, replayed) and applied per idempotency key."""
        return cache.writes.report()

    @app.get("/_admin/rules", tags=["ops"])
    async def rules() -> dict[str, dict[str, str]]:
        return {"airline": airline.RULES, "retail": retail.RULES}


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RuleViolation)
    async def rule_violation(_: Request, exc: RuleViolation) -> JSONResponse:
        body = {"error": "rule_violation", "rule": exc.rule, "reason": exc.reason}
        return JSONResponse(body, status_code=409)

    @app.exception_handler(RecordNotFound)
    async def not_found(_: Request, exc: RecordNotFound) -> JSONResponse:
        return JSONResponse({"error": "not_found", "reason": exc.reason}, status_code=404)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = detail[0] if detail else {"loc": [], "msg": "invalid request"}
        reason = f"{'.'.join(first['loc'])}: {first['msg']}" if first["loc"] else first["msg"]
        body = {"error": "invalid_request", "rule": "invalid_request", "reason": reason}
        return JSONResponse({**body, "detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            reason = f"No such endpoint: {request.method} {request.url.path}."
            return JSONResponse({"error": "not_found", "reason": reason}, status_code=404)
        body = {"error": "http_error", "reason": str(exc.detail)}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
