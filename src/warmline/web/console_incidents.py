"""The console's bias incident register at ``/console/incidents`` (supervisors): every gap the
parity monitor flagged, with its figures, owner, deadline and history, and the forms that
acknowledge it (an owner and a deadline), remediate it (what was done) or add a note; each
CSRF-checked like every console form and audited by ``services/incidents.py``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from warmline.api.deps import RuntimeDep
from warmline.api.sessions import require_csrf_when_signed_in
from warmline.errors import ConflictError, InputError, NotFound
from warmline.services.incidents import incidents_of
from warmline.web.console_common import ConsoleSupervisor, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf_when_signed_in)])
PAGE = "/console/incidents"
IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
LONG_FORM = 20_000  # a field's hard cap; the service's own limits are answered on the page
REMEDIATED_SHOWN = 20


def _back(notice: str) -> Response:
    return RedirectResponse(f"{PAGE}?notice={quote(notice)}", status_code=303)


@router.get(PAGE, response_class=HTMLResponse)
async def incidents_page(
    request: Request, agent: ConsoleSupervisor, runtime: RuntimeDep
) -> Response:
    """Open and acknowledged incidents (newest first, with their history), then the latest
    remediated ones."""
    register = incidents_of(runtime)
    active = [await register.get(i.id) for i in await register.listing(["open", "acknowledged"])]
    done = (await register.listing(["remediated"]))[:REMEDIATED_SHOWN]
    context = {
        "agent": agent.name,
        "active": active,
        "remediated": done,
        "today": date.today().isoformat(),
        "notice": request.query_params.get("notice"),
    }
    return render(request, "console_incidents.html", context)


@router.post(PAGE + "/{incident_id}/{verb}")
async def change_incident(
    incident_id: IncidentId,
    verb: Literal["ack", "remediate", "note"],
    agent: ConsoleSupervisor,
    runtime: RuntimeDep,
    note: Annotated[str, Form(max_length=LONG_FORM)] = "",
    owner: Annotated[str, Form(max_length=LONG_FORM)] = "",
    deadline: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Acknowledge (owner, deadline), remediate (a note saying what was done) or add a note."""
    register = incidents_of(runtime)
    try:
        if verb == "ack":
            due = _deadline(deadline)
            await register.acknowledge(
                incident_id, agent.name, owner=owner, deadline=due, note=note
            )
            return _back(f"Incident {incident_id} acknowledged: {owner.strip()} owns it.")
        if verb == "remediate":
            await register.remediate(incident_id, agent.name, note)
            return _back(f"Incident {incident_id} remediated.")
        await register.note(incident_id, agent.name, note)
        return _back(f"Note added to incident {incident_id}.")
    except (InputError, NotFound, ConflictError) as exc:
        return _back(exc.public_detail())


def _deadline(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        return datetime.combine(date.fromisoformat(text.strip()), time(23, 59), tzinfo=UTC)
    except ValueError:
        raise InputError(f"the deadline is a date like 2027-01-15, not {text[:32]!r}") from None
