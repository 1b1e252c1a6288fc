"""The application factory: one FastAPI app from the JSON API (``api/``) and the server-rendered
pages (``web/``). It sits above both, so neither has to import the other to be assembled."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from warmline.api import problems
from warmline.api.agent_routes import router as agent_router
from warmline.api.headers import SecurityHeaders
from warmline.api.limits import BodyGuard
from warmline.api.metrics import router as metrics_router
from warmline.api.origin import OriginCheck
from warmline.api.review_routes import router as review_router
from warmline.api.routes import router as api_router
from warmline.api.sessions import SESSION_COOKIE, Revocations
from warmline.api.stock_webhook import router as stock_router
from warmline.api.throttle import RateLimits, Throttle, open_storage
from warmline.services.runtime import Runtime
from warmline.settings import Settings, get_settings, kept_metrics_token, kept_secret_key
from warmline.web import (
    api_docs,
    console,
    console_backoffice,
    console_dashboard,
    console_holds,
    console_incidents,
    console_review,
    help,
    pages,
    widget,
)


def _lifespan(
    settings: Settings, runtime: Runtime | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """With ``runtime`` given the caller owns it; otherwise the app builds one from
    ``settings`` at start-up and closes it at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        built = await Runtime.build(settings)
        await built.open_pools()  # ready means connected: the first turns find them open
        app.state.runtime = built
        # Start-up leaves ~200k long-lived objects (models, packs); keep them out of every
        # later garbage collection so collections stay short.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await built.aclose()

    return lifespan


def _secure(app: FastAPI, settings: Settings) -> None:
    """The middleware in front of every route, outermost first: security headers, the origin
    check, rate limits, the body guard (size, UTF-8, text hygiene), then the agent session.
    Rate limits, throttled sign-ins and revoked sessions share one ``limits`` storage."""
    # One key per app: signs agent sessions and customers' conversation tokens (api/access.py).
    app.state.secret_key = settings.secret_key or kept_secret_key(settings)
    # The bearer token of a Prometheus scraper (api/metrics.py).
    app.state.metrics_token = settings.metrics_token or kept_metrics_token(settings)
    throttle = Throttle(open_storage(settings.redis_url))
    app.state.throttle = throttle
    app.state.revocations = Revocations(throttle.storage, settings.session_max_age_s)
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_s,
        same_site="strict",
        https_only=settings.environment == "production" or settings.behind_tls_proxy,
    )
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        RateLimits,
        throttle=throttle,
        start_limit=settings.start_limit,
        message_limit=settings.message_limit,
    )
    app.add_middleware(
        OriginCheck,
        embed_origins=settings.embed_origins,
        behind_tls_proxy=settings.behind_tls_proxy,
    )
    app.add_middleware(
        SecurityHeaders,
        embed_origins=settings.embed_origins,
        behind_tls_proxy=settings.behind_tls_proxy,
    )


async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the app. With ``runtime`` given the caller owns it; otherwise the app builds one
    from ``settings`` at start-up and closes it at shutdown."""
    settings = settings or (runtime.settings if runtime else get_settings())
    app = FastAPI(
        title="warmline",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(settings, runtime),
        description="An AI first line for customer service that knows when it is unsure.",
    )
    if runtime is not None:
        app.state.runtime = runtime
    problems.install(app)
    app.add_exception_handler(console.SignInRequired, console.to_signin)
    _secure(app, settings)
    app.include_router(api_router)
    app.include_router(agent_router)
    app.include_router(review_router)
    app.include_router(stock_router)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["ops"])
    app.include_router(metrics_router)
    app.mount(api_docs.ASSETS_URL, api_docs.assets(), name="api-docs-assets")
    app.mount("/static", pages.static_files(), name="static")
    app.include_router(api_docs.router)
    app.include_router(pages.router)
    app.include_router(widget.router)
    app.include_router(help.router)
    app.include_router(console.router)
    app.include_router(console_holds.router)
    app.include_router(console_incidents.router)
    app.include_router(console_review.router)
    app.include_router(console_dashboard.router)
    app.include_router(console_backoffice.router)
    return app
