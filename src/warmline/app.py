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
from warmline.api.limits import BodyGuard
from warmline.api.routes import router as api_router
from warmline.services.runtime import Runtime
from warmline.settings import Settings, get_settings
from warmline.web import console, pages


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


async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the app. With ``runtime`` given the caller owns it; otherwise the app builds one
    from ``settings`` at start-up and closes it at shutdown."""
    settings = settings or (runtime.settings if runtime else get_settings())
    app = FastAPI(
        title="warmline",
        version="0.1.0",
        lifespan=_lifespan(settings, runtime),
        description="An AI first line for customer service that knows when it is unsure.",
    )
    if runtime is not None:
        app.state.runtime = runtime
    problems.install(app)
    app.add_exception_handler(console.SignInRequired, console.to_signin)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="warmline_agent",
        max_age=12 * 3600,  # one shift
        same_site="strict",
        https_only=settings.environment == "production",
    )
    app.include_router(api_router)
    app.include_router(agent_router)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["ops"])
    app.mount("/static", pages.static_files(), name="static")
    app.include_router(pages.router)
    app.include_router(console.router)
    return app
