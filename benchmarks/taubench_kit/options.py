"""Options as a shopper reads them: the option names of the shop's products, values written one
way (units, sizes), an offered variant's label (``Kettle: capacity 1L, color black - $20.00``),
where a value is said in a text, and each product's values as the catalogue lists them."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .text import without_price


def segments(options: str) -> list[str]:
    return [s.strip() for s in options.split(",") if s.strip()]


def label_parts(label: str) -> tuple[str, str]:
    """``Bookshelf: material wood, color white - $451.01`` -> (``Bookshelf``, the options)."""
    head, _, rest = label.partition(":")
    return head.strip(), without_price(rest).strip()


def is_option_label(label: str) -> bool:
    head, rest = label_parts(label)
    return bool(rest) and ":" in label and not head.lower().startswith(("order", "http"))


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
_NUMBERS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
#: a number said in words before a unit ("four hours" is "4 hours")
_NUMBER_WORD = re.compile(
    rf"\b({'|'.join(_NUMBERS)})(?=\s+(?:hours?|hrs?|inch(?:es)?|feet|foot|ft|lit(?:er|re)s?|"
    r"pieces?|mm|cm|gb|tb|ml)\b)"
)
_SIZE_WORDS = {"XS": "extra small", "S": "small", "M": "medium", "L": "large", "XL": "extra large"}
GENERIC_VALUES = frozenset({"yes", "no", "none", "full", "half", "small", "large", "medium"})


def norm_tokens(text: str) -> list[str]:
    """Lower-case tokens with units written one way (``5-feet`` and ``5 ft`` are ``5 ft``)."""
    text = text.lower().replace("-", " ")
    text = _NUMBER_WORD.sub(lambda m: str(_NUMBERS.index(m[1]) + 1), text)
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
    return dict(split_option(s, keys) for s in segments(text))


def same_value(a: str, b: str) -> bool:
    return norm_tokens(a) == norm_tokens(b)


def find_value(value: str, tokens: list[str], key: str) -> list[int]:
    """Where a value is said in the tokens (a generic or one-letter word only next to its
    option name; a size letter also as its word: ``M`` as ``medium``)."""
    want = norm_tokens(value)
    if not want:
        return []
    key_tokens = set(norm_tokens(key))
    loose = " ".join(want) in GENERIC_VALUES or len(" ".join(want)) == 1
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


YES_NO = frozenset({"yes", "no", "none"})
_DENIAL = frozenset({"not", "no", "isn", "without", "non", "doesn", "don", "never"})


def _said_as_key(value: str, tokens: list[str], key: str) -> list[int]:
    """A yes/no or none option said through its name: "water resistant" is water resistance
    yes, "not waterproof" is waterproof no, "no backlight" is backlight none."""
    stems = [t[:6] for t in norm_tokens(key)]
    if not stems or value.lower() not in YES_NO:
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
    head, rest = label_parts(label)
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
