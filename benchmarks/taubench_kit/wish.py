"""What the instruction finally wants of one item's options (a ``Wish``): the values it states
after every change of mind, the options it does not care about, whether the cheapest is
preferred; which offered variants fit it, and how to say it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .options import YES_NO, find_value, norm_tokens, same_value
from .wants import ItemWant

_RESET = re.compile(r"\bchanges? (?:your|my|his|her) mind\b", re.I)
_INITIALLY = re.compile(r"\b(?:initially|at first|first)\b[^.;]*?\bbut\b", re.I)
_DECIDED = re.compile(
    r"\b(?:decides?|decided|settles?|eventually|finally|ultimately|go(?:es)? with|opts? for|"
    r"picks?|chooses?)\b",
    re.I,
)
_NEGATED = frozenset({"over", "than", "not", "from", "instead of", "except", "no", "rather"})
_INDIFFERENT = re.compile(
    r"[^.;]*\b(?:don'?t care|do not care|doesn'?t matter|does not matter|no preference|"
    r"either (?:is|one)|whichever|any (?:color|size|type))\b[^.;]*",
    re.I,
)
_SAME_MODEL = re.compile(
    r"\b(?:exact(?:ly)? (?:the )?same|the same (?:model|one|item|product|kind)|identical|"
    r"same exact)\b",
    re.I,
)
CHEAPEST = re.compile(
    r"\bcheap(?:er|est)\b|\blowest price\b|\bless expensive\b|\bleast expensive\b"
    r"|\bcosts? less\b|\bsave (?:some )?money\b",
    re.I,
)


@dataclass
class Wish:
    """What the instruction finally wants of one item's options: stated values, options it does
    not care about, and whether the cheapest fitting variant is preferred."""

    stated: dict[str, str] = field(default_factory=dict)
    strict: bool = False  # every option not stated stays as it is
    indifferent: set[str] = field(default_factory=set)
    cheapest: bool = False
    #: after a change of mind, what it alone says (when nothing fits it with the rest)
    fallback: Wish | None = None
    #: values said of the item that are not wished (how it is now: "the drip one")
    described: dict[str, set[str]] = field(default_factory=dict)

    @property
    def same_model(self) -> bool:
        """A new one exactly like the one held ("exchanged for the exact same one")."""
        return self.strict and not self.stated


def settle(wish: Wish, variants: list[tuple[dict[str, str], float]], old: dict[str, str]) -> Wish:
    """The wish to go by: the whole one when an offered variant fits it, else what the last
    change of mind alone says."""
    if wish.fallback and variants and not any(fits(o, old, wish) for o, _ in variants):
        return wish.fallback
    return wish


def final_text(text: str) -> str:
    """The part of an item's prose that still holds: what follows the last change of mind,
    without an ``initially ..., but`` that a decision overrides."""
    text = _INITIALLY.sub(" ", text)
    parts = _RESET.split(text)
    return parts[-1]


def prose_wish(prose: str, old: dict[str, str], domain: dict[str, set[str]]) -> Wish:
    """The values the prose asks for, per option: a decided value, else the last value said
    that differs from the current one (not one it prefers something over), else the current one
    when said. A change of mind that states a whole new variant (two options or more) replaces
    the earlier wish; one that states a single option changes only that one."""
    text = _INITIALLY.sub(" ", prose)
    parts = _RESET.split(text)
    after = _wish_in(parts[-1], old, domain)
    after.cheapest = after.cheapest or bool(CHEAPEST.search(prose))
    if len(parts) == 1 or after.strict:
        return after
    before = _wish_in(" ".join(parts[:-1]), old, domain)
    before.stated.update(after.stated)
    before.described.update(after.described)
    before.indifferent |= after.indifferent
    before.cheapest = after.cheapest
    before.fallback = after
    return before


_NEGATION = re.compile(
    r"\b(?:instead of|rather than|over|from)\s+(?P<span>[^,;.]*?)"
    r"(?=\s*(?:[,;.]|\band\b|\bbut\b|\bto\b|\bso\b|$))",
    re.I,
)


#: a second choice: "if the black one weren't available, silver would do", "but if there is
#: no navy one in L, black with a full zip is fine"
_OTHERWISE = re.compile(
    r"(?:,?\s*(?:but|and)\s+)?\bif (?P<cond>[^,;]*?(?:\bno\b|\bnot\b|n't\b|\bnone\b|"
    r"\bunavailable\b|\bout of stock\b|\bsold out\b)[^,;]*),\s*(?:then\s+)?"
    r"(?P<alt>(?:[^.;]|\.(?=\d))*)",
    re.I,
)


def _wish_in(text: str, old: dict[str, str], domain: dict[str, set[str]]) -> Wish:
    """What one stretch of prose wishes; a second choice it names ("if there is no navy one,
    black is fine") is the wish to go by when nothing offered fits the first."""
    second = _OTHERWISE.search(text)
    if not second:
        return _plain_wish(text, old, domain)
    wish = _plain_wish(text[: second.start()] + " " + text[second.end() :], old, domain)
    alt = _plain_wish(second["alt"], old, domain)
    wish.fallback = Wish(
        stated={**wish.stated, **alt.stated},
        strict=wish.strict,
        indifferent=wish.indifferent | alt.indifferent,
        cheapest=wish.cheapest or alt.cheapest,
        described=wish.described,
    )
    return wish


def _plain_wish(text: str, old: dict[str, str], domain: dict[str, set[str]]) -> Wish:
    """What one stretch of prose wishes (what follows "instead of", "over", "from"... is what
    it does not want)."""
    text = _NEGATION.sub(" ", text)
    wish = Wish(cheapest=bool(CHEAPEST.search(text)))
    if _SAME_MODEL.search(text):
        tokens = norm_tokens(text)
        described = {k: {v for v in vs if find_value(v, tokens, k)} for k, vs in domain.items()}
        return Wish(strict=True, described={k: vs for k, vs in described.items() if vs})
    for clause in _INDIFFERENT.findall(text):
        tokens = norm_tokens(clause)
        wish.indifferent |= {
            k for k, vs in domain.items() if any(find_value(v, tokens, k) for v in vs)
        }
        text = text.replace(clause, " ")
    tokens = norm_tokens(text)
    decided_at = [len(norm_tokens(text[: m.start()])) for m in _DECIDED.finditer(text)]
    for key, values in domain.items():
        if key in wish.indifferent:
            continue
        said = sorted((i, v) for v in values for i in find_value(v, tokens, key))
        said = [(i, v) for i, v in said if v.lower() in YES_NO or not _negated(tokens, i)]
        if not said:
            continue
        decided = [(i, v) for i, v in said if any(0 <= i - d <= 8 for d in decided_at)]
        new = [(i, v) for i, v in said if not same_value(v, old.get(key, ""))]
        chosen = decided or new or said
        wish.stated[key] = chosen[-1][1]
        others = {v for _, v in said if not same_value(v, chosen[-1][1])}
        if others:
            wish.described[key] = others
    return wish


def _negated(tokens: list[str], at: int) -> bool:
    before = tokens[max(0, at - 2) : at]
    pairs = {" ".join(before[i : i + 2]) for i in range(len(before) - 1)}
    return bool(set(before) & _NEGATED or pairs & _NEGATED)


def dict_wish(want: ItemWant, old: dict[str, str]) -> Wish:
    """A templated ``Name {current} to {wanted}``: stated values, every other one kept."""
    stated = {k.lower(): v for k, v in want.wanted.items()}
    return Wish(stated=stated, strict=True)


def fits(options: dict[str, str], old: dict[str, str], wish: Wish) -> bool:
    """Whether a variant has every stated value (and, when strict, keeps every other one)."""
    for key, value in wish.stated.items():
        if key in options and not same_value(options[key], value):
            return False
    if wish.strict:
        for key, value in old.items():
            if key not in wish.stated and key in options and not same_value(options[key], value):
                return False
    return True


def _changed_free(options: dict[str, str], old: dict[str, str], wish: Wish) -> int:
    return sum(
        1
        for key, value in options.items()
        if key not in wish.stated
        and key not in wish.indifferent
        and key in old
        and not same_value(value, old[key])
    )


def best_variants(
    variants: list[tuple[dict[str, str], float]], old: dict[str, str], wish: Wish
) -> list[int]:
    """The indices of the variants a careful person would accept: they fit the wish, change
    the fewest options the instruction does not talk about, and are the cheapest of those when
    the instruction prefers cheaper."""
    wish = settle(wish, variants, old)
    fitting = [i for i, (opts, _) in enumerate(variants) if fits(opts, old, wish)]
    if not fitting:
        return []
    least = min(_changed_free(variants[i][0], old, wish) for i in fitting)
    best = [i for i in fitting if _changed_free(variants[i][0], old, wish) == least]
    if wish.cheapest:
        low = min(variants[i][1] for i in best)
        best = [i for i in best if variants[i][1] <= low + 0.005]
    return best


def describe(wish: Wish) -> str:
    """``color white and sensor type optical``."""
    said = [f"{k} {v}" for k, v in wish.stated.items()]
    text = " and ".join(said) if said else "the same options"
    return text + (", whichever is cheapest" if wish.cheapest else "")
