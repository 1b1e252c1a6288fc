"""The parity run: the parity monitor over a period's conversations, an incident opened for
each flagged gap (``services/incidents.py``), and the report a manager can send, in HTML (a
Jinja2 template) and PDF (fpdf2) (docs/parity.md).

The monitor reads sums, not rows: one grouped scan of the analytics projection per
combination of segment values (``Analytics.combinations``, summed in SQL however long the
period), each dimension's groups added up from it (``moments_by_dimension``) and tested from
their counts, sums and sums of squares (``analytics/parity_stats.py``): the same rows as
``analytics/parity.py`` over the conversations' facts. Only Mann-Whitney's U, which ranks the
individual values, reads every conversation's facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from warmline.analytics.parity import ParityRow, ParitySettings, parity
from warmline.analytics.parity_stats import parity_of_moments
from warmline.services.analytics import (
    Analytics,
    moments_by_dimension,
    open_analytics,
    period_of,
    rules_of,
)
from warmline.services.incidents import Opened, open_incidents
from warmline.settings import Settings

TEMPLATES = Path(__file__).parent / "report_templates"


@dataclass(frozen=True)
class ParityRun:
    since: datetime
    until: datetime | None
    pack: str | None
    conversations: int
    settings: ParitySettings
    rows: list[ParityRow]
    incidents: list[Opened] = field(default_factory=list)
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def flagged(self) -> list[ParityRow]:
        return [r for r in self.rows if r.flagged]


async def run_parity(
    settings: Settings,
    since: datetime,
    *,
    until: datetime | None = None,
    pack: str | None = None,
    parity_settings: ParitySettings | None = None,
    open_for_flagged: bool = True,
    by: str = "warmline",
) -> ParityRun:
    """The parity of the conversations started in [since, until) in the database of
    ``settings``; an incident opened (or brought up to date) for each flagged row."""
    chosen = parity_settings or parity_settings_of(settings)
    async with open_analytics(settings.database_url, rules_of(settings)) as analytics:
        rows, conversations = await monitor(analytics, since, until, pack, chosen)
    opened: list[Opened] = []
    if open_for_flagged and any(r.flagged for r in rows):
        days = settings.incident_deadline_days
        async with open_incidents(settings.database_url, days) as register:
            opened = await register.flagged(rows, by)
    return ParityRun(since, until, pack, conversations, chosen, rows, opened)


async def monitor(
    analytics: Analytics,
    since: datetime,
    until: datetime | None,
    pack: str | None,
    chosen: ParitySettings,
) -> tuple[list[ParityRow], int]:
    """The monitor's rows over the conversations started in [since, until) and how many
    there were: from SQL sums (Welch's t for the means), or from every conversation's facts
    when the means are compared by Mann-Whitney's U (it ranks the values themselves)."""
    if chosen.mean_test == "mannwhitney":
        facts = await analytics.facts(since, until, pack)
        return parity(facts, chosen), len(facts)
    found = await analytics.combinations(period_of(since, until, pack))
    rows = parity_of_moments(moments_by_dimension(found, analytics.rules), chosen)
    return rows, sum(c.sums.n for c in found)


def parity_settings_of(settings: Settings, **overrides: Any) -> ParitySettings:
    """The monitor's settings from ``WARMLINE_PARITY_*``, with ``overrides`` (None: kept)."""
    chosen: dict[str, Any] = {
        "alpha": settings.parity_alpha,
        "min_n": settings.parity_min_n,
        "min_rate_gap": settings.parity_min_rate_gap,
        "min_mean_gap": settings.parity_min_mean_gap,
        "correction": settings.parity_correction,
        "references": dict(settings.parity_references),
    }
    for key, value in overrides.items():
        if key == "references":
            chosen["references"] = {**chosen["references"], **value}
        elif value is not None:
            chosen[key] = value
    return ParitySettings(**chosen)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["figure"] = figure
    env.filters["p"] = p_text
    return env


def figure(value: float | None, metric: str = "") -> str:
    """A metric's value as a reader reads it: shares in %, means as numbers."""
    if value is None:
        return "n/a"
    if metric in ("aht", "ces", "cost"):
        return f"{value:,.2f}"
    return f"{value:.1%}"


def gap_text(row: ParityRow) -> str:
    if row.difference is None:
        return "n/a"
    if row.metric in ("aht", "ces", "cost"):
        return f"{row.difference:+,.2f}"
    return f"{row.difference * 100:+.1f} pts"


def p_text(p: float | None) -> str:
    return "n/a" if p is None else ("<0.0001" if p < 0.0001 else f"{p:.4f}")


def render_html(run: ParityRun) -> str:
    """The report as one HTML page (styles inline, printable)."""
    template = _environment().get_template("parity_report.html")
    return template.render(run=run, rows=run.rows, flagged=run.flagged, gap=gap_text)


def render_pdf(run: ParityRun, path: Path) -> None:
    """The report as a PDF: the summary, the flagged gaps, then every compared row."""
    from warmline.services.parity_pdf import write_pdf

    write_pdf(run, path, figure=figure, gap=gap_text, p=p_text)


def contract_rows(rows: Sequence[ParityRow]) -> list[dict[str, Any]]:
    """The rows as ``warmline parity --format json`` writes them."""
    return [r.contract() for r in rows]
