"""Empathy first: whether a reply opens by acknowledging how the customer feels, and why.

The policy decides the cause and how strongly; the responder words it. The causes, in order: a
threat to leave, a repeated request, real trouble told (``trouble``: "my vacuum cleaner arrived
broken", "I was charged twice", "my flight was cancelled on me", acknowledged even when calm,
unless the customer is shouting, swearing or strongly frustrated, when the feeling comes
first), frustration, urgency, confusion, plain negativity. A calm customer gets none, and an
apology to someone who is not upset reads as a script, so a score counts only where the turn
leaves room for a feeling:

* **The turn's function.** A turn that answers what the bot asked (``ConversationState.asked``):
  a yes or a no or a correction at a confirmation, a pick among the choices, a detail (an id,
  an email, a name, a date, a zip code), a verification fact, or any answer of three words or
  fewer, is read by the step before this one (``followups.py``, ``verification.py``), whose
  reasons say so (``ANSWERS``). Such a turn is acknowledged only on a cue that the customer is
  upset (shouting, profanity, a repeat complaint or "you're not listening", a threat to leave,
  words of feeling, confused words): the model's score alone never does it. A bare "no" at a
  confirmation scores 0.52 frustration; it is a no, not a complaint (reason ``empathy_answer``).
* **Requests without feeling.** A request of the pack ("I need to cancel my bag", "I want a
  refund for order #W...", "I'd like to file a complaint") reads negative because of its topic:
  on such requests the calibrated model gives 0.5 to 0.7 frustration and up to 0.87 negative
  ("I need to cancel my reservation" 0.66 and 0.83, "Sorry, I need to change the address on my
  order" 0.03 and 0.87), as high as some upset requests without a cue ("this is so annoying,
  where is my reservation?" 0.70 and 0.74). Words of feeling ("annoying", "fed up", "upset",
  "disappointed", "worried") tell the two apart, so a request is judged at the pack's
  thresholds when a cue vouches for the cause (``VOUCHES``); without one the model's score must
  be well above the threshold: half the way from it to certainty (``REQUEST_MARGIN``; with the
  default thresholds frustration 0.75, urgency and confusion 0.8), or the acknowledgement is
  withheld (reason ``empathy_request``). Plain negativity is never enough on its own on a
  request: it is the topic's ("I need to cancel my order" reads 0.90 negative).
* Anything else (a statement, a turn outside the pack, a greeting) is judged at the thresholds.
* **The upset detector** (``Affect.upset``, ``nlu/upset.py``) judges requests and statements,
  never answers. At or above ``Empathy.upset`` the customer is acknowledged: with the cause
  the scores and cues name, or ``trouble`` when no score shows a feeling ("you moved my
  flight to 5am and never asked me"). A score that no cue vouches for counts only when the
  detector agrees; under ``Empathy.upset_floor`` no cue but a threat to leave or a repeat
  counts either ("WHAT IS MY BAGGAGE ALLOWANCE" is typed in capitals, not shouted). Both
  withheld ones give reason ``empathy_not_upset``; without a detector (``Affect.upset`` None)
  the rules above stand alone.
* Words of feeling are enough on their own, on any turn: a customer who says they are upset,
  fed up or worried is acknowledged even when the model reads the turn calmly ("ugh, none of
  these are what I asked for"), as frustration, negativity or urgency, whichever score is
  nearest its threshold.

The buffer (``Empathy.buffer_turns``) caps how many turns in a row open with one: after that the
replies go straight to the task until the customer calms down, so nobody is smothered in
apologies. An experiment arm may switch it off.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from warmline.domain.conversation import ConversationState
from warmline.domain.decision import Acknowledgement, AcknowledgementCause, Decision, Reason
from warmline.domain.pack import DomainPack, Empathy
from warmline.domain.understanding import Affect, Understanding
from warmline.policy.clarify import CONVERSATIONAL

TurnFunction = Literal["answer", "request", "other"]

ANSWERS: dict[str, str] = {
    "confirmed": "a yes at a confirmation",
    "declined": "a no at a confirmation",
    "slot_corrected": "a correction",
    "slot_added": "a correction",
    "kept_as_is": "a correction",
    "choice_selected": "a pick among the choices",
    "slot_filled": "a detail asked for",
    "slot_from_words": "a detail asked for",
    "slot_unreadable": "a detail asked for",
    "customer_verified": "a verification fact",
    "verification_no_match": "a verification fact",
}
"""The reason codes of the step before empathy that say the turn answered the bot's question."""

SHORT_ANSWER_WORDS = 3
"""An answer to the bot's question this short is an answer, whatever the step made of it."""

VOUCHES: dict[str, tuple[AcknowledgementCause, ...]] = {
    "shouting": ("frustration", "negative"),
    "profanity": ("frustration", "negative"),
    "feeling_words": ("frustration", "negative", "urgency"),
    "confused_words": ("confusion",),
    "urgent_words": ("urgency",),
}
"""The causes each lexical cue vouches for: with one, the model's score is the customer's
feeling, not the topic's. ``urgent_words`` vouches for nothing in an answer ("tonight" answers
"which date?")."""

REQUEST_MARGIN = 0.5
"""On a request no cue vouches for, the share of the way from a threshold to certainty the
model's score must also cover."""

FLAT_SHARE = 0.5
"""When the upset detector alone acknowledges, and no feeling score reaches this share of its
threshold, the customer told of trouble flatly: the cause is ``trouble``."""

ANGER = frozenset({"shouting", "profanity"})


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
            "upset": affect.upset,
        },
    )


def turn_function(
    state: ConversationState, understanding: Understanding, decision: Decision, pack: DomainPack
) -> tuple[TurnFunction, str]:
    """What the turn does, as the step before empathy read it: answers the bot's question, makes
    a request of the pack, or something else; and in words, for the reasons."""
    if state.asked():
        answered = [ANSWERS[c] for c in decision.reason_codes() if c in ANSWERS]
        if answered:
            return "answer", answered[0]
        if len(understanding.text.split()) <= SHORT_ANSWER_WORDS:
            return "answer", "a short answer"
    intent = understanding.intent
    if (
        understanding.zone != "out_of_scope"
        and intent in pack.intents
        and intent not in CONVERSATIONAL
    ):
        return "request", f"a request ({intent})"
    return "other", "neither an answer nor a request"


class _Due(NamedTuple):
    """A cause whose score crossed its threshold, and the bar the turn's function sets (None:
    the score alone acknowledges nothing); ``detector``: the upset detector decided (it read
    the customer upset, or, on a withheld cause, calm)."""

    cause: AcknowledgementCause
    score: float | None
    threshold: float | None
    bar: float | None = None
    detector: bool = False


def _vouched(cause: AcknowledgementCause, affect: Affect, function: TurnFunction) -> bool:
    """Whether a lexical cue of the turn vouches for ``cause``."""
    vouching = [c for c in affect.cues if function != "answer" or c != "urgent_words"]
    return any(cause in VOUCHES.get(c, ()) for c in vouching)


def _bar(
    cause: AcknowledgementCause, threshold: float, affect: Affect, function: TurnFunction
) -> float | None:
    """What the score of ``cause`` must reach on a turn of this function."""
    if function == "other" or _vouched(cause, affect, function):
        return threshold
    if function == "answer" or cause == "negative":
        return None
    return threshold + (1.0 - threshold) * REQUEST_MARGIN


def _under_floor(found: _Due, affect: Affect, empathy: Empathy, function: TurnFunction) -> bool:
    """Whether the upset detector reads the customer so calm (under ``Empathy.upset_floor``)
    that a cue alone does not acknowledge them: "CAN I CHANGE MY SEAT" shouts nothing. A threat
    to leave and a repeat stand whatever it reads; an answer is not its to judge."""
    if found.cause in ("leave_threat", "repeat") or function == "answer":
        return False
    return affect.upset is not None and affect.upset < empathy.upset_floor


def _upset(affect: Affect, empathy: Empathy, function: TurnFunction) -> bool | None:
    """Whether the upset detector reads the customer upset on this turn (None: it does not
    judge it: an answer to the bot's question, or no detector)."""
    if function == "answer" or affect.upset is None:
        return None
    return affect.upset >= empathy.upset


def _cause(
    affect: Affect, empathy: Empathy, function: TurnFunction
) -> tuple[_Due | None, _Due | None]:
    """The cause to acknowledge (with its score and threshold), and the first cause withheld
    because of the turn's function."""
    if "leave_threat" in affect.cues:
        return _Due("leave_threat", affect.frustration, empathy.frustration), None
    if affect.repeats or "repeat_complaint" in affect.cues:
        return _Due("repeat", affect.frustration, empathy.frustration), None
    trouble = affect.trouble is not None and function != "answer"
    if trouble and not ANGER & set(affect.cues) and affect.frustration < empathy.strong:
        return _Due("trouble", None, None), None
    ordered: list[tuple[AcknowledgementCause, float, float]] = [
        ("frustration", affect.frustration, empathy.frustration),
        ("urgency", affect.urgency, empathy.urgency),
        ("confusion", affect.confusion, empathy.confusion),
        ("negative", affect.negative, empathy.negative),
    ]
    upset = _upset(affect, empathy, function)
    withheld = None
    for cause, score, threshold in ordered:
        if score < threshold:
            continue
        bar = _bar(cause, threshold, affect, function)
        if bar is not None and score >= bar:
            # a score no cue vouches for counts only when the detector agrees
            if upset is not False or _vouched(cause, affect, function):
                return _Due(cause, score, threshold, bar), None
            withheld = withheld or _Due(cause, score, threshold, bar, detector=True)
        withheld = withheld or _Due(cause, score, threshold, bar)
    if trouble:
        return _Due("trouble", None, None), None
    if "feeling_words" in affect.cues or upset:
        # the customer says how they feel, or the detector reads them upset: the cause nearest
        # its threshold, however low
        cause, score, threshold = max(
            (o for o in ordered if o[0] in VOUCHES["feeling_words"]), key=lambda o: o[1] - o[2]
        )
        if "feeling_words" in affect.cues:
            return _Due(cause, score, threshold), None
        if score < threshold * FLAT_SHARE:
            # no score shows a feeling: trouble told flatly ("it's the fourth day and nobody
            # has told me where my bag is"), acknowledged as trouble
            return _Due("trouble", None, None, detector=True), None
        return _Due(cause, score, threshold, detector=True), None
    return None, withheld


def _withheld_reason(
    due: _Due, function: TurnFunction, said: str, affect: Affect, empathy: Empathy
) -> Reason:
    values: dict[str, float | str | bool | None] = {
        "cause": due.cause,
        "score": due.score,
        "threshold": due.threshold,
        "bar": due.bar,
    }
    if due.detector:
        floor = affect.upset is not None and affect.upset < empathy.upset_floor
        bar = f"floor {empathy.upset_floor}" if floor else f"threshold {empathy.upset}"
        return Reason(
            code="empathy_not_upset",
            detail=f"{said}: {due.cause} would be acknowledged on its score or cues alone, but "
            f"the upset detector reads the customer calm ({affect.upset} under its {bar})",
            values={
                **values,
                "upset": affect.upset,
                "upset_threshold": empathy.upset,
                "upset_floor": empathy.upset_floor,
            },
        )
    if function == "answer":
        return Reason(
            code="empathy_answer",
            detail=f"the turn answers the bot's question ({said}) and no cue says the customer "
            f"is upset: {due.cause} {due.score} alone acknowledges nothing",
            values=values,
        )
    short = f"is under {due.bar}" if due.bar is not None else "alone acknowledges nothing"
    return Reason(
        code="empathy_request",
        detail=f"{said} with no word of feeling: {due.cause} {due.score} {short}",
        values=values,
    )


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
    state: ConversationState, understanding: Understanding, pack: DomainPack, decision: Decision
) -> EmpathyReading:
    """The acknowledgement this turn's reply opens with (or None), and the reasons; ``decision``
    is the step the turn led to before feelings, which tells what the turn does."""
    affect = understanding.affect
    if affect is None:
        return EmpathyReading(None, [])
    reasons = [affect_reason(affect)]
    empathy = pack.empathy
    function, said = turn_function(state, understanding, decision, pack)
    found, withheld = _cause(affect, empathy, function)
    if found is not None and _under_floor(found, affect, empathy, function):
        withheld = found._replace(detector=True)
        found = None
    if found is None:
        if withheld is not None:
            reasons.append(_withheld_reason(withheld, function, said, affect, empathy))
        return EmpathyReading(None, reasons)
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
                f"{found.cause}; straight to the task",
                values={"buffer_turns": empathy.buffer_turns},
            )
        )
        return EmpathyReading(None, reasons, buffer_spent=True)
    ack = _acknowledged(found, affect, empathy)
    reasons.append(_first_reason(found, ack, affect, empathy, said, state.acknowledged_streak))
    return EmpathyReading(ack, reasons)


def _first_reason(
    found: _Due, ack: Acknowledgement, affect: Affect, empathy: Empathy, said: str, streak: int
) -> Reason:
    """The ``empathy_first`` reason: the cause, the score and bar behind it, and the upset
    detector's probability with its threshold."""
    detail = f"acknowledge {found.cause} before anything else ({said})"
    if found.detector:
        detail += (
            f"; the upset detector reads the customer upset ({affect.upset} >= {empathy.upset})"
        )
    return Reason(
        code="empathy_first",
        detail=detail,
        values={
            "score": found.score,
            "threshold": found.threshold,
            "bar": found.bar,
            "strong": ack.strong,
            "streak": streak,
            "buffer_turns": empathy.buffer_turns,
            "upset": affect.upset,
            "upset_threshold": empathy.upset,
            "upset_floor": empathy.upset_floor,
        },
    )


def _acknowledged(found: _Due, affect: Affect, empathy: Empathy) -> Acknowledgement:
    """The acknowledgement of ``found``: how strongly, how often asked, what trouble."""
    cause = found.cause
    strong = cause != "trouble" and (
        (found.score is not None and found.score >= empathy.strong)
        or cause == "leave_threat"
        or set(affect.cues) >= ANGER
    )
    times = affect.repeats + 1 if cause == "repeat" and affect.repeats else 0
    trouble = affect.trouble if cause == "trouble" else None
    return Acknowledgement(
        cause=cause,
        strong=strong,
        times=times,
        trouble=trouble.what if trouble else None,
        thing=trouble.thing if trouble else None,
    )


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
