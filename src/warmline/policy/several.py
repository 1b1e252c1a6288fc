"""Values said together: several values of one kind in one request ("2024-05-20 and
2024-05-24") for a detail that takes one, with no word telling which is which, are asked
about, both offered, instead of one taken silently; a move from one date to another ("move my
flight from May 20 to May 22", "change the May 20 flight to May 22") names the day it leaves and
the day it goes to, and only the second is the new one; and a choice just made answers only the
question it was offered for."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from warmline.domain.conversation import ConversationState
from warmline.domain.decision import Decision, Reason
from warmline.domain.pack import Action
from warmline.domain.understanding import EntityMention, Understanding
from warmline.policy.labels import DATE

_MOVING = re.compile(
    r"\b(?:move|moving|moved|change|changing|switch|switching|reschedul\w*|push|pushing|shift"
    r"|shifting|rebook\w*)\b",
    re.I,
)
_NEW_BOOKING = re.compile(
    r"\b(?:book|reserve|buy|purchase|back|return|returning|inbound)\b"
    r"|\bbooking (?:a|an|another|new)\b",
    re.I,
)
"""A sentence that books (its "from May 20 to May 24" is a trip out and back), or speaks of the
flight back, whose dates no move of the day out reads."""
_TO_NEXT = re.compile(
    r"^(?:\s+(?:one|flights?|trip|departure|reservation|booking|on|of|for|\w*\d\w*)){0,4}"
    r"\s+(?:to|until|till|onto)\s+(?:the\s+)?$",
    re.I,
)
"""What may come between the day a move leaves from and "to" the day it goes to: "from May 20
to", "the May 20 flight on reservation 4WQ150 to"."""
_TO_END = re.compile(r"\b(?:to|until|till|onto)\s+(?:the\s+)?$", re.I)
_INSTEAD = re.compile(r"^[\s,]*(?:\w+\s+){0,2}?instead\b(?!\s+of\b)", re.I)


def undecided(
    action: Action,
    name: str,
    understanding: Understanding,
    state: ConversationState,
    extra: dict[str, str],
) -> tuple[str, ...]:
    """The values the customer said together for parameter ``name`` (this turn's, or kept from
    the turn that said them) when no word told which is its own: "2024-05-20, 2024-05-24" for
    the one date of a flight out. Empty when one value was said, when a cue word gave each its
    own entity ("back on 2024-05-24"), or when the value was chosen or asked for already."""
    spec = action.parameters[name]
    entity = spec.entity
    if entity is None or spec.many or not spec.required:
        return ()
    if name in extra or name == state.awaiting_param:
        return ()  # chosen, or the answer to the question asked: nothing left to tell apart
    if sum(1 for other in action.parameters.values() if other.entity == entity) > 1:
        return ()
    said = [m.value for m in understanding.entities if m.entity == entity]
    values = tuple(dict.fromkeys(said)) if said else state.several.get(entity, ())
    return values if len(values) > 1 else ()


def ask_which(
    action_name: str,
    name: str,
    params: dict[str, str],
    values: tuple[str, ...],
    reasons: list[Reason],
    base: dict[str, Any],
) -> Decision:
    """Ask for ``name`` with the values said together as its choices."""
    reasons.append(
        Reason(
            code="values_undecided",
            detail=f"{action_name}.{name}: {list(values)} said together, none told as this one",
            values={"parameter": name},
        )
    )
    return Decision(
        kind="clarify",
        action=action_name,
        params=params,
        missing=name,
        template="missing_param",
        choices=list(values),
        reasons=reasons,
        **base,
    )


def not_in_choice(
    mention: EntityMention | None, state: ConversationState, extra: dict[str, str]
) -> EntityMention | None:
    """The mention, unless it is part of the choice just made for the question asked: the
    passenger "Noah Johnson (born ...)" tapped is no new name for a passenger."""
    chose = state.awaiting_param is not None and state.awaiting_param in extra
    if mention is None or not chose:
        return mention
    said = mention.text.lower()
    return None if any(said in label.lower() for label in state.choices) else mention


def moved_to(text: str) -> str:
    """The text less each date a move leaves from, so that only the day it goes to picks a date:
    in a sentence that moves something ("move", "change", "reschedule" ...), a date followed by
    "to" another ("from May 20 to May 22", "the May 20 flight to May 22", "on May 17, so move it
    to May 19"), or another date said as the one wanted "instead". A booking's "from May 20 to
    May 24" (no move) keeps both, and so does a sentence about the flight back."""
    kept: list[str] = []
    for sentence in re.split(r"(?<=[.;!?])\s+", text):
        dates = list(DATE.finditer(sentence))
        moving = _MOVING.search(sentence)
        if moving is None or len(dates) < 2 or _NEW_BOOKING.search(sentence):
            kept.append(sentence)
            continue
        instead = [d for d in dates if _INSTEAD.match(sentence[d.end() :])]
        left = [d for d in dates if d not in instead] if len(instead) == 1 else []
        for here, after in pairwise(dates):
            gap = sentence[here.end() : after.start()]
            verb_first = here.start() > moving.start() and _TO_NEXT.match(gap)
            if verb_first or (_MOVING.search(gap) and _TO_END.search(gap)):
                left.append(here)
        for found in sorted(set(left), key=lambda d: -d.start()):
            sentence = sentence[: found.start()] + " " + sentence[found.end() :]
        kept.append(sentence)
    return " ".join(kept)
