"""Values said together: several values of one kind in one request ("2024-05-20 and
2024-05-24") for a detail that takes one, with no word telling which is which, are asked
about, both offered, instead of one taken silently; and a choice just made answers only the
question it was offered for."""

from __future__ import annotations

from typing import Any

from warmline.domain.conversation import ConversationState
from warmline.domain.decision import Decision, Reason
from warmline.domain.pack import Action
from warmline.domain.understanding import EntityMention, Understanding


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
