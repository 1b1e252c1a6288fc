"""The parity report as a PDF (fpdf2, pure Python): a title, the period and settings, the
flagged gaps, then every compared row. The core fonts cover Latin-1: any other character of a
group's name is written as ``?``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.fonts import FontFace

if TYPE_CHECKING:
    from warmline.analytics.parity import ParityRow
    from warmline.services.parity import ParityRun

HEAD = (
    "metric",
    "dimension",
    "group",
    "value",
    "n",
    "reference",
    "ref. value",
    "gap",
    "p adj.",
    "",
)
WIDTHS = (26, 18, 20, 16, 12, 20, 16, 18, 16, 28)  # 190 mm: A4 less its margins


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def write_pdf(
    run: ParityRun,
    path: Path,
    *,
    figure: Callable[[float | None, str], str],
    gap: Callable[[ParityRow], str],
    p: Callable[[float | None], str],
) -> None:
    pdf = FPDF(orientation="portrait", format="A4")
    pdf.set_title("warmline parity report")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Parity report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for line in _summary(run):
        pdf.multi_cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
    for title, rows in (("Flagged gaps", run.flagged), ("Every comparison", run.rows)):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=7.5)
        if not rows:
            pdf.cell(0, 6, "None.", new_x="LMARGIN", new_y="NEXT")
            continue
        _table(pdf, rows, figure, gap, p)
    pdf.output(str(path))


def _summary(run: ParityRun) -> list[str]:
    s = run.settings
    until = run.until.date().isoformat() if run.until else "now"
    opened = sum(o.new for o in run.incidents)
    return [
        f"Conversations started {run.since.date().isoformat()} to {until}"
        + (f", pack {run.pack}" if run.pack else "")
        + f": {run.conversations}. Made {run.made_at.isoformat(timespec='minutes')}.",
        f"{len(run.flagged)} gaps flagged; {opened} incidents opened, "
        f"{len(run.incidents) - opened} already open.",
        f"Flagged: adjusted p < {s.alpha} ({s.correction.upper()} over the run), a gap of at "
        f"least {s.min_rate_gap * 100:g} points (shares) or {s.min_mean_gap:.0%} (means), worse "
        f"for the group; groups under {s.min_n} conversations are not tested.",
    ]


def _table(
    pdf: FPDF,
    rows: list[ParityRow],
    figure: Callable[[float | None, str], str],
    gap: Callable[[ParityRow], str],
    p: Callable[[float | None], str],
) -> None:
    heading = FontFace(emphasis="BOLD", fill_color=(225, 230, 240))
    with pdf.table(col_widths=WIDTHS, headings_style=heading, line_height=4.5) as table:
        table.row(HEAD)
        for r in rows:
            mark = (
                "FLAGGED"
                if r.flagged
                else ("" if r.note == "reference" else r.note.replace("_", " "))
            )
            style = FontFace(emphasis="BOLD", color=(170, 20, 20)) if r.flagged else None
            cells = (
                r.metric, r.dimension, r.group, figure(r.value, r.metric), str(r.n),
                r.reference_group, figure(r.reference_value, r.metric), gap(r), p(r.p_adjusted), mark,
            )  # fmt: skip
            row = table.row()
            for text in cells:
                row.cell(_latin(text), style=style)
