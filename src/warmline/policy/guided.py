"""Guided actions: parameters whose ``choices`` come from a back office record, filled one
question at a time (each answerable in one tap), from the customer's own words when they
already said which, without asking when there is one possible value (``auto``), several at once
(``many``), one per element of another parameter (``per``); corrected when the customer says
"no, the other one" (``policy/corrections.py``).

Pure: the services layer (``services/turn/guide.py``) evaluates the choices from fresh records
and hands them in as ``state.offers``; here they are only matched and chosen from.
"""

from __future__ import annotations

import json
import re
from typing import Any

from warmline.domain.conversation import ConversationState, Offer
from warmline.domain.decision import Decision, Reason
from warmline.domain.pack import Action, Parameter
from warmline.domain.understanding import Understanding
from warmline.policy.choices import CARDINALS, leading_number
from warmline.policy.labels import ALL_LABEL, ALL_WORDS, DATE, YOU, every, says_all
from warmline.policy.labels import pick as pick_labels
from warmline.policy.meant import items_meant, kept_words
from warmline.policy.several import moved_to

__all__ = ["ALL_LABEL", "pick"]  # where the guided actions' callers find them

CUE = re.compile(r"\b(no|nope|not|actually|instead|other|wrong|rather|change|meant)\b", re.I)
ADD = re.compile(r"\b(also|too|as well|add|plus|another thing)\b", re.I)
"""A value of several added to ("I also want to return the desk lamp")."""
_BOTH = re.compile(r"\bboth\b", re.I)
ASK = "\x00ask"  # the parameter must be asked for (a sentinel no value can equal)


def pick(text: str, labels: tuple[str, ...], many: bool) -> list[int]:
    """The labels the text picks (``policy/labels.py``), less, of several, an item whose name
    the text says only as part of another's: "camera" of "the digital camera" is no mention
    of the action camera."""
    picked = pick_labels(text, labels, many)
    if many and _BOTH.search(text) and says_all(text):
        # "the kettle and the clock ... send both of them back": the two named, not every item
        two = pick_labels(ALL_WORDS.sub(" ", text), labels, many)
        picked = two if len(two) == 2 else picked
    if len(picked) < 2 or any(label.endswith(YOU) for label in labels):
        return picked  # people are picked by name or by "me" (``labels.YOU``), never by part
    said = _words(text)
    named = {i: _words(_item_name(labels[i])) & said for i in picked}
    return [i for i in picked if not any(named[i] < named[j] for j in picked)]


_ADDING = re.compile(r"\b(?:add|adding|more|extra|additional|another|plus)\b", re.I)
_TOTAL = re.compile(r"\b(?:in total|total|altogether|in all)\b", re.I)


def counted(text: str, labels: tuple[str, ...]) -> list[int]:
    """The label a count said of the labels' own noun picks, when every label is such a count
    ("three checked bags in total", "two bags": "3 bags (...)", "2 bags (...)"); none when
    several counts are said, or one is said as bags added rather than in total."""
    leading = [leading_number(label) for label in labels]
    nouns = {_noun(label) for label in labels}
    if len(labels) < 2 or None in leading or len(nouns) != 1 or "" in nouns:
        return []
    numbers = "|".join(["no", *CARDINALS])
    found = re.findall(
        rf"\b(\d{{1,2}}|{numbers})\s+(?:[a-z-]+\s+){{0,2}}?{nouns.pop()}s?\b", text, re.I
    )
    said = {int(n) if n.isdigit() else CARDINALS.get(n.lower(), 0) for n in found}
    if len(said) != 1 or (_ADDING.search(text) and not _TOTAL.search(text)):
        return []
    number = said.pop()
    return [leading.index(number)] if number in leading else []


def _noun(label: str) -> str:
    """The word a count label counts, singular ("3 bags (2 free)": "bag")."""
    words = label.split()
    noun = words[1].lower().strip(",.()") if len(words) > 1 else ""
    return noun[:-1] if noun.endswith("s") else noun


def _item_name(label: str) -> str:
    """A label's item name: before its options ("Action Camera (color black) - $9") or the
    colon of an option label ("Action Camera: resolution 4K")."""
    return re.split(r" \(|: | - ", label, maxsplit=1)[0]


def _words(text: str) -> set[str]:
    """The words of a text, lower case, a plural as its singular ("cameras": "camera")."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words}


def offer_key(name: str, index: int | None = None) -> str:
    """The key of a parameter's offer in ``state.offers`` (with ``per``: one per element)."""
    return name if index is None else f"{name}[{index}]"


def candidate_key(action: str, name: str) -> str:
    """The key in ``state.offers`` of the first question of an action a clarifying question
    would offer (``first_choice``): its records may rule the request out."""
    return f"{action}:{name}"


def first_choice(action: Action) -> str | None:
    """The action's first parameter whose choices come from records (not one per element):
    the question its records answer first, such as which order."""
    for name, spec in action.parameters.items():
        if spec.choices is not None and spec.per is None:
            return name
    return None


def current_offer(
    state: ConversationState, name: str, index: int | None, params: dict[str, str]
) -> Offer | None:
    """The offer of ``name`` evaluated with these values of the other parameters (None: none
    yet, or one evaluated before a value it reads was corrected)."""
    offer = state.offers.get(offer_key(name, index))
    return offer if offer is not None and offer.fresh_for(params) else None


def as_list(value: str | None) -> list[str]:
    """A parameter value kept as a JSON list (``many``, ``per``), as a list."""
    if not value:
        return []
    try:
        loaded = json.loads(value)
    except ValueError:
        return [value]
    return [str(v) for v in loaded] if isinstance(loaded, list) else [value]


def request_text(state: ConversationState, understanding: Understanding) -> str:
    """The customer's words since the request under way began, this turn's included, less the
    taps: a message that is one of the choices the bot had just offered answered that question
    and speaks for no other ("storage CF card" picks an option, not the gift card)."""
    lines: list[str] = []
    offered: tuple[str, ...] = ()
    for line in state.transcript:
        if line.author == "customer":
            lines.append("" if line.fact or _tapped(line.text, offered) else line.text)
        offered = line.choices if line.author == "bot" else ()
    since = state.filling.since if state.filling is not None else len(lines)
    if 0 < since < len(lines) and not lines[since] and lines[since - 1]:
        since -= 1  # begun by a tap on what the bot asked about the words before it
    now = "" if _tapped(understanding.text, offered) else understanding.text
    return " ".join([*lines[since:], now])


_PRICE_TAIL = re.compile(r"\s+-\s+\$[\d,]+(?:\.\d+)?\s*$")
"""The price a label ends with (" - $143.15"): a customer who types the label leaves it out."""


def _tapped(text: str, offered: tuple[str, ...]) -> bool:
    """Whether the text is one of the labels ``offered``, with or without its price: the
    answer to the question asked, never a correction ("waterproof no" is an option)."""
    said = text.strip().rstrip(".").strip().lower()
    return bool(said) and any(
        said in (label.lower(), _PRICE_TAIL.sub("", label).lower()) for label in offered
    )


def choose(
    name: str,
    spec: Parameter,
    params: dict[str, str],
    state: ConversationState,
    text: str,
    reasons: list[Reason],
) -> str:
    """The value of a ``choices`` parameter from its offer: the customer's words, the one
    possible value, or ``ASK``. For ``per``, the next element's value is appended."""
    index = len(as_list(params.get(name))) if spec.per else None
    offer = current_offer(state, name, index, params)
    if offer is None or not offer.values:
        return ASK
    dated = any(DATE.search(label) for label in offer.labels)
    words = moved_to(text) if dated else DATE.sub(" ", text)
    if spec.many:  # "the order that had the pet bed", "the boots stay": no items meant
        meant = items_meant(words)
        words = next((w for w in meant if pick(w, offer.labels, spec.many)), meant[-1])
    picked = pick(words, offer.labels, spec.many) if spec.per is None else []
    if not picked and not spec.many and spec.per is None:  # "three checked bags in total"
        picked = counted(words, offer.labels)
    if picked:
        labels = [offer.labels[i] for i in picked]
        reasons.append(Reason(code="slot_from_words", detail=f"{name}: {labels}"))
    elif len(offer.values) == 1 and spec.auto:
        picked = [0]
        reasons.append(Reason(code="slot_auto", detail=f"{name}: the one possible value"))
    else:
        return ASK
    values = [offer.values[i] for i in picked]
    if spec.per is not None:
        return json.dumps([*as_list(params.get(name)), values[0]])
    return json.dumps(values) if spec.many else values[0]


def with_element(spec: Parameter, prior: str | None, given: str) -> str:
    """A value the customer chose for ``spec``: appended for ``per``, a list for ``many``."""
    if spec.per is not None:
        return json.dumps([*as_list(prior), given])
    if spec.many and not given.startswith("["):
        return json.dumps([given])
    return given


def complete(spec: Parameter, value: str | None, params: dict[str, str]) -> bool:
    """Whether ``value`` is the whole value of ``spec`` (for ``per``: one per element)."""
    if value is None:
        return False
    if spec.per is None:
        return True
    return len(as_list(value)) >= len(as_list(params.get(spec.per)))


def ask_choices(
    action_name: str,
    name: str,
    params: dict[str, str],
    spec: Parameter,
    state: ConversationState,
    reasons: list[Reason],
    base: dict[str, Any],
) -> Decision:
    """Ask for ``name`` with the choices of its offer; without one yet, ask plainly (the guide
    stage evaluates it); an empty offer has nothing to choose."""
    index = len(as_list(params.get(name))) if spec.per else None
    offer = current_offer(state, name, index, params)
    if offer is not None and not offer.values:
        why = "its record was not found" if not offer.found else "no item fits"
        reasons.append(
            Reason(
                code="no_choices",
                detail=f"{action_name}.{name}: {why}",
                values={"action": action_name, "parameter": name},
            )
        )
        return Decision(
            kind="answer", template="no_choices", params=params, reasons=reasons, **base
        )
    labels = list(offer.labels) if offer else []
    if spec.many and len(every(tuple(labels))) > 1:  # two items, or one held twice
        labels.append(ALL_LABEL)  # a tap for every one; its index has no value of its own
    if offer is not None:
        detail = f"{action_name}.{name}: {len(labels)} from {spec.choices.record if spec.choices else ''}"
        reasons.append(Reason(code="choices_offered", detail=detail, values={"index": index}))
    return Decision(
        kind="clarify",
        action=action_name,
        params=params,
        missing=name,
        template="missing_param",
        choices=labels,
        choice_values=list(offer.values) if offer else [],
        reasons=reasons,
        **base,
    )


def is_correction(text: str, offered: tuple[str, ...] = ()) -> bool:
    """Whether the text corrects a value ("no, the other order", "the boots stay as they
    are"); a tap on one of the labels ``offered`` ("waterproof no") never does."""
    cue = CUE.search(text) or ADD.search(text) or kept_words(text)
    return bool(cue) and not _tapped(text, offered)


def preview_key(action: str, params: dict[str, str]) -> str:
    """The key of a dry run's refusal in ``state.refusals``: the action and its values."""
    return json.dumps([action, params], sort_keys=True)
