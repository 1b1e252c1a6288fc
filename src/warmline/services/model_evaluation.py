"""Judging a retrained intent model on reviewed corrections (``warmline train``): the
deterministic split of the corrections into those trained on and those held out, each held-out
item read by the serving model and by the candidate with the same ``NluEngine`` code, and the
figures per segment group that the promotion gate (``policy/promotion.py``) and the report
read.

* **The split** is by a hash of the item's id, stratified by intent: within each intent the
  items are ordered by their hash and the first ``round(share x n)`` are held out (at least
  one and at most all but one, for an intent with two or more items; a single item is held out
  when its hash, read as a fraction, is under ``share``). The same items split the same way
  on every run and on every machine.
* **Read right**: an in-scope item when its top intent is the reviewed one and the zone is not
  out of scope (``confident`` or ``clarify``: the bot acts on it or offers it first); an item
  reviewed as out of scope (``oos``) when the zone is ``out_of_scope``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sklearn.model_selection import StratifiedKFold

from warmline.domain.pack import DomainPack
from warmline.nlu.embeddings import Encoder
from warmline.nlu.engine import NluEngine, training_data
from warmline.nlu.intents import IntentClassifier, IntentClassifierConfig
from warmline.nlu.oos import OOS
from warmline.policy.promotion import OVERALL, GroupCheck, Outcome


class ReviewedLike(Protocol):
    """What the review queue hands over for each reviewed turn (``services/learning.py``)."""

    @property
    def item_id(self) -> Any: ...
    @property
    def text(self) -> str: ...
    @property
    def intent(self) -> str: ...
    @property
    def segments(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class Reviewed:
    item_id: str
    text: str
    intent: str
    segments: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, item: ReviewedLike) -> Reviewed:
        return cls(str(item.item_id), item.text, item.intent, dict(item.segments or {}))


@dataclass(frozen=True)
class Reading:
    """How one model read one held-out item."""

    intent: str | None
    zone: str
    right: bool


@dataclass(frozen=True)
class Scored:
    item: Reviewed
    before: Reading
    after: Reading

    def outcome(self) -> Outcome:
        return Outcome(self.item.segments, self.before.right, self.after.right)


@dataclass(frozen=True)
class Side:
    """One model's figures on one group: items read right, in-scope accuracy, OOS recall."""

    right: int
    in_scope_right: int
    oos_right: int

    def as_json(self, group: GroupFigures) -> dict[str, Any]:
        return {
            "right": self.right,
            "share_right": _ratio(self.right, group.n),
            "accuracy": _ratio(self.in_scope_right, group.n_in_scope),
            "oos_recall": _ratio(self.oos_right, group.n_oos),
        }


@dataclass(frozen=True)
class GroupFigures:
    dimension: str
    group: str
    n: int
    n_in_scope: int
    n_oos: int
    before: Side
    after: Side
    check: GroupCheck

    def as_json(self) -> dict[str, Any]:
        c = self.check
        return {
            "dimension": self.dimension,
            "group": self.group,
            "n": self.n,
            "n_in_scope": self.n_in_scope,
            "n_oos": self.n_oos,
            "before": self.before.as_json(self),
            "after": self.after.as_json(self),
            "regressed": c.regressed,
            "improved": c.improved,
            "p_value": c.p_value,
            "p_adjusted": c.p_adjusted,
            "note": c.note,
        }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def fraction(item_id: str) -> float:
    """The item's id hashed to a number in [0, 1): where it falls in the split."""
    digest = hashlib.sha256(f"holdout:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split(items: Sequence[Reviewed], share: float) -> tuple[list[Reviewed], list[Reviewed]]:
    """(trained on, held out), stratified by intent (see the module's docstring)."""
    strata: dict[str, list[Reviewed]] = {}
    for item in items:
        strata.setdefault(item.intent, []).append(item)
    held: set[str] = set()
    for stratum in strata.values():
        ordered = sorted(stratum, key=lambda r: (fraction(r.item_id), r.item_id))
        if len(ordered) == 1:
            count = int(fraction(ordered[0].item_id) < share)
        else:
            count = min(max(round(share * len(ordered)), 1), len(ordered) - 1)
        held.update(r.item_id for r in ordered[:count])
    return (
        [i for i in items if i.item_id not in held],
        [i for i in items if i.item_id in held],
    )


def read(engine: NluEngine, item: Reviewed) -> Reading:
    understood = engine.understand(item.text)
    top = understood.ranking[0].intent if understood.ranking else None
    if item.intent == OOS:
        right = understood.zone == "out_of_scope"
    else:
        right = understood.zone != "out_of_scope" and top == item.intent
    return Reading(top, understood.zone, right)


def score(before: NluEngine, after: NluEngine, items: Sequence[Reviewed]) -> list[Scored]:
    """Each held-out item read by the serving model and the candidate (blocking: run it in a
    worker thread)."""
    return [Scored(item, read(before, item), read(after, item)) for item in items]


def figures(scored: Sequence[Scored], checks: Sequence[GroupCheck]) -> list[GroupFigures]:
    """Overall, then each segment group the gate checked, with both models' figures."""
    members: dict[tuple[str, str], list[Scored]] = {OVERALL: list(scored)}
    for s in scored:
        for key in s.item.segments.items():
            members.setdefault(key, []).append(s)
    found = []
    for check in checks:
        rows = members.get((check.dimension, check.group), [])
        oos = [s for s in rows if s.item.intent == OOS]
        found.append(
            GroupFigures(
                check.dimension,
                check.group,
                len(rows),
                len(rows) - len(oos),
                len(oos),
                _side([s.before for s in rows], [s.item.intent for s in rows]),
                _side([s.after for s in rows], [s.item.intent for s in rows]),
                check,
            )
        )
    return found


def _side(readings: Sequence[Reading], gold: Sequence[str]) -> Side:
    pairs = list(zip(readings, gold, strict=True))
    return Side(
        sum(r.right for r, _ in pairs),
        sum(r.right for r, g in pairs if g != OOS),
        sum(r.right for r, g in pairs if g == OOS),
    )


def cross_validated(
    pack: DomainPack,
    encoder: Encoder,
    folds: int = 5,
    config: IntentClassifierConfig | None = None,
) -> dict[str, Any] | None:
    """The top-intent accuracy of the pack's own examples, cross-validated (stratified folds,
    each fold's model in the shipped configuration less its calibration folds, which change no
    top intent): what the examples score on text like their own, a baseline beside the
    held-out corrections. None when an intent has a single example. Blocking."""
    texts, labels = training_data(pack)
    k = min(folds, min(Counter(labels).values()))
    if k < 2:
        return None
    config = config or IntentClassifierConfig(calibration_folds=0)
    right = 0
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=config.seed)
    for train, test in splitter.split(texts, labels):
        model = IntentClassifier(encoder, config).fit(
            [texts[i] for i in train], [labels[i] for i in train]
        )
        ranked = model.rank([texts[i] for i in test])
        right += sum(r.scores[0].intent == labels[i] for r, i in zip(ranked, test, strict=True))
    return {"accuracy": round(right / len(texts), 6), "folds": k, "n": len(texts)}
