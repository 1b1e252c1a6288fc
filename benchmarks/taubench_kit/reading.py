"""The instruction as the customer reads it against their own orders and what the bot shows:
the products it names, those a change of mind drops, the kinds of write it asks for and what it
finally wishes of each item's options."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from .identity import Identity
from .instruction import MIND_CHANGE, is_about_them, sentences
from .options import (
    Variant,
    catalogue_options,
    find_value,
    norm_tokens,
    option_domain,
    same_value,
    with_colors,
)
from .products import ACTING, STAYS, is_named, item_prose, sentence_spots, wanted_spots
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
        r"|\b(?:the )?same (?:[^.;]|\.(?=\d))*\bbut\b|\bin (?:a )?different\b|\bwant (?:it|them|one) in\b",
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
    r"|\beverything (?:in|from) (?:the|that|this|my|your) order\b|\b(?:whole|entire) order\b"
    r"|\beverything (?:else )?(?:except|but|other than|apart from)\b"
    r"|\b(?:return|exchange|send back|refund)\w* everything\b",
    re.I,
)


_COUNTS = {"both": 2, "two": 2, "three": 3, "four": 4}
#: a number of items of one name ("both notebooks", "the two A5 notebooks")
_COUNTED = re.compile(
    r"\b(both|two|three|four)\s+(?:of\s+)?(?:(?:the|my|your|these|those)\s+)?"
    r"(?:[\w-]+\s+){0,2}$",
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

    def roles(self, name: str) -> list[str]:
        """How each mention of a product is meant (see ``products.sentence_spots``)."""
        return wanted_spots(name, self.words_said, self.names)

    @functools.cached_property
    def acts_on_named(self) -> bool:
        """Whether the instruction names some product as one to act on (then a product it only
        lists among what an order holds is not one)."""
        return any("wanted" in self.roles(n) for n in self.names)

    def named(self, name: str) -> bool:
        roles = self.roles(name)
        listed = "listed" in roles and not self.acts_on_named
        return "wanted" in roles or listed or bool(self.dict_wants(name))

    def kept(self, name: str) -> bool:
        """A product the instruction says stays as it is ("you keep the phone", "the boots
        stay", "everything except the camera")."""
        roles = self.roles(name)
        return "kept" in roles and "wanted" not in roles and not self.dict_wants(name)

    def wanted_names(self) -> list[str]:
        """The products the instruction asks about."""
        return [n for n in self.names if self.named(n)]

    def telling_names(self) -> list[str]:
        """The products named only to tell which order it is ("an order with wireless
        headphones and a security camera")."""
        return [n for n in self.names if {"reference", "listed"} & set(self.roles(n))]

    def meant(self, name: str, keys: list[str]) -> bool:
        """An item the instruction asks about: named, or held in an order it names when it
        talks about one of the item's options (``change the deck material``); never one it
        keeps."""
        if self.kept(name):
            return False
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

    def count_wanted(self, name: str) -> int:
        """How many items of this name the instruction acts on: two for "return both
        notebooks" or "the two notebooks", else one ("you ordered two coffee makers" only tells
        what the order holds)."""
        count = 1
        for sentence in sentences(self.words_said):
            if not ACTING.search(sentence):
                continue
            for start, _end, n, role in sentence_spots(sentence, self.names):
                before = _COUNTED.search(sentence[max(0, start - 40) : start])
                if n == name and role == "wanted" and before:
                    count = max(count, _COUNTS.get(before[1].lower(), 2))
        return count

    def twin_not_meant(self, head: str, old: dict[str, str], wish: Wish) -> bool:
        """Of two items with one name in an order, the one the instruction does not describe
        ("the stainless steel drip one" is not the black french press)."""
        if not self.twins(head) or not old:
            return False
        stated = list(wish.stated.values())
        kept = [v for v in self.kept_values(head) if not any(same_value(v, s) for s in stated)]
        if any(same_value(v, o) for v in kept for o in old.values()):
            return True
        if not wish.described:
            return False
        said = [v for vs in wish.described.values() for v in vs]
        return not any(same_value(v, o) for v in said for o in old.values())

    def kept_values(self, head: str) -> set[str]:
        """The option values said of an item that stays as it is ("the black pair is fine and
        stays as it is"): what tells the one kept from its twin."""
        domain = catalogue_options().get(head.lower(), {})
        found: set[str] = set()
        for sentence in sentences(self.words_said):
            roles = [r for *_, n, r in sentence_spots(sentence, self.names) if n == head]
            if not STAYS.search(sentence) and "kept" not in roles:
                continue
            tokens = norm_tokens(sentence)
            found |= {v for key, vs in domain.items() for v in vs if find_value(v, tokens, key)}
        return found

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
