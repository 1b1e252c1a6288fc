"""The instruction as the customer reads it against their own orders and what the bot shows:
the products it names, those a change of mind drops, the kinds of write it asks for and what it
finally wishes of each item's options."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from .identity import Identity
from .instruction import MIND_CHANGE, is_about_them, sentences
from .options import Variant, catalogue_options, norm_tokens, option_domain, with_colors
from .products import is_named, item_prose, wanted_spots
from .text import ORDER_ID
from .wants import ItemWant, item_wants
from .wish import Wish, dict_wish, fits, prose_wish

KIND_SAID = {
    "cancel": re.compile(
        r"\bcancel|\bnot (?:to )?receive\b|\bdon'?t (?:need|want) (?:it|them|the order)\b", re.I
    ),
    "return": re.compile(r"\breturn|\brefund|\bsend (?:it|them|both[^.]*?) back\b", re.I),
    "exchange": re.compile(
        r"\bexchange|\bmodify|\bswap|\breplace|\bswitch|\bupgrade|\bdowngrade|\binstead\b"
        r"|\bchang(?:e|ed|ing)\b(?! (?:your|my) mind)|\brather have\b|\bprefer\b"
        r"|\b(?:the )?same [^.;]*\bbut\b|\bin (?:a )?different\b|\bwant (?:it|them|one) in\b",
        re.I,
    ),
}
_DROPPED = re.compile(
    r"\bchanges? (?:your|my) mind\b[^.;]*?\b(?:decides? |decided )?(?:to not|not to|against)\s+"
    r"(?:\w+ )?(?P<what>[^.;]*)",
    re.I,
)
EVERY_ITEM = re.compile(
    r"\ball (?:of )?(?:the |my |your )*items\b|\b(?:return|exchange) (?:the|all) items\b"
    r"|\beverything (?:in|from) (?:the|that|this|my|your) order\b|\b(?:whole|entire) order\b",
    re.I,
)


@dataclass
class Reading:
    """What the instruction finally wants, as the customer reads it against what the bot shows:
    the products named, the items dropped by a change of mind, each item's wished options."""

    instruction: str
    me: Identity
    #: item name (lower case) -> the variants the bot offered for it
    variants: dict[str, list[Variant]] = field(default_factory=dict)

    @functools.cached_property
    def said(self) -> str:
        """The instruction without who the customer is (what they are asked to express, insist
        on or bring up when the agent does something is kept: it says what they want)."""
        return " ".join(s for s in sentences(self.instruction) if not is_about_them(s))

    @functools.cached_property
    def words_said(self) -> str:
        """What the instruction says in words: its option dicts left out (a ``laptop``
        compartment is no laptop)."""
        return re.sub(r"\{[^{}]*\}", " ", self.said)

    @functools.cached_property
    def names(self) -> list[str]:
        held = {n for products in self.me.orders.values() for n in products if n}
        return sorted(held | {w.name for w in item_wants(self.instruction)})

    @functools.cached_property
    def dropped(self) -> list[str]:
        """Products the instruction decides, after a change of mind, not to act on."""
        found = []
        for m in _DROPPED.finditer(self.instruction):
            found += [n for n in self.names if is_named(n, m["what"], self.names)]
        return found

    def named(self, name: str) -> bool:
        roles = wanted_spots(name, self.words_said, self.names)
        return "wanted" in roles or bool(self.dict_wants(name))

    def wanted_names(self) -> list[str]:
        """The products the instruction asks about."""
        return [n for n in self.names if self.named(n)]

    def meant(self, name: str, keys: list[str]) -> bool:
        """An item the instruction asks about: named, or held in an order it names when it
        talks about one of the item's options (``change the deck material``)."""
        if self.named(name):
            return True
        orders = {"#" + o.lstrip("#") for o in ORDER_ID.findall(self.said)}
        held = any(name in self.me.orders.get(o, []) for o in orders)
        every = EVERY_ITEM.search(self.words_said)
        if every and any(name in ps and self.order_meant(o) for o, ps in self.me.orders.items()):
            return True
        text = " ".join(norm_tokens(self.words_said))
        return held and any(len(k) > 5 and f" {k} " in f" {text} " for k in keys)

    def twins(self, name: str) -> bool:
        """Whether an order holds two items of this name (which one is meant is told by how
        the instruction describes it)."""
        return any(products.count(name) > 1 for products in self.me.orders.values())

    def order_meant(self, order: str) -> bool:
        """An order the instruction names, or one holding a product it mentions (even only to
        tell which order it is)."""
        if order.lstrip("#") in self.said:
            return True
        return any(
            wanted_spots(n, self.words_said, self.names) for n in self.me.orders.get(order, [])
        )

    def sentences_naming(self, name: str) -> str:
        return " ".join(s for s in sentences(self.words_said) if is_named(name, s, self.names))

    def prose(self, name: str) -> str:
        return item_prose(name, self.words_said, self.names) or self.said

    def dict_wants(self, name: str, order: str = "") -> list[ItemWant]:
        low = name.lower()
        return [
            w
            for w in item_wants(self.instruction)
            if (w.name.lower() == low or w.name.lower().endswith(" " + low))
            and (not order or not w.order or w.order == order)
        ]

    def wish(
        self, name: str, old: dict[str, str], order: str = "", shown: dict[str, str] | None = None
    ) -> Wish:
        """The item's wished options: a templated target, else the prose about it."""
        offered = [v.options for v in self.variants.get(name.lower(), [])]
        domain = with_colors(option_domain([old, *offered, shown or {}]))
        for key, values in catalogue_options().get(name.lower(), {}).items():
            domain.setdefault(key, set()).update(values)
        wants = self.dict_wants(name, order)
        matching = [w for w in wants if fits(old, w.current, Wish(w.current))] or wants
        if matching and matching[0].has_target:
            return dict_wish(matching[0], old)
        if matching and matching[0].prose:
            return prose_wish(matching[0].prose, old, domain)
        return prose_wish(self.prose(name), old, domain)

    def kinds(self, order: str) -> set[str]:
        """The kinds of write the instruction asks for (an exchange and a change of a pending
        order's items are the same wish; a refund of a pending order is its cancellation)."""
        text = MIND_CHANGE.sub(" ", self.said)
        kinds = {kind for kind, said in KIND_SAID.items() if said.search(text)}
        if "exchange" in kinds:
            kinds.add("modify")
        if "return" in kinds and self.me.statuses.get("#" + order, "").startswith("pending"):
            kinds.add("cancel")
        return kinds
