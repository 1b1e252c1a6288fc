"""What the scripted customer wants for one item, one payment or one reason, read from the
instruction: the per-item option changes (``Lamp {'color': 'black'} to {'color': 'red'}`` or
prose such as "a taller 5-feet glass one"), the payment method it names, the reason it gives.
Used to answer guided questions and to check a proposal before saying yes."""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from .text import ITEM_LABEL, without_price

_DICT_CHANGE = re.compile(
    r"(?P<name>[A-Z][\w'&-]*(?: [A-Za-z][\w'&-]*){0,3})\s*(?P<old>\{[^{}]*\})"
    r"(?:\s*to\s*(?:to\s*)?(?P<new>\{[^{}]*\}))?"
)
_NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)[\s-]*(feet|foot|ft|inch|inches|in)\b", re.I)


def _literal(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def words(text: str) -> set[str]:
    text = _NUMBER_UNIT.sub(lambda m: f"{m.group(1)} ft", text.lower())
    found = set(re.findall(r"[a-z0-9.%]+", text))
    stems = {w[:-1] for w in found if w.endswith("s") and len(w) > 4}
    return found | stems


@dataclass
class ItemWant:
    """One item the instruction talks about: its current options and the ones it wants."""

    name: str
    current: dict[str, str] = field(default_factory=dict)
    wanted: dict[str, str] = field(default_factory=dict)
    prose: str = ""
    #: a ``to {...}`` target was given (every option it does not state stays)
    has_target: bool = False
    #: the order named before it (``For #W1234567, exchange ...``)
    order: str = ""
    #: the action asked for it (exchange, modify, return, ...)
    verb: str = ""


def item_wants(instruction: str) -> list[ItemWant]:
    """Every ``Name {options} to {options}`` of the instruction, with the prose that follows a
    dict without a target (``... to a green one``)."""
    found: list[ItemWant] = []
    for match in _DICT_CHANGE.finditer(instruction):
        name = re.sub(r"^(?:exchange|modify|return|change|and|the|a|an)\s+", "", match["name"])
        tail = instruction[match.end() : match.end() + 160]
        prose = "" if match["new"] else re.split(r"[;.]", tail, maxsplit=1)[0]
        before = instruction[: match.start()]
        orders = re.findall(r"#?(W\d{7})\b", before)
        verbs = re.findall(r"\b(exchange|modify|return|change|replace|swap)\b", before, re.I)
        found.append(
            ItemWant(
                name,
                _literal(match["old"]),
                _literal(match["new"]),
                prose,
                has_target=match["new"] is not None,
                order=orders[-1] if orders else "",
                verb=verbs[-1].lower() if verbs else "",
            )
        )
    return found


def _segments(options: str) -> list[str]:
    return [s.strip() for s in options.split(",") if s.strip()]


def _label_parts(label: str) -> tuple[str, str]:
    """``Bookshelf: material wood, color white - $451.01`` -> (``Bookshelf``, the options)."""
    head, _, rest = label.partition(":")
    return head.strip(), without_price(rest).strip()


def is_option_label(label: str) -> bool:
    head, rest = _label_parts(label)
    return bool(rest) and ":" in label and not head.lower().startswith(("order", "http"))


def _key_of(segment: str, keys: list[str]) -> str | None:
    for key in sorted(keys, key=len, reverse=True):
        if segment.lower().startswith(key.lower() + " "):
            return key
    return None


def _want_for(head: str, wants: list[ItemWant], sentence_text: str) -> ItemWant:
    head_words = words(head)
    for want in wants:
        if head.lower() in want.name.lower() or want.name.lower() in head.lower():
            return want
    for want in wants:
        if words(want.name) & head_words:
            return want
    return ItemWant(head, prose=_clause_about(head, sentence_text))


def _clause_about(head: str, text: str) -> str:
    clauses = re.split(r"(?<=[.;])\s+", text)
    about = [c for c in clauses if head.lower() in c.lower()]
    if not about:
        about = [c for c in clauses if words(head) & words(c) - {"the", "and"}]
    return " ".join(about)


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def option_score(label: str, want: ItemWant, current: list[str]) -> float:
    """How well an option label matches what the instruction wants for its item: wanted values
    count most, a changed option the instruction does not ask about counts against."""
    _, options = _label_parts(label)
    now = [s.lower() for s in current] + [f"{k} {v}".lower() for k, v in want.current.items()]
    prose = words(want.prose)
    score = 0.0
    for segment in _segments(options):
        key = _key_of(segment, list(want.wanted))
        if key:
            wanted = want.wanted[key].lower()
            score += 4.0 if segment[len(key) :].strip().lower() == wanted else -4.0
            continue
        if segment.lower() in now:
            score += 1.0
            continue
        parts = segment.lower().split()
        common = max((_common_prefix(parts, c.split()) for c in now), default=0)
        value = words(" ".join(parts[max(common, 1) :]))
        score += 3.0 if value and value <= prose else -1.0
    return score


def pick_option(
    labels: list[str], instruction: str, seen: dict[str, list[str]], request: str = ""
) -> str | None:
    """Among the offered options of one item (labels ``Item: k v, k v - $p``), the one that best
    matches what the instruction wants for that item; None when no label is an option."""
    options = [label for label in labels if is_option_label(label)]
    if not options:
        return None
    wants = item_wants(instruction)
    head = _label_parts(options[0])[0]
    want = _want_for(head, wants, instruction)
    if not want.wanted and not want.prose:
        want.prose = request or instruction
    current = seen.get(head.lower(), [])
    scored = [(option_score(label, want, current), -i, label) for i, label in enumerate(options)]
    return max(scored)[2]


def remember_items(labels: list[str], seen: dict[str, list[str]]) -> None:
    """Note the current options of items the bot lists (``Lamp (color black, ...) - $20``)."""
    for label in labels:
        match = ITEM_LABEL.match(label)
        if match:
            seen[match["head"].strip().lower()] = _segments(match["opts"])


def payment_phrase(method: dict[str, Any]) -> str:
    source = str(method.get("source", ""))
    if source == "credit_card":
        return (
            f"{str(method.get('brand', 'card')).capitalize()} ending {method.get('last_four', '')}"
        )
    return {"paypal": "PayPal", "gift_card": "Gift card"}.get(source, source)


def wanted_payment(instruction: str, methods: dict[str, dict[str, Any]]) -> str | None:
    """How the instruction's payment method is named on a choice: ``PayPal``, ``Gift card``,
    ``Mastercard ending 1234`` or ``original``; None when it names none."""
    text = re.sub(
        r"\bnot (?:to |on |with |via )?(?:the |my |your )?(?:pay ?pal|gift ?card|credit card)\b",
        " ",
        instruction.lower(),
    )
    for method_id, method in methods.items():
        if method_id.lower() in text:
            return payment_phrase(method)
    for method in methods.values():
        if method.get("last_four") and re.search(rf"\b{method['last_four']}\b", text):
            return payment_phrase(method)
    if re.search(r"\bpay ?pal\b", text):
        return "PayPal"
    if re.search(r"\bgift ?card\b|\bgc\b", text):
        return "Gift card"
    if re.search(r"\bcredit card\b", text):
        return "credit card"
    if re.search(r"\boriginal (?:payment|method|card)\b", text):
        return "original"
    for method in methods.values():
        if method.get("last_four") and str(method["last_four"]) in text:
            return payment_phrase(method)
    return None


def cancel_reason(labels: list[str], instruction: str) -> str | None:
    """The reason a person in the instruction's situation would pick."""
    lowered = {label.lower(): label for label in labels}
    mistake = re.search(
        r"\bmistake|\baccident|\bwrong (?:item|order)|\bby error\b", instruction, re.I
    )
    for key, label in lowered.items():
        if "mistake" in key and mistake:
            return label
    for key, label in lowered.items():
        if "no longer" in key and not mistake:
            return label
    return None


def cancel_reason_said(instruction: str) -> str:
    """The reason the instruction gives for a cancellation, in a person's words."""
    mistake = re.search(r"\bmistake|\baccident|\bby error\b", instruction, re.I)
    return "I ordered it by mistake." if mistake else "I no longer need it."


# --- options as a shopper reads them, and what the instruction finally wants of each item ---

#: the option names of the shop's products, as a product page shows them
OPTION_KEYS = [
    "RAM",
    "armrest",
    "backlight",
    "backrest height",
    "bagged/bagless",
    "band material",
    "battery life",
    "battery type",
    "brand",
    "brightness",
    "capacity",
    "color",
    "color temperature",
    "compartment",
    "compatibility",
    "connectivity",
    "cover type",
    "deck material",
    "design",
    "dial color",
    "diameter",
    "difficulty level",
    "display",
    "features",
    "field of view",
    "filter type",
    "frame color",
    "frame material",
    "frame size",
    "gender",
    "height",
    "kit size",
    "length",
    "lens color",
    "lens type",
    "material",
    "output",
    "piece count",
    "pieces",
    "power source",
    "pressure",
    "processor",
    "ram",
    "resolution",
    "room size",
    "scent family",
    "screen size",
    "sensor type",
    "set type",
    "size",
    "skin tone",
    "sole",
    "speed settings",
    "storage",
    "stovetop compatibility",
    "strap material",
    "style",
    "switch type",
    "theme",
    "thickness",
    "tilt mechanism",
    "type",
    "ventilation",
    "water resistance",
    "waterproof",
    "weight range",
    "zipper",
    "zoom",
]

_UNIT_FORMS = [
    (re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(?:feet|foot|ft)\b\.?"), r"\1 ft"),
    (re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(?:inches|inch|in)\b\.?"), r"\1 inch"),
    (re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(?:liters?|litres?|l)\b"), r"\1l"),
    (re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(?:hours?|hrs?|h)\b"), r"\1 hours"),
    (re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(?:degrees?|°)"), r"\1 degrees"),
]
_SIZE_WORDS = {"XS": "extra small", "S": "small", "M": "medium", "L": "large", "XL": "extra large"}
_GENERIC_VALUES = frozenset({"yes", "no", "none", "full", "half", "small", "large", "medium"})


def norm_tokens(text: str) -> list[str]:
    """Lower-case tokens with units written one way (``5-feet`` and ``5 ft`` are ``5 ft``)."""
    text = text.lower().replace("-", " ")
    for pattern, repl in _UNIT_FORMS:
        text = pattern.sub(repl, text)
    found = [t.strip(".") for t in re.findall(r"[a-z0-9.%/+]+", text) if t.strip(".")]
    return [t[:-1] if len(t) > 3 and t.endswith("s") and not t.endswith("ss") else t for t in found]


def split_option(segment: str, keys: tuple[str, ...] | list[str] = ()) -> tuple[str, str]:
    """``sensor type optical`` -> (``sensor type``, ``optical``)."""
    text = segment.strip()
    for key in sorted({*OPTION_KEYS, *keys}, key=len, reverse=True):
        if text.lower().startswith(key.lower() + " "):
            return key.lower(), text[len(key) :].strip()
    head, _, rest = text.partition(" ")
    return head.lower(), rest


def parse_options(text: str, keys: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    """``color white, size M`` -> {color: white, size: M}."""
    return dict(split_option(s, keys) for s in _segments(text))


def same_value(a: str, b: str) -> bool:
    return norm_tokens(a) == norm_tokens(b)


def _find(value: str, tokens: list[str], key: str) -> list[int]:
    """Where a value is said in the tokens (a generic or one-letter word only next to its
    option name; a size letter also as its word: ``M`` as ``medium``)."""
    want = norm_tokens(value)
    if not want:
        return []
    key_tokens = set(norm_tokens(key))
    loose = " ".join(want) in _GENERIC_VALUES or len(" ".join(want)) == 1
    found = [
        i
        for i in _spans(want, tokens)
        if not loose
        or (
            key_tokens
            and key_tokens
            <= set(tokens[max(0, i - 3) : i] + tokens[i + len(want) : i + len(want) + 3])
        )
    ]
    alias = _SIZE_WORDS.get(value.upper()) if key.lower() == "size" else None
    return sorted(
        found + (_spans(alias.split(), tokens) if alias else []) + _said_as_key(value, tokens, key)
    )


_YES_NO = frozenset({"yes", "no", "none"})
_DENIAL = frozenset({"not", "no", "isn", "without", "non", "doesn", "don", "never"})


def _said_as_key(value: str, tokens: list[str], key: str) -> list[int]:
    """A yes/no or none option said through its name: "water resistant" is water resistance
    yes, "not waterproof" is waterproof no, "no backlight" is backlight none."""
    stems = [t[:6] for t in norm_tokens(key)]
    if not stems or value.lower() not in _YES_NO:
        return []
    found = []
    for i in range(len(tokens) - len(stems) + 1):
        if [t[:6] for t in tokens[i : i + len(stems)]] != stems:
            continue
        denied = bool(_DENIAL & set(tokens[max(0, i - 5) : i]))
        if (value.lower() == "yes") != denied:
            found.append(i)
    return found


def _spans(want: list[str], tokens: list[str]) -> list[int]:
    return [i for i in range(len(tokens) - len(want) + 1) if tokens[i : i + len(want)] == want]


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


def _wish_in(text: str, old: dict[str, str], domain: dict[str, set[str]]) -> Wish:
    """What one stretch of prose wishes (what follows "instead of", "over", "from"... is what
    it does not want)."""
    text = _NEGATION.sub(" ", text)
    wish = Wish(cheapest=bool(CHEAPEST.search(text)))
    if _SAME_MODEL.search(text):
        tokens = norm_tokens(text)
        described = {k: {v for v in vs if _find(v, tokens, k)} for k, vs in domain.items()}
        return Wish(strict=True, described={k: vs for k, vs in described.items() if vs})
    for clause in _INDIFFERENT.findall(text):
        tokens = norm_tokens(clause)
        wish.indifferent |= {k for k, vs in domain.items() if any(_find(v, tokens, k) for v in vs)}
        text = text.replace(clause, " ")
    tokens = norm_tokens(text)
    decided_at = [len(norm_tokens(text[: m.start()])) for m in _DECIDED.finditer(text)]
    for key, values in domain.items():
        if key in wish.indifferent:
            continue
        said = sorted((i, v) for v in values for i in _find(v, tokens, key))
        said = [(i, v) for i, v in said if v.lower() in _YES_NO or not _negated(tokens, i)]
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


def name_spots(name: str, text: str, names: list[str]) -> list[tuple[int, int]]:
    """Where the instruction names a product: its full name (plural too), else its last word
    when no other product the customer holds shares that word and is named in full."""
    said_as = "|".join(re.escape(w) for w in [name, *_EVERYDAY.get(name.lower(), [])])
    full = re.compile(rf"\b(?:{said_as})(?:e?s)?\b", re.I)
    spots = [(m.start(), m.end()) for m in full.finditer(text) if not _option_next(text, m.end())]
    if spots:
        return spots
    last = name.split()[-1]
    rivals = [
        n for n in names if n.lower() != name.lower() and n.split()[-1].lower() == last.lower()
    ]
    if any(re.search(rf"\b{re.escape(n)}(?:e?s)?\b", text, re.I) for n in rivals):
        return []
    if rivals:
        others = {w.lower() for n in names if n.lower() != name.lower() for w in n.split()}
        own_words = [w for w in name.split()[:-1] if w.lower() not in others and len(w) > 3]
        return [
            (m.start(), m.end())
            for w in own_words
            for m in re.finditer(rf"\b{re.escape(w)}(?:e?s)?\b", text, re.I)
            if not _option_next(text, m.end())
        ]
    tail = next(
        (
            last[i:]
            for i in range(1, len(last) - 4)
            if not any(last[i:].lower() in n.lower() for n in names if n.lower() != name.lower())
            and re.search(rf"\b{re.escape(last[i:])}(?:e?s)?\b", text, re.I)
        ),
        None,
    )
    noun = re.compile(rf"\b(?:{re.escape(last)}|{re.escape(tail or last)})(?:e?s)?\b", re.I)
    own = {w.lower() for w in name.split()}
    spots = []
    for m in noun.finditer(text):
        if _option_next(text, m.end()):
            continue
        start = m.start()
        before = re.search(r"([\w-]+)\s+$", text[:start])
        while before and before[1].lower() in own:
            start = before.start(1)
            before = re.search(r"([\w-]+)\s+$", text[:start])
        spots.append((start, m.end()))
    return spots


#: the everyday word for a product whose shop name differs
_EVERYDAY = {"bicycle": ["bike"], "e-reader": ["ereader", "e-book reader"]}


def _option_next(text: str, end: int) -> bool:
    """A product word used as an option value (``the laptop compartment``)."""
    after = text[end : end + 30].lower()
    return any(re.match(rf"\s+{re.escape(k.lower())}\b", after) for k in OPTION_KEYS)


@functools.cache
def catalogue_options() -> dict[str, dict[str, set[str]]]:
    """Each product's option values as the shop's catalogue lists them (what a shopper can
    read on the product page), by product name."""
    try:
        from warmline.demo.backoffice.store import load_table
    except ImportError:
        return {}
    out: dict[str, dict[str, set[str]]] = {}
    for product in load_table("retail", "products").values():
        domain = out.setdefault(str(product.get("name", "")).lower(), {})
        for variant in (product.get("variants") or {}).values():
            for key, value in (variant.get("options") or {}).items():
                domain.setdefault(str(key).lower(), set()).add(str(value))
    return out


def is_named(name: str, text: str, names: list[str]) -> bool:
    return bool(name_spots(name, text, names))


def item_prose(name: str, instruction: str, names: list[str]) -> str:
    """The instruction's words about one product: in each sentence that names it, the stretch
    from the previous product named up to the next one; and the sentences that follow it
    without naming any product. A product named only to tell which order it is owns no
    words."""
    names = sorted({*names, name}, key=str.lower)
    out: list[str] = []
    previous_was_it = False
    for sentence in re.split(r"(?<=[.!?;])\s+", instruction):
        spots = [
            (start, end, n)
            for start, end, n, role in sentence_spots(sentence, names)
            if role != "reference"
        ]
        if not spots:
            owners = _owners_by_values(sentence, names)
            if name in owners or (previous_was_it and not owners):
                out.append(sentence)
            previous_was_it = name in owners or (previous_was_it and not owners)
            continue
        mine = [i for i, spot in enumerate(spots) if spot[2].lower() == name.lower()]
        previous_was_it = bool(mine) and spots[-1][2].lower() == name.lower()
        for i in mine:
            start = spots[i - 1][1] if i else 0
            end = spots[i + 1][0] if i + 1 < len(spots) else len(sentence)
            out.append(sentence[start:end])
        tail = sentence[spots[-1][1] :]
        if mine and mine[-1] != len(spots) - 1 and _TOGETHER.search(tail):
            out.append(tail)
    return " ".join(out)


def _owners_by_values(sentence: str, names: list[str]) -> list[str]:
    """The products a sentence that names none talks about by their own option values (a
    ``2-piece softshell`` set is the luggage set, not the dumbbells)."""
    catalogue = catalogue_options()
    values = {
        n: {v for vs in catalogue.get(n.lower(), {}).values() for v in vs if len(v) > 2}
        for n in names
    }
    tokens = norm_tokens(sentence)
    owners = []
    for name, own in values.items():
        others = set().union(*(v for n, v in values.items() if n != name))
        if any(_find(v, tokens, "") for v in own - others if v.lower() not in _GENERIC_VALUES):
            owners.append(name)
    return owners


_TOGETHER = re.compile(r"\b(?:each|both|them|all|either)\b", re.I)
_REFERENCE = re.compile(
    r"\b(?:order|one|package|purchase|shipment|box)\b[^,;.]*?"
    r"\b(?:had|has|have|with|contain\w*|includ\w*|came)\b[^;.]*$"
    r"|\b(?:bought|ordered|purchased|came|arrived|got)\b[^,;.]*?\bwith\b[^;.]*$"
    r"|\balong(?:side| with)\b[^;.]*$",
    re.I,
)
_KEPT_ITEM = re.compile(r"\bkeep(?:ing)?\s+(?:the|my|your|that|this)?\s*(?:\w+\s+){0,2}$", re.I)
_LIST_JOIN = re.compile(r"^[\s,]*(?:and|or)?\s*(?:the|a|an|my|your)?\s*$", re.I)


def sentence_spots(sentence: str, names: list[str]) -> list[tuple[int, int, str, str]]:
    """The products a sentence names, in order, each with how it is meant: ``wanted`` (acted
    on), ``reference`` (it only tells which order: "the order with the lamp"), or ``kept``
    ("you'll keep the clock")."""
    spots = sorted((start, end, n) for n in names for start, end in name_spots(n, sentence, names))
    out: list[tuple[int, int, str, str]] = []
    previous = "wanted"
    for i, (start, end, n) in enumerate(spots):
        stretch = sentence[spots[i - 1][1] if i else 0 : start]
        if _KEPT_ITEM.search(stretch):
            role = "kept"
        elif _REFERENCE.search(stretch):
            role = "reference"
        elif i and _LIST_JOIN.match(stretch):
            role = previous
        else:
            role = "wanted"
        previous = role
        out.append((start, end, n, role))
    return out


def wanted_spots(name: str, text: str, names: list[str]) -> list[str]:
    """How each mention of a product in the text is meant (see ``sentence_spots``)."""
    names = sorted({*names, name}, key=str.lower)
    return [
        role
        for sentence in re.split(r"(?<=[.!?])\s+", text)
        for _, _, n, role in sentence_spots(sentence, names)
        if n.lower() == name.lower()
    ]


_PRICE = re.compile(r"\$([\d,]+(?:\.\d+)?)")
_SAME = re.compile(
    r"\b(?:a new one of the same option|keep as it is)\b\s*\(?(?P<opts>[^)]*)\)?", re.I
)


@dataclass
class Variant:
    """One offered option label: ``Kettle: capacity 1L, color black - $20.00``."""

    label: str
    head: str
    options: dict[str, str]
    price: float
    same: bool = False


def read_variant(label: str) -> Variant | None:
    if not is_option_label(label):
        return None
    head, rest = _label_parts(label)
    prices = _PRICE.findall(label)
    price = float(prices[-1].replace(",", "")) if prices else 0.0
    same = _SAME.search(rest)
    options = parse_options(same["opts"] if same else rest)
    return Variant(without_price(label).strip(), head, options, price, bool(same))


def option_domain(variants: list[dict[str, str]]) -> dict[str, set[str]]:
    domain: dict[str, set[str]] = {}
    for options in variants:
        for key, value in options.items():
            domain.setdefault(key, set()).add(value)
    return domain


COLORS = frozenset(
    [
        "black",
        "white",
        "red",
        "blue",
        "green",
        "yellow",
        "orange",
        "purple",
        "pink",
        "brown",
        "grey",
        "gray",
        "silver",
        "gold",
        "navy",
        "beige",
    ]
)


def with_colors(domain: dict[str, set[str]]) -> dict[str, set[str]]:
    """A colour option can take any colour a person names, offered or not."""
    out = {k: set(v) for k, v in domain.items()}
    if "color" in out:
        out["color"] |= COLORS
    return out
