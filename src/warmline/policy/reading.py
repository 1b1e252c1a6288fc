"""How the customer's words are read for a request: the reason that names the sentence of a
long turn that decided its intent (``nlu/sentences.py``), and the words a request is read from
when it began with a turn a clarifying question was about."""

from __future__ import annotations

from dataclasses import replace

from warmline.domain.conversation import ConversationState, Filling
from warmline.domain.decision import Reason
from warmline.domain.pack import DomainPack
from warmline.domain.understanding import DialogueActs, RequestSentence, Understanding
from warmline.policy.choices import resolve_choice
from warmline.policy.guided import request_text


def request_sentence(sentence: RequestSentence) -> Reason:
    """The reason that says which sentence of a long turn decided its intent, and with what
    score beside the whole turn's reading (``nlu/sentences.py``)."""
    detail = (
        f"sentence {sentence.index} of {sentence.sentences} '{sentence.text[:120]}': "
        f"{sentence.intent} {sentence.probability:.2f} (whole turn: {sentence.whole_zone}, "
        f"{sentence.whole_intent or 'no intent'} {sentence.whole_probability:.2f})"
    )
    values: dict[str, float | str | bool | None] = {
        "sentence": sentence.index,
        "sentences": sentence.sentences,
        "intent": sentence.intent,
        "probability": sentence.probability,
        "whole_intent": sentence.whole_intent,
        "whole_probability": sentence.whole_probability,
    }
    return Reason(code="request_sentence", detail=detail, values=values)


def dialogue_acts(acts: DialogueActs | None) -> Reason | None:
    """The reason that says what the turn does besides asking (``nlu/acts.py``): a greeting
    or thanks before its request, a correction, a reference back (None: a plain request)."""
    if acts is None or (acts.acts == ["request"] and acts.reference is None):
        return None
    parts = ["+".join(acts.acts)]
    if acts.request:
        parts.append(f"request '{acts.request[:120]}'")
    if acts.meant:
        parts.append(f"not '{acts.negated or ''}' but '{acts.meant[:80]}'")
    if acts.reference is not None:
        parts.append(f"points back at '{acts.reference.text}'")
    values: dict[str, float | str | bool | None] = {
        "acts": "+".join(acts.acts),
        "reference": acts.reference.kind if acts.reference is not None else None,
    }
    return Reason(code="dialogue_acts", detail="; ".join(parts), values=values)


def request_words(
    action_name: str,
    state: ConversationState,
    understanding: Understanding,
    pack: DomainPack,
    reasons: list[Reason],
) -> str:
    """The customer's words of the request (``request_text``), from the turn a clarifying
    question was about when the request was picked from one: the details an opening gave (a
    route, a date, a product) still choose, however the pick was worded."""
    picked = any(r.code == "choice_selected" and "intent" in r.values for r in reasons)
    start = _clarified_since(state, pack, picked)
    if start is None:
        return request_text(state, understanding)
    filling = state.filling or Filling(action_name, None, {}, start)
    return request_text(replace(state, filling=replace(filling, since=start)), understanding)


def _clarified_since(state: ConversationState, pack: DomainPack, picked: bool) -> int | None:
    """The customer turn before the picks from clarifying questions the request began with
    (None: it began with no such pick). ``picked``: this turn is one."""
    labels = {pack.intent_label(name) for name in pack.intents}
    picks: list[bool] = []
    offered: tuple[str, ...] = ()
    for line in state.transcript:
        if line.author == "customer":
            clarifying = bool(offered) and set(offered) <= labels
            picks.append(clarifying and resolve_choice(line.text, offered) is not None)
        offered = line.choices if line.author == "bot" else ()
    picks.append(picked)
    since = state.filling.since if state.filling is not None else len(picks) - 1
    start = since
    while 0 < start < len(picks) and picks[start]:
        start -= 1
    return start if start != since else None
