"""The dimensions a report groups conversations by, checked: a dimension that no conversation
of the period has is an error naming those it has, never a report of one ``(none)`` group
(a misspelt ``--by tire`` would otherwise look like a report on conversations without one).

Always known, even in a period without conversations: ``pack``, ``channel``, ``language``,
``register`` and ``dialect`` (every conversation has the first two, and the others once its
customer wrote). Any other dimension (``tier`` or another segment the pack declares,
``arm:<experiment>``) is known when a conversation of the period has it.
"""

from __future__ import annotations

from datetime import datetime

from warmline.analytics.metrics import UNKNOWN_GROUP, MetricRow
from warmline.errors import InputError
from warmline.services.analytics import Analytics

ALWAYS = ("pack", "channel", "language", "register", "dialect")


async def known_dimensions(
    analytics: Analytics, since: datetime, until: datetime | None = None, pack: str | None = None
) -> list[str]:
    """``ALWAYS``, then every other dimension a conversation of the period has, by name (the
    projection's segment keys, read in SQL: ``Analytics.dimensions``)."""
    found = await analytics.dimensions(since, until, pack)
    return [*ALWAYS, *sorted(set(found) - set(ALWAYS))]


async def checked_report(
    analytics: Analytics,
    since: datetime,
    by: str,
    until: datetime | None = None,
    pack: str | None = None,
) -> list[MetricRow]:
    """``Analytics.report``, or ``InputError`` when no conversation of the period has ``by``.
    The check costs nothing on a report that has a group (the usual case)."""
    rows = await analytics.report(since, by, until=until, pack=pack)
    if by in ALWAYS or any(row.group != UNKNOWN_GROUP for row in rows):
        return rows
    known = await known_dimensions(analytics, since, until, pack)
    raise InputError(
        f"no conversation started in the period has the dimension '{by}'; "
        f"the dimensions there are: {', '.join(known)}"
    )
