"""``GET /metrics``: the Prometheus metrics (``services/metrics.py``), in the text exposition
format, for a scraper holding the scrape token (``Authorization: Bearer <token>``,
``WARMLINE_METRICS_TOKEN`` or the one kept with the data) or an admin signed in to the console.
Anyone else: 401 (no credential, or a wrong token) or 403 (an agent below admin)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response

from warmline.api.deps import RuntimeDep
from warmline.api.problems import documented
from warmline.api.sessions import session_agent
from warmline.errors import Forbidden, NotSignedIn
from warmline.services.metrics import breaker_family, breaker_states, exposition

router = APIRouter(tags=["ops"])
EXPOSITION = "text/plain; version=0.0.4; charset=utf-8"


async def check_scraper(request: Request) -> None:
    """The scrape token as a bearer token, else an admin's session; else 401 or 403."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        expected: str = request.app.state.metrics_token
        if hmac.compare_digest(token.strip().encode(), expected.encode()):
            return
        raise NotSignedIn("the scrape token is not this server's")
    agent = await session_agent(request)
    if not agent.may("admin"):
        raise Forbidden("the metrics need the scrape token or the admin role")


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"description": "the metrics", "content": {EXPOSITION: {}}},
        **documented({401: "no scrape token or session", 403: "an agent below admin"}),
    },
)
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """What the bot did (turns, decisions, escalations, actions, holds), its latency and the
    back office's breakers, in Prometheus's text format."""
    await check_scraper(request)
    states = await breaker_states(runtime.backoffice)
    body, content_type = exposition([] if states is None else [breaker_family(states)])
    return Response(body, media_type=content_type)
