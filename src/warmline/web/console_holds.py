"""The console's anomaly holds at ``/console/holds`` (supervisors): every write on hold with
the figures that put it there, and Release / Keep buttons (CSRF-checked like every console
form, audited by ``services/anomaly.py``). A release is read by every worker at its next turn:
the holds live in the shared database. ``/console/holds/badge`` is the line the console's home
page loads to alert a supervisor."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warmline.api.deps import RuntimeDep
from warmline.api.sessions import require_csrf_when_signed_in
from warmline.errors import ConfigurationError, NotFound
from warmline.services.anomaly import AnomalyGuard
from warmline.services.runtime import Runtime
from warmline.web.console_common import ConsoleAgent, ConsoleSupervisor, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf_when_signed_in)])
Name = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_]+$")]


def _guard(runtime: Runtime) -> AnomalyGuard:
    if runtime.anomaly is None:
        raise ConfigurationError("anomaly holds are not set up in this runtime")
    return runtime.anomaly


@router.get("/console/holds", response_class=HTMLResponse)
async def holds_page(request: Request, agent: ConsoleSupervisor, runtime: RuntimeDep) -> Response:
    """Every write on hold, oldest first, with its figures and what a supervisor decided."""
    holds = await _guard(runtime).in_force()
    notice = request.query_params.get("notice")
    context = {"agent": agent.name, "holds": holds, "notice": notice}
    return render(request, "console_holds.html", context)


@router.get("/console/holds/badge", response_class=HTMLResponse)
async def holds_badge(request: Request, agent: ConsoleAgent, runtime: RuntimeDep) -> Response:
    """The console home's alert: how many writes are on hold (nothing for an agent)."""
    if not agent.may("supervisor"):
        return HTMLResponse("")
    count = len(await _guard(runtime).in_force())
    return render(request, "_console_holds_badge.html", {"count": count})


@router.post("/console/holds/{pack}/{action}/{verb}")
async def decide_hold(
    agent: ConsoleSupervisor,
    runtime: RuntimeDep,
    pack: Name,
    action: Name,
    verb: Literal["release", "keep"],
) -> Response:
    """Release the hold (the write runs again for everyone) or keep it (seen; it stays)."""
    guard, domain = _guard(runtime), runtime.packs.resolve(pack).pack
    try:
        if verb == "release":
            await guard.release(domain, action, agent.name)
            notice = f"Released: {action} runs again for every customer."
        else:
            await guard.keep(domain, action, agent.name)
            notice = f"Kept: {action} stays on hold until someone releases it."
    except NotFound:  # released meanwhile (another supervisor, another tab)
        notice = f"{action} is not on hold (any more): nothing to do."
    return RedirectResponse(f"/console/holds?notice={quote(notice)}", status_code=303)
