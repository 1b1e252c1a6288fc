"""A guided write once every value is chosen: the values it is proposed with (an element the
customer keeps as it is never goes to the back office) and, when its dry run is refused, what
follows: the rule in the back office's words and, for a rule the pack's ``ask_again`` gives to
a parameter, that question again with its choices and a person, every other value kept.

Pure: the dry run was sent by the guide stage (``services/turn/guide.py``) and its refusal
handed in as ``state.refusals``."""

from __future__ import annotations

import json
from typing import Any

from warmline.domain.conversation import ConversationState, Refusal
from warmline.domain.decision import Decision, Reason
from warmline.domain.outcome import Step
from warmline.domain.pack import Action, DomainPack
from warmline.policy.guided import as_list, ask_choices, preview_key

KEPT = ""
"""The value of a ``per`` choice that keeps its element as it is ("keep as it is"): the
element is left out of the request, the proposal and the dry run."""


def proposed(
    action_name: str,
    action: Action,
    params: dict[str, str],
    reasons: list[Reason],
    base: dict[str, Any],
) -> tuple[dict[str, str], Decision | None]:
    """The values the write is proposed with: less every element whose ``per`` value keeps it
    as it is; with, when every element is kept, the answer that nothing changes instead."""
    for name, spec in action.parameters.items():
        if spec.per is None or spec.per not in params or name not in params:
            continue
        values = as_list(params[name])
        kept = {i for i, value in enumerate(values) if value == KEPT}
        if not kept:
            continue
        elements = as_list(params[spec.per])
        said = [elements[i] for i in sorted(kept) if i < len(elements)]
        siblings = [n for n, s in action.parameters.items() if s.per == spec.per]
        params = dict(params)
        for key in [spec.per, *siblings]:
            params[key] = json.dumps(
                [v for i, v in enumerate(as_list(params[key])) if i not in kept]
            )
        left = len(elements) - len(said)
        reasons.append(
            Reason(
                code="kept_as_is",
                detail=f"{action_name}: {said} kept as they are, {left} left to change",
                values={"kept": len(said), "left": left},
            )
        )
        if left <= 0:
            return params, Decision(kind="answer", template="declined", reasons=reasons, **base)
    return params, None


def refused(
    action_name: str,
    pack: DomainPack,
    params: dict[str, str],
    state: ConversationState,
    reasons: list[Reason],
    base: dict[str, Any],
    step: Step = "preview",
) -> Decision | None:
    """The answer when the dry run of the write was refused (None: it was not): the back
    office's rule in its own words, no confirmation, nothing written; for a rule the action
    asks again (``ask_again``), that question with its choices and a person's label, every
    other value kept. ``step``: ``execute`` when the write itself was refused after the yes
    (``policy/outcomes.py``)."""
    refusal = state.refusals.get(preview_key(action_name, params))
    if refusal is None:
        return None
    action = pack.actions[action_name]
    person = pack.intent_label("human_agent") if "human_agent" in pack.intents else None
    when = "the dry run was refused" if step == "preview" else "refused after the yes"
    reasons.append(
        Reason(
            code="precondition_failed",
            detail=f"{action_name}: {when}: {refusal.reason}",
            values={"rule": refusal.rule, "message": refusal.reason, "step": step},
        )
    )
    again = action.ask_again.get(refusal.rule)
    if again is not None and again in action.parameters:
        return _ask_again(action_name, action, params, again, refusal, state, reasons, base, person)
    template = "action_not_found" if refusal.rule == "not_found" else None
    return Decision(
        kind="answer",
        action=action_name,
        params=params,
        template=template or action.refused or "action_refused",
        reasons=reasons,
        **base,
    )


def _ask_again(
    action_name: str,
    action: Action,
    params: dict[str, str],
    name: str,
    refusal: Refusal,
    state: ConversationState,
    reasons: list[Reason],
    base: dict[str, Any],
    person: str | None,
) -> Decision:
    """Ask ``name`` again after ``refusal``: of a ``per`` value only the element the refusal
    names (put last, so that it is the one asked), else the whole value; what was read with it
    is dropped, every other value kept."""
    spec = action.parameters[name]
    values = as_list(params.get(name))
    named = [i for i, value in enumerate(values) if value and value in refusal.reason]
    if spec.per is not None and len(named) == 1:
        kept = _moved_last(action, params, spec.per, named[0])
        kept[name] = json.dumps(as_list(kept[name])[:-1])
    else:
        dropped = action.depends_on(name) | {name}
        kept = {k: v for k, v in params.items() if k not in dropped}
    detail = f"{action_name}.{name} asked again after the rule {refusal.rule}"
    reasons.append(Reason(code="refusal_asked_again", detail=detail, values={"rule": refusal.rule}))
    decision = ask_choices(action_name, name, kept, spec, state, reasons, base)
    if decision.kind != "clarify" or person is None or not decision.choices:
        return decision
    return decision.model_copy(update={"choices": [*decision.choices, person]})


def _moved_last(action: Action, params: dict[str, str], parent: str, index: int) -> dict[str, str]:
    """The values with element ``index`` of ``parent`` and of every value per element of it
    moved to the end."""
    moved = dict(params)
    for key, spec in action.parameters.items():
        if (key == parent or spec.per == parent) and key in moved:
            items = as_list(moved[key])
            if index < len(items):
                items.append(items.pop(index))
            moved[key] = json.dumps(items)
    return moved
