"""The managers' dashboard at ``/console/dashboard`` (supervisors and admins): for a period
(``since`` to ``until``, days in UTC, both included; the last 30 days by default) and a pack,
the headline figures, the figures over time and per group of a dimension with the parity
monitor's flags, the escalations by trigger and the open bias incidents; a click on a group
or a day lists its conversations (``/console/dashboard/conversations``); the facts and the
figures download as CSV or Parquet (``/console/dashboard/export/...``). The charts are drawn
by the vendored Chart.js (``static/vendor/``) from a JSON block of the page
(``static/dashboard.js``): no inline script, no CDN. The work is in ``services/dashboard.py``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from warmline.api.deps import RuntimeDep
from warmline.api.sessions import require_csrf_when_signed_in
from warmline.errors import StorageError
from warmline.services.analytics import Analytics
from warmline.services.dashboard import (
    TILES,
    Figure,
    Overview,
    SegmentRow,
    View,
    conversations,
    overview,
    view_of,
)
from warmline.services.dashboard_export import MEDIA, export_facts, export_segments
from warmline.services.incidents import incidents_of
from warmline.services.parity import parity_settings_of
from warmline.services.runtime import Runtime
from warmline.web.console_common import ConsoleSupervisor, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf_when_signed_in)])
PAGE = "/console/dashboard"
Day = Annotated[date | None, Query(description="a day, YYYY-MM-DD (UTC)")]
Pack = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.\-]*$")]
By = Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_:.\-]*$")]
LABELS = {
    "conversations": "Conversations",
    "containment_rate": "Containment",
    "csat": "CSAT",
    "ces": "Effort (CES 1-7)",
    "fcr_rate": "First-contact resolution",
    "aht_bot_s": "Handle time, bot",
    "aht_human_s": "Handle time, person",
    "escalation_rate": "Escalation rate",
    "cost_per_contact": "Cost per contact",
    "abandonment_rate": "Abandonment",
    "thumbs_down_share": "Answers given a thumb down",
}
OVER = {
    "containment_rate": "settled", "fcr_rate": "settled", "abandonment_rate": "settled",
    "csat": "rated", "ces": "scored", "aht_human_s": "with a person",
    "thumbs_down_share": "with a thumb",
}  # fmt: skip
"""What a figure's n counts, when not every conversation."""


def _analytics(runtime: Runtime) -> Analytics:
    if runtime.analytics is None:
        raise StorageError("this server keeps no analytics projection")
    return runtime.analytics


def _view(
    analytics: Analytics, since: date | None, until: date | None, pack: str | None, by: str
) -> View:
    return view_of(since, until, pack, by, analytics.clock.now().date())


def shown(metric: str, value: float | None) -> str:
    """A figure as a manager reads it: shares in %, times in minutes and seconds."""
    if value is None:
        return "n/a"
    if metric == "conversations":
        return f"{value:,.0f}"
    if metric.endswith("_s"):
        minutes, seconds = divmod(round(value), 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
    if metric in ("ces", "cost_per_contact"):
        return f"{value:,.2f}"
    return f"{value:.1%}"


def _figure(f: Figure) -> dict[str, Any]:
    return {
        "metric": f.metric,
        "label": LABELS.get(f.metric, f.metric),
        "text": shown(f.metric, f.value),
        "value": f.value,
        "n": f.n,
        "over": OVER.get(f.metric, "conversations"),
        "flags": [_flag(r) for r in f.flags],
    }


def _flag(row: Any) -> dict[str, Any]:
    gap = row.difference or 0.0
    if row.metric == "aht":
        text = f"{gap:+,.0f} s"
    elif row.metric in ("ces", "cost"):
        text = f"{gap:+,.2f}"
    else:
        text = f"{gap * 100:+.1f} pts"
    return {"metric": row.metric, "gap": text, "reference": row.reference_group,
            "p": row.p_adjusted}  # fmt: skip


def _query(view: View, **extra: Any) -> str:
    found = {"since": view.first.isoformat(), "until": view.last.isoformat(), "by": view.by}
    if view.pack:
        found["pack"] = view.pack
    found.update({k: v for k, v in extra.items() if v is not None})
    return urlencode(found)


def _chart_data(o: Overview) -> dict[str, Any]:
    """What ``static/dashboard.js`` draws: the series, the groups' figures, the triggers."""
    groups = [s.group for s in o.segments]
    return {
        "series": o.series,
        "labels": LABELS,
        "by": o.view.by,
        "groups": groups,
        "figures": {m: [s.figures[m].value for s in o.segments] for m in TILES},
        "flagged": {s.group: sorted({r.metric for r in s.flags}) for s in o.segments},
        "triggers": [[t, count] for t, count, _ in o.triggers],
        "drill": f"{PAGE}/conversations?{_query(o.view)}",
    }


@router.get(PAGE, response_class=HTMLResponse)
async def dashboard(
    request: Request,
    agent: ConsoleSupervisor,
    runtime: RuntimeDep,
    since: Day = None,
    until: Day = None,
    pack: Pack = None,
    by: By = "channel",
) -> Response:
    """The dashboard of the period (the last 30 days by default)."""
    analytics = _analytics(runtime)
    view = _view(analytics, since, until, pack, by)
    o = await overview(analytics, view, parity_settings_of(runtime.settings))
    incidents = await incidents_of(runtime).listing(["open", "acknowledged"])
    context = {
        "agent": agent.name,
        "view": view,
        "packs": sorted(set(runtime.packs) | ({view.pack} if view.pack else set())),
        "tiles": [_figure(f) for f in o.tiles],
        "triggers": o.triggers,
        "segments": [_segment(view, s) for s in o.segments],
        "labels": [LABELS[m] for m in TILES],
        "dimensions": o.dimensions,
        "incidents": incidents,
        "bucket": o.series["bucket"],
        "chart": _chart_data(o),
        "query": _query(view),
    }
    return render(request, "console_dashboard.html", context)


def _segment(view: View, s: SegmentRow) -> dict[str, Any]:
    return {
        "group": s.group,
        "figures": [_figure(s.figures[m]) for m in TILES],
        "flags": [_flag(r) for r in s.flags],
        "drill": f"{PAGE}/conversations?{_query(view, group=s.group)}",
    }


@router.get(PAGE + "/conversations", response_class=HTMLResponse)
async def drill_down(
    request: Request,
    agent: ConsoleSupervisor,
    runtime: RuntimeDep,
    since: Day = None,
    until: Day = None,
    pack: Pack = None,
    by: By = "channel",
    group: Annotated[str | None, Query(max_length=128)] = None,
    at: Annotated[datetime | None, Query(description="a day's or an hour's start")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The conversations of one group of ``by`` and/or of the day (hour) beginning ``at``,
    a page at a time; a fragment for htmx, else a page of its own."""
    analytics = _analytics(runtime)
    view = _view(analytics, since, until, pack, by)
    found = await conversations(analytics, view, group, at, page)
    here = {"group": group, "at": at.isoformat() if at else None}
    context = {
        "agent": agent.name,
        "view": view,
        "group": group,
        "at": at,
        "page": found,
        "link": lambda n: f"{PAGE}/conversations?{_query(view, **here, page=n)}",
        "back": f"{PAGE}?{_query(view)}",
    }
    fragment = request.headers.get("HX-Request") == "true"
    name = "_dashboard_conversations.html" if fragment else "console_dashboard_conversations.html"
    return render(request, name, context)


@router.get(PAGE + "/export/{what}")
async def export(
    agent: ConsoleSupervisor,
    runtime: RuntimeDep,
    what: Literal["conversations", "segments"],
    fmt: Annotated[Literal["csv", "parquet"], Query(alias="format")] = "csv",
    since: Day = None,
    until: Day = None,
    pack: Pack = None,
    by: By = "channel",
) -> Response:
    """A download of the view's conversations' facts or of its figures per group."""
    analytics = _analytics(runtime)
    view = _view(analytics, since, until, pack, by)
    making = export_facts if what == "conversations" else export_segments
    made = making(analytics, view, fmt)
    name = f"warmline-{what}-{view.first}-to-{view.last}"
    if what == "segments":
        name += f"-by-{view.by.replace(':', '-')}"
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    return StreamingResponse(made, media_type=MEDIA[fmt], headers=headers)
