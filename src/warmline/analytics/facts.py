"""The facts of one conversation that the figures are made of: its segments (who it was with,
where) and its outcomes (what happened), folded once from its event log and kept in the
analytics projection, so a report reads rows instead of refolding every conversation.

This is the contract between the projection (``analytics/outcomes.py``, kept up to date as
events are appended) and what reads it: the metrics (``analytics/metrics.py``), the parity
monitor (``analytics/parity.py``), the reports and the dashboard.

* ``segments``: dimension -> group, e.g. ``{"channel": "sms", "pack": "airline", "language":
  "en", "register": "casual", "tier": "gold", "arm:greeting": "b"}``; a dimension the
  conversation has no value for is absent (never an empty string).
* ``outcomes``: metric name -> the conversation's value, or None when the metric does not
  apply to it (no rating given: ``csat`` is None). Shares are 0/1 per conversation
  (``contained``, ``escalated``, ``abandoned``, ``fcr``), scores are their own scale (``csat``
  1-5 top-two-box as 0/1, ``ces`` 1-7), ``thumbs_down_share`` a share of the replies given a
  thumb (0 to 1), durations in seconds (``aht_bot_s``, ``aht_human_s``),
  money in the pack's currency (``cost``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ConversationFacts:
    conversation_id: str
    started_at: datetime
    ended_at: datetime | None
    segments: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, float | None] = field(default_factory=dict)
    escalation_trigger: str | None = None
