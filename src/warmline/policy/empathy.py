"""Empathy first: whether a reply opens by acknowledging how the customer feels, and why.

The policy decides the cause (a threat to leave, a repeated request, frustration, urgency,
confusion, plain negativity, in that order) and how strongly; the responder words it. A calm
customer gets no acknowledgement at all. The buffer (``Empathy.buffer_turns``) caps how many
turns in a row open with one: after that the replies go straight to the task until the customer
calms down, so nobody is smothered in apologies. An experiment arm may switch it off.
"""

from __future__ import annotations

from typing import NamedTuple

from warmline.domain.conversation import ConversationState
from warmline.domain.decision import Acknowledgement, AcknowledgementCause, Decision, Reason
from warmline.domain.pack import DomainPack, Empathy
from warmline.domain.understanding import Affect


def affect_reason(affect: Affect) -> Reason:
    """The affect scores of the turn, as the decision's evidence."""
    cues = ", ".join(affect.cues) or "none"
    return Reason(
        code="affect",
        detail=f"sentiment {affect.sentiment}; cues: {cues}",
        values={
            "negative": affect.negative,
            "frustration": affect.frustration,
            "urgency": affect.urgency,
            "confusion": affect.confusion,
            "repeats": affect.repeats,
        },
    )


def _cause(affect: Affect, empathy: Empathy) -> tuple[AcknowledgementCause, float, float] | None:
    """The cause to acknowledge, with the score that crossed its threshold and the threshold."""
    if "leave_threat" in affect.cues:
        return "leave_threat", affect.frustration, empathy.frustration
    if affect.repeats or "repeat_complaint" in affect.cues:
        return "repeat", affect.frustration, empathy.frustration
    ordered: list[tuple[AcknowledgementCause, float, float]] = [
        ("frustration", affect.frustration, empathy.frustration),
        ("urgency", affect.urgency, empathy.urgency),
        ("confusion", affect.confusion, empathy.confusion),
        ("negative", affect.negative, empathy.negative),
    ]
    for cause, score, threshold in ordered:
        if score >= threshold:
            return cause, score, threshold
    return None


def _arm_without_empathy(state: ConversationState, pack: DomainPack) -> str | None:
    for experiment, arm in state.arms.items():
        spec = pack.experiments.get(experiment)
        if spec and arm in spec.arms and not spec.arms[arm].empathy:
            return f"{experiment}={arm}"
    return None


class EmpathyReading(NamedTuple):
    """What empathy decided for one turn: the acknowledgement (or None), the reasons, and
    whether one was due but the buffer was spent (the streak then holds)."""

    acknowledgement: Acknowledgement | None
    reasons: list[Reason]
    buffer_spent: bool = False


def acknowledgement(
    state: ConversationState, affect: Affect | None, pack: DomainPack
) -> EmpathyReading:
    """The acknowledgement this turn's reply opens with (or None), and the reasons."""
    if affect is None:
        return EmpathyReading(None, [])
    reasons = [affect_reason(affect)]
    empathy = pack.empathy
    found = _cause(affect, empathy)
    if found is None:
        return EmpathyReading(None, reasons)
    cause, score, threshold = found
    if not empathy.enabled:
        reasons.append(Reason(code="empathy_off", detail="the pack turns acknowledgements off"))
        return EmpathyReading(None, reasons)
    arm = _arm_without_empathy(state, pack)
    if arm is not None:
        reasons.append(
            Reason(code="experiment_arm", detail=f"arm {arm} replies without acknowledgements")
        )
        return EmpathyReading(None, reasons)
    if state.acknowledged_streak >= empathy.buffer_turns:
        reasons.append(
            Reason(
                code="empathy_buffer_spent",
                detail=f"{state.acknowledged_streak} turns in a row already acknowledged "
                f"{cause}; straight to the task",
                values={"buffer_turns": empathy.buffer_turns},
            )
        )
        return EmpathyReading(None, reasons, buffer_spent=True)
    strong = (
        score >= empathy.strong
        or cause == "leave_threat"
        or {"shouting", "profanity"} <= set(affect.cues)
    )
    times = affect.repeats + 1 if cause == "repeat" and affect.repeats else 0
    reasons.append(
        Reason(
            code="empathy_first",
            detail=f"acknowledge {cause} before anything else",
            values={
                "score": score,
                "threshold": threshold,
                "strong": strong,
                "streak": state.acknowledged_streak,
                "buffer_turns": empathy.buffer_turns,
            },
        )
    )
    return EmpathyReading(Acknowledgement(cause=cause, strong=strong, times=times), reasons)


def acknowledgement_used_up(decision: Decision) -> Decision:
    """Every wording of the decided acknowledgement was said already in this conversation:
    the reply goes without one rather than repeat itself."""
    reason = Reason(
        code="acknowledgements_used_up",
        detail="every wording of this acknowledgement was said already; none repeated",
    )
    return decision.model_copy(
        update={"acknowledgement": None, "reasons": [*decision.reasons, reason]}
    )
