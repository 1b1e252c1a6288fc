"""The dashboard's downloads, streamed a batch at a time (docs/analytics.md "Dashboard"): the
facts of each conversation of a view (its segments and outcomes, ``analytics/facts.py``) and
the metrics per group of its dimension (the rows of ``warmline report``), as CSV or Parquet
(pyarrow). A conversation export never holds the period in memory: rows are read with a
cursor, written a batch at a time, and each written part is sent as it is made."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from warmline.analytics.metrics import MetricRow, metric_rows
from warmline.analytics.outcomes import facts
from warmline.services.analytics import Analytics, tally_of
from warmline.services.dashboard import View

Format = Literal["csv", "parquet"]
OUTCOMES = (
    "contained", "escalated", "abandoned", "fcr", "csat", "ces", "thumbs_down_share",
    "aht_bot_s", "aht_human_s", "cost",
)  # fmt: skip
"""The outcome columns, in this order (``analytics/outcomes.py`` defines each)."""
SEGMENT_PREFIX = "segment:"
REPORT_COLUMNS = ("metric", "dimension", "group", "value", "n")
MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def fact_columns(dimensions: Sequence[str]) -> list[str]:
    """The conversation export's columns: who and when, the outcomes, then one column per
    segment dimension (``segment:channel``, ``segment:arm:greeting``)."""
    head = ["conversation_id", "started_at", "ended_at", "intent", "escalation_trigger"]
    return [*head, *OUTCOMES, *(SEGMENT_PREFIX + d for d in dimensions)]


def _fact_schema(dimensions: Sequence[str]) -> pa.Schema:
    stamp = pa.timestamp("us", tz="UTC")
    fields = [
        pa.field("conversation_id", pa.string(), nullable=False),
        pa.field("started_at", stamp, nullable=False),
        pa.field("ended_at", stamp),
        pa.field("intent", pa.string()),
        pa.field("escalation_trigger", pa.string()),
        *(pa.field(name, pa.float64()) for name in OUTCOMES),
        *(pa.field(SEGMENT_PREFIX + d, pa.string()) for d in dimensions),
    ]
    return pa.schema(fields)


def _records(
    analytics: Analytics, rows: list[dict[str, Any]], dims: Sequence[str]
) -> list[dict[str, Any]]:
    now, found = analytics.clock.now(), []
    for row in rows:
        one = facts(tally_of(row), now, analytics.rules, row["next_contact_s"])
        record: dict[str, Any] = {
            "conversation_id": one.conversation_id,
            "started_at": one.started_at,
            "ended_at": one.ended_at,
            "intent": row["intent"],
            "escalation_trigger": one.escalation_trigger,
        }
        record.update({name: one.outcomes.get(name) for name in OUTCOMES})
        record.update({SEGMENT_PREFIX + d: one.segments.get(d) for d in dims})
        found.append(record)
    return found


class _Sink(io.RawIOBase):
    """A file Parquet is written to whose written bytes are taken away as they come."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._at = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._at += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._at

    def take(self) -> bytes:
        taken, self._parts = b"".join(self._parts), []
        return taken


def _csv_text(records: list[dict[str, Any]], columns: Sequence[str], header: bool) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    if header:
        writer.writeheader()
    for record in records:
        writer.writerow({k: _csv_value(v) for k, v in record.items()})
    return out.getvalue().encode("utf-8")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime) else value


async def export_facts(analytics: Analytics, view: View, fmt: Format) -> AsyncIterator[bytes]:
    """The view's conversations, one row each, oldest first."""
    period = view.period()
    dims = await analytics.store.dimensions(period)
    columns = fact_columns(dims)
    schema = _fact_schema(dims)
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema) if fmt == "parquet" else None
    header = True
    async for rows in analytics.store.stream(period):
        records = _records(analytics, rows, dims)
        if writer is None:
            yield _csv_text(records, columns, header)
            header = False
            continue
        writer.write_table(pa.Table.from_pylist(records, schema=schema))
        yield sink.take()
    if writer is None:
        if header:
            yield _csv_text([], columns, True)
        return
    writer.close()
    yield sink.take()


async def export_segments(analytics: Analytics, view: View, fmt: Format) -> AsyncIterator[bytes]:
    """Every metric of every group of the view's dimension: ``warmline report``'s rows."""
    groups = await analytics.groups(view.period(), view.by)
    rows = metric_rows(view.by, groups, analytics.rules)
    yield segments_bytes(rows, fmt)


def segments_bytes(rows: Sequence[MetricRow], fmt: Format) -> bytes:
    """The report's rows as a CSV (``metric,dimension,group,value,n``) or a Parquet file."""
    records = [{k: getattr(r, k) for k in REPORT_COLUMNS} for r in rows]
    if fmt == "csv":
        return _csv_text(records, REPORT_COLUMNS, True)
    schema = pa.schema(
        [("metric", pa.string()), ("dimension", pa.string()), ("group", pa.string()),
         ("value", pa.float64()), ("n", pa.int64())]
    )  # fmt: skip
    out = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(records, schema=schema), out)
    return bytes(out.getvalue().to_pybytes())
