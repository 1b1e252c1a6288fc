"""The three zones of an intent prediction: confident, clarify, out of scope.

* ``out_of_scope`` when the top intent is the reject class ``oos`` (trained from examples
  labelled ``oos``), when the text is far from every training example (cosine to the nearest
  below ``min_similarity``), when the out-of-scope score (``oos.py``) reaches
  ``out_of_scope`` (by default the model's own, set on held-out folds), or when the calibrated
  top probability is below ``clarify``;
* ``confident`` when the top probability reaches ``confident``;
* ``clarify`` in between: ask one question offering the top intents as choices.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from warmline.domain.understanding import Zone
from warmline.nlu.intents import Ranking
from warmline.nlu.oos import OOS

__all__ = ["OOS", "ZoneThresholds", "zone_for"]


class ZoneThresholds(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    confident: float = Field(0.55, ge=0, le=1)
    clarify: float = Field(0.25, ge=0, le=1)
    min_similarity: float = Field(0.30, ge=-1, le=1)
    out_of_scope: float | None = Field(
        None, description="out-of-scope score cut-off; None: the model's held-out default"
    )

    def oos_cut_off(self, model_default: float | None) -> float | None:
        """The out-of-scope cut-off in force: this one's own, else the model's."""
        return self.out_of_scope if self.out_of_scope is not None else model_default

    @model_validator(mode="after")
    def _ordered(self) -> ZoneThresholds:
        if self.clarify > self.confident:
            raise ValueError("clarify must not be above confident")
        return self


def zone_for(
    ranking: Ranking, thresholds: ZoneThresholds, default_oos: float | None = None
) -> tuple[Zone, str]:
    """The zone and the rule that put the prediction there. ``default_oos`` is the model's
    out-of-scope cut-off, used when ``thresholds`` sets none."""
    top = ranking.scores[0] if ranking.scores else None
    if top is None:
        return "out_of_scope", "no intent"
    if top.intent == OOS:
        return "out_of_scope", f"the reject class '{OOS}' ranks first ({top.probability:.2f})"
    if ranking.nearest_similarity < thresholds.min_similarity:
        return "out_of_scope", (
            f"nearest example similarity {ranking.nearest_similarity:.2f} "
            f"< {thresholds.min_similarity:.2f}"
        )
    cut = thresholds.oos_cut_off(default_oos)
    if cut is not None and ranking.oos_score >= cut:
        return "out_of_scope", f"out-of-scope score {ranking.oos_score:.2f} >= {cut:.2f}"
    if top.probability >= thresholds.confident:
        return "confident", f"{top.probability:.2f} >= confident {thresholds.confident:.2f}"
    if top.probability >= thresholds.clarify:
        return (
            "clarify",
            f"{top.probability:.2f} between clarify {thresholds.clarify:.2f} and confident",
        )
    return "out_of_scope", f"{top.probability:.2f} < clarify {thresholds.clarify:.2f}"
