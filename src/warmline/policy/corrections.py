"""Corrections of a guided action's values while it is asked for or proposed: a value
replaced ("no, the other order"), items added to a value of several ("I also want to return
the desk lamp"), and items the customer now keeps taken out of it ("not that one: the puzzle
with 500 pieces stays as it is"); what was chosen for the other items is kept, what was read
with a changed value is dropped and asked again (``policy/guided.py`` chooses)."""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import replace

from warmline.domain.conversation import ConversationState
from warmline.domain.decision import Reason
from warmline.domain.pack import Action, Parameter
from warmline.domain.understanding import Reference, Understanding
from warmline.policy.guided import ADD, CUE, as_list, current_offer, is_correction, pick
from warmline.policy.labels import says_all
from warmline.policy.meant import kept_words, without_kept

_NEGATED = re.compile(r"\bnot\b([^,;.!?]*?)(?=,|;|\.|!|\?|\bbut\b|$)", re.I)


def corrected(
    state: ConversationState, understanding: Understanding, action: Action, reasons: list[Reason]
) -> ConversationState | None:
    """The state with the value the customer corrects replaced and what depended on it dropped
    (None: the turn corrects nothing)."""
    filling = state.filling
    text = understanding.text
    if filling is None or not is_correction(text, state.choices):
        return None  # a tap on an offered label ("waterproof no") corrects nothing
    kept = _kept_out(state, understanding, action, reasons)
    if kept is not None:
        return kept  # "the puzzle with 500 pieces stays as it is": the others go on
    grown = _added(state, understanding, action, reasons)
    if grown is not None or not CUE.search(text):
        return grown  # "the lamp as well", already there, replaces nothing
    for name, spec in action.parameters.items():
        old = filling.params.get(name)
        if old is None or spec.per is not None:
            continue
        new = _replacement(spec, old, name, state, understanding)
        if new is None or _norm(new) == _norm(old):
            continue
        extra = _extra_values(spec, old, new)
        if extra:  # "no, the lamp and the boots": the boots kept, with what was chosen for them
            return _grown(state, action, name, extra, reasons)
        dropped = action.depends_on(name)
        params = {k: v for k, v in filling.params.items() if k not in dropped and k != name}
        if new:
            params[name] = new
        reasons.append(
            Reason(
                code="slot_corrected",
                detail=f"{name}: {old} -> {new}; dropped {sorted(dropped & set(filling.params))}",
            )
        )
        slots = {k: v for k, v in state.slots.items() if k != spec.entity}
        if new and spec.entity:
            slots[spec.entity] = new
        # the request goes on from this turn: earlier words no longer choose for it
        moved = replace(filling, params=params, since=state.customer_turns())
        return replace(state, filling=moved, slots=slots, pending=None, choices=())
    return None


def _kept_out(
    state: ConversationState, understanding: Understanding, action: Action, reasons: list[Reason]
) -> ConversationState | None:
    """The state with the items the customer now keeps as they are ("not that one: the puzzle
    with pieces 500 stays as it is") taken out of a value of several, with what was chosen
    for each of them (``per``); what was chosen for the others is kept, and an item the rest
    of the turn names that is not there yet is added (None: the turn keeps no item there)."""
    filling = state.filling
    kept_text = kept_words(understanding.text)
    if filling is None or not kept_text:
        return None
    for name, spec in action.parameters.items():
        old = as_list(filling.params.get(name))
        offer = current_offer(state, name, None, filling.params)
        if not spec.many or len(old) < 2 or offer is None:
            continue
        kept = {offer.values[i] for i in pick(kept_text, offer.labels, many=True)}
        gone = {i for i, value in enumerate(old) if value in kept}
        if not gone or len(gone) == len(old):
            continue
        siblings = [k for k, s in action.parameters.items() if s.per == name]
        dropped = action.depends_on(name) - set(siblings)
        params = {k: v for k, v in filling.params.items() if k not in dropped}
        for key in [name, *siblings]:
            if key in params:
                values = as_list(params[key])
                params[key] = json.dumps([v for i, v in enumerate(values) if i not in gone])
        said = [old[i] for i in sorted(gone)]
        reasons.append(Reason(code="slot_corrected", detail=f"{name}: {said} kept as they are"))
        moved = replace(filling, params=params, since=state.customer_turns())
        shrunk = replace(state, filling=moved, pending=None, choices=())
        rest = pick(_NEGATED.sub(" ", without_kept(understanding.text)), offer.labels, True)
        new = [offer.values[i] for i in rest if offer.values[i] not in as_list(params[name])]
        return _grown(shrunk, action, name, new, reasons) if new else shrunk
    return None


def _added(
    state: ConversationState, understanding: Understanding, action: Action, reasons: list[Reason]
) -> ConversationState | None:
    """The state with what the customer adds to a value of several ("I also want to return the
    desk lamp") appended, and the values read with it dropped (a ``per`` value keeps the
    elements of those already there and is asked for the new ones); None: nothing added."""
    filling = state.filling
    # "not the boots, also the lamp", "the boots stay, also the lamp": the lamp
    text = _NEGATED.sub(" ", without_kept(understanding.text))
    if filling is None or not ADD.search(text) or says_all(text):
        return None  # "all of them too" names no item
    for name, spec in action.parameters.items():
        old = as_list(filling.params.get(name))
        offer = current_offer(state, name, None, filling.params)
        if not spec.many or not old or offer is None or name == state.awaiting_param:
            continue
        picked = pick(text, offer.labels, many=True)
        new = [offer.values[i] for i in picked if offer.values[i] not in old]
        if new:
            return _grown(state, action, name, new, reasons)
    return None


def _extra_values(spec: Parameter, old: str, new: str) -> list[str]:
    """The values a correction of a value of several adds when it keeps every one already
    there (empty: it drops one, or it is no value of several)."""
    if not spec.many:
        return []
    before, after = as_list(old), as_list(new)
    if not before or not set(before) < set(after):
        return []
    return [v for v in after if v not in before]


def _grown(
    state: ConversationState, action: Action, name: str, new: list[str], reasons: list[Reason]
) -> ConversationState:
    """The state with ``new`` appended to the values of ``name``: what was chosen per value
    already there (``per``) is kept and asked only for the new ones; what else read them is
    dropped."""
    filling = state.filling
    assert filling is not None
    old = as_list(filling.params.get(name))
    kept = {k for k, s in action.parameters.items() if s.per == name}
    dropped = action.depends_on(name) - kept
    params = {k: v for k, v in filling.params.items() if k not in dropped}
    params[name] = json.dumps([*old, *new])
    detail = f"{name}: {old} + {new}; dropped {sorted(dropped & set(filling.params))}"
    reasons.append(Reason(code="slot_added", detail=detail))
    moved = replace(filling, params=params, since=state.customer_turns())
    return replace(state, filling=moved, pending=None, choices=())


def _replacement(
    spec: Parameter, old: str, name: str, state: ConversationState, understanding: Understanding
) -> str | None:
    """The value a correction gives ``name`` instead of ``old`` ("": ask for it again), or
    None."""
    if spec.entity:
        mention = understanding.entity(spec.entity)
        if mention is not None and mention.value.lstrip("#") != old.lstrip("#"):
            return mention.value
    offer = current_offer(state, name, None, state.filling.params if state.filling else {})
    if offer is None or not offer.values:
        return None
    text = understanding.text
    same = [i for i, v in enumerate(offer.values) if _norm(v) == _norm(old)]
    if re.search(r"\bother\b", text, re.I) and same:
        # "the other one": the other of two; of more, the question is asked again
        return offer.values[1 - same[0]] if len(offer.values) == 2 else ""
    positive = _NEGATED.sub(" ", without_kept(text) if spec.many else text)
    picked = pick(positive, offer.labels, spec.many)
    if not picked:
        return None
    values = [offer.values[i] for i in picked]
    return json.dumps(values) if spec.many else values[0]


def _norm(value: str) -> str:
    return value.lstrip("#").upper()


def reopened(
    state: ConversationState, understanding: Understanding, action: Action, reasons: list[Reason]
) -> tuple[ConversationState, dict[str, str]] | None:
    """A request already answered, re-opened by a correction or a reference back to what was
    shown ("no, I meant the other order", "not that order, the one from May", "the first"):
    the state without the value it replaces and the value picked from the choices the bot
    showed last, when they tell it (an empty value: asked again). None: the turn re-opens
    nothing."""
    acts = understanding.acts
    if acts is None or state.filling is not None:
        return None
    reference = acts.reference
    if reference is None or reference.kind == "that":
        return None  # "no, I meant the exchange": a request of its own; "that order": the same
    if not acts.has("correction") and not acts.has("choice"):
        return None
    for name, spec in action.parameters.items():
        old = state.slots.get(spec.entity or "")
        if old is None or understanding.entity(spec.entity or "") is not None:
            continue
        shown = _shown_values(state, old)
        new = _referred(shown, old, reference) if shown else ""
        slots = {k: v for k, v in state.slots.items() if k != spec.entity}
        detail = f"{name}: {old} -> {new or 'asked again'} ({acts.meant or acts.acts[-1]})"
        reasons.append(Reason(code="request_reopened", detail=detail, values={"shown": len(shown)}))
        return replace(state, slots=slots, pending=None, choices=()), ({name: new} if new else {})
    return None


def _shown_values(state: ConversationState, old: str) -> list[tuple[str, str]]:
    """The labels and values of the choices the bot showed last, in their order: a label's
    value is its word shaped as ``old`` ("#W1067251 - delivered - ...", "SWY6D2: DEN -> LGA")."""
    for line in reversed(state.transcript):
        if line.author != "bot" or not line.choices:
            continue
        values = [(label, _value_in(label, old)) for label in line.choices]
        return [(label, v) for label, v in values if v is not None]
    return []


def _value_in(label: str, old: str) -> str | None:
    """The first word of ``label`` shaped as the value ``old``: as long, letters and digits."""
    bare = old.lstrip("#")
    words: list[str] = re.findall(r"#?\w+", label)
    for word in words:
        plain = word.lstrip("#")
        same = len(plain) == len(bare) and plain.isalnum() and any(c.isdigit() for c in plain)
        if same and word.startswith("#") == old.startswith("#"):
            return word
    return None


def _referred(shown: list[tuple[str, str]], old: str, reference: Reference) -> str:
    """The value of ``shown`` the reference picks ("": it picks none, or several): the n-th,
    the other one than ``old``, or the one whose label says the date."""
    if reference.kind == "ordinal" and reference.index is not None:
        index = reference.index - 1 if reference.index > 0 else len(shown) + reference.index
        return shown[index][1] if 0 <= index < len(shown) else ""
    others = [(label, v) for label, v in shown if _norm(v) != _norm(old)]
    if reference.kind == "date" and reference.month is not None:
        month = calendar.month_name[reference.month][:3]
        day = rf"\s+0?{reference.day}\b" if reference.day is not None else ""
        said = re.compile(rf"\b{month}[a-z]*{day}", re.I)
        others = [(label, v) for label, v in others if said.search(label)]
    elif reference.kind != "other":
        return ""
    return others[0][1] if len(others) == 1 else ""
