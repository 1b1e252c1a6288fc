"""The console's approvals page (``/console/approvals``): the writes waiting for a person
(shadow proposals and writes held for approval), each executed or rejected with a note, and
every write's rollout: its mode, the agreement measured in shadow against the bar, and for
supervisors the form that changes the mode (with why; audited). The work is done in
``services/rollout.py``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warmline.api.agent_routes import ApprovalId
from warmline.api.deps import RuntimeDep
from warmline.errors import ConflictError, ConnectorError, InputError, NotFound
from warmline.web.console_common import ConsoleAgent, ConsoleSupervisor, render

router = APIRouter(include_in_schema=False)
PAGE = "/console/approvals"
LONG_FORM = 20_000
"""A form field's hard cap; the service's own limits (a note of 2,000 characters, a known mode)
are answered on the page with what was wrong, not as a bare 422."""


def _back(notice: str) -> Response:
    return RedirectResponse(f"{PAGE}?notice={quote(notice)}", status_code=303)


@router.get(PAGE, response_class=HTMLResponse)
async def approvals(request: Request, agent: ConsoleAgent, runtime: RuntimeDep) -> Response:
    """The approval queue, oldest first, and every write's rollout."""
    rollouts = runtime.rollouts
    return render(
        request,
        "console_approvals.html",
        {
            "agent": agent.name,
            "supervisor": agent.may("supervisor"),
            "waiting": await rollouts.waiting(),
            "actions": await rollouts.overview(),
            "notice": request.query_params.get("notice"),
        },
    )


@router.post(PAGE + "/{approval_id}/execute")
async def execute(
    approval_id: ApprovalId,
    agent: ConsoleAgent,
    runtime: RuntimeDep,
    note: Annotated[str, Form(max_length=LONG_FORM)] = "",
) -> Response:
    """Run the held write as the bot would have (the same idempotency key); the customer is
    told the outcome."""
    try:
        await runtime.rollouts.execute(approval_id, agent.name, note)
    except (ConflictError, NotFound, InputError) as exc:
        return _back(exc.public_detail())
    except ConnectorError as exc:
        return _back(f"The back office did not take it; it is still waiting. {exc.title}")
    return _back("Executed; the customer has been told.")


@router.post(PAGE + "/{approval_id}/reject")
async def reject(
    approval_id: ApprovalId,
    agent: ConsoleAgent,
    runtime: RuntimeDep,
    note: Annotated[str, Form(max_length=LONG_FORM)] = "",
) -> Response:
    """Nothing is written; the customer is told so and offered a person."""
    try:
        await runtime.rollouts.reject(approval_id, agent.name, note)
    except (ConflictError, NotFound, InputError) as exc:
        return _back(exc.public_detail())
    return _back("Rejected; the customer has been told.")


@router.post("/console/rollout/{pack}/{action}")
async def change_mode(
    pack: str,
    action: str,
    agent: ConsoleSupervisor,
    runtime: RuntimeDep,
    mode: Annotated[str, Form(max_length=LONG_FORM)],
    why: Annotated[str, Form(max_length=LONG_FORM)] = "",
) -> Response:
    """Supervisors: change an action's mode, with why (audited); leaving shadow is refused
    until the measured agreement meets the action's bar."""
    try:
        await runtime.rollouts.change_mode(pack, action, mode, agent.name, why)
    except (ConflictError, NotFound, InputError) as exc:
        return _back(exc.public_detail())
    return _back(f"{action} is now {mode}.")
