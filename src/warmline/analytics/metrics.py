"""The figures per segment: conversations' facts summed per group of one dimension (``Sums``),
then each metric as a value with the count it is over (``MetricRow``). The same sums come
from facts in memory (``by_segment``) or from SQL over the projection (``storage/analytics.py``
sums the same columns), so both paths give the same figures (docs/analytics.md).

Metrics, each with ``n`` the conversations it is over:

* ``conversations``: how many started in the period (n = the same).
* ``containment_rate``, ``fcr_rate``, ``abandonment_rate``: shares of the settled
  conversations (resolved or abandoned; those in progress do not count yet).
* ``csat``: share of rated conversations whose last rating is 4 or 5; ``ces``: mean score.
* ``thumbs_down_share``: mean over the conversations with a thumb on a bot reply of each one's
  share of thumbed replies whose last thumb is down (n = conversations with a thumb).
* ``escalation_rate`` and ``escalation_rate:<trigger>``: shares of all conversations.
* ``aht_bot_s``: mean bot time over all; ``aht_human_s``: mean person time over those a
  person joined.
* ``cost_per_contact``: (conversations x bot unit cost + person minutes x minute cost) / n.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from warmline.analytics.facts import ConversationFacts
from warmline.analytics.outcomes import OutcomeRules

UNKNOWN_GROUP = "(none)"
"""The group of a conversation that has no value for the dimension (no tier recorded)."""

METRICS = (
    "conversations",
    "containment_rate",
    "fcr_rate",
    "abandonment_rate",
    "csat",
    "ces",
    "thumbs_down_share",
    "escalation_rate",
    "aht_bot_s",
    "aht_human_s",
    "cost_per_contact",
)


@dataclass
class Sums:
    """What one group's figures are computed from (names as ``storage/analytics.py`` sums)."""

    n: int = 0
    settled: int = 0
    contained: int = 0
    abandoned: int = 0
    fcr: int = 0
    escalated: int = 0
    rated: int = 0
    satisfied: int = 0
    ces_n: int = 0
    ces_total: float = 0.0
    thumbed: int = 0
    thumbs_down_total: float = 0.0
    bot_s: float = 0.0
    joined: int = 0
    human_s: float = 0.0
    triggers: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Mapping[str, float | None], triggers: Mapping[str, int]) -> Sums:
        """From SQL's sums (a NULL sum over no rows is 0)."""
        ints = {"n", "settled", "contained", "abandoned", "fcr", "escalated", "rated"}
        ints |= {"satisfied", "ces_n", "thumbed", "joined"}
        found = {k: (int(v or 0) if k in ints else float(v or 0.0)) for k, v in values.items()}
        return cls(**found, triggers=dict(triggers))  # type: ignore[arg-type]

    def __add__(self, other: Sums) -> Sums:
        both = {
            name: getattr(self, name) + getattr(other, name)
            for name in self.__dataclass_fields__
            if name != "triggers"
        }
        triggers = dict(self.triggers)
        for trigger, count in other.triggers.items():
            triggers[trigger] = triggers.get(trigger, 0) + count
        return Sums(**both, triggers=triggers)

    def add(self, facts: ConversationFacts) -> None:
        o = facts.outcomes
        self.n += 1
        if o.get("contained") is not None:
            self.settled += 1
            self.contained += int(o["contained"] or 0)
            self.abandoned += int(o.get("abandoned") or 0)
            self.fcr += int(o.get("fcr") or 0)
        self.escalated += int(o.get("escalated") or 0)
        if o.get("csat") is not None:
            self.rated += 1
            self.satisfied += int(o["csat"] or 0)
        ces = o.get("ces")
        if ces is not None:
            self.ces_n += 1
            self.ces_total += ces
        down = o.get("thumbs_down_share")
        if down is not None:
            self.thumbed += 1
            self.thumbs_down_total += down
        self.bot_s += o.get("aht_bot_s") or 0.0
        human = o.get("aht_human_s")
        if human is not None:
            self.joined += 1
            self.human_s += human
        if facts.escalation_trigger is not None:
            trigger = facts.escalation_trigger
            self.triggers[trigger] = self.triggers.get(trigger, 0) + 1


@dataclass(frozen=True)
class MetricRow:
    """One figure of one group: the report's row (JSON and CSV: these five fields)."""

    metric: str
    dimension: str
    group: str
    value: float | None
    n: int


def by_segment(facts: Iterable[ConversationFacts], dimension: str) -> dict[str, Sums]:
    groups: dict[str, Sums] = {}
    for one in facts:
        group = one.segments.get(dimension, UNKNOWN_GROUP)
        groups.setdefault(group, Sums()).add(one)
    return groups


def _ratio(hits: float, total: float) -> float | None:
    return hits / total if total else None


def figures(s: Sums, rules: OutcomeRules) -> list[tuple[str, float | None, int]]:
    """Each metric of one group: (name, value, n)."""
    cost = s.n * rules.bot_conversation_cost + rules.human_minute_cost * s.human_s / 60.0
    found = [
        ("conversations", float(s.n), s.n),
        ("containment_rate", _ratio(s.contained, s.settled), s.settled),
        ("fcr_rate", _ratio(s.fcr, s.settled), s.settled),
        ("abandonment_rate", _ratio(s.abandoned, s.settled), s.settled),
        ("csat", _ratio(s.satisfied, s.rated), s.rated),
        ("ces", _ratio(s.ces_total, s.ces_n), s.ces_n),
        ("thumbs_down_share", _ratio(s.thumbs_down_total, s.thumbed), s.thumbed),
        ("escalation_rate", _ratio(s.escalated, s.n), s.n),
        ("aht_bot_s", _ratio(s.bot_s, s.n), s.n),
        ("aht_human_s", _ratio(s.human_s, s.joined), s.joined),
        ("cost_per_contact", _ratio(cost, s.n), s.n),
    ]
    found += [
        (f"escalation_rate:{trigger}", _ratio(count, s.n), s.n)
        for trigger, count in sorted(s.triggers.items())
    ]
    return found


def metric_rows(dimension: str, groups: Mapping[str, Sums], rules: OutcomeRules) -> list[MetricRow]:
    """Every metric of every group, groups in name order, metrics in ``METRICS`` order."""
    return [
        MetricRow(name, dimension, group, value, n)
        for group in sorted(groups)
        for name, value, n in figures(groups[group], rules)
    ]
