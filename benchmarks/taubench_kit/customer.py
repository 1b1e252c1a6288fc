"""The scripted customer: a rule-based person who knows a tau-bench task's instruction and their
own identity facts, never the gold actions or outputs.

It opens with the instruction's first request in the first person, answers verification
questions with the facts asked for, picks offered choices by their overlap with the instruction,
says yes to a proposal the instruction supports, brings up the instruction's next request when
asked whether there is anything else, and ends when nothing is left.

This module is the turn loop; what it reads and decides lives beside it: ``instruction``
(sentences, requests, first person), ``identity`` (the facts a person knows), ``reading`` (the
instruction against their orders), ``choices`` (picking among offered choices), ``proposal``
(reading and judging a proposal at confirmation), ``talk`` (hearing a bot turn, stock answers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .choices import (
    ALL_ITEMS,
    ALL_LABEL,
    PERSON_CHOICE,
    direct_choice,
    dropped_label,
    kept_label,
    order_or_action,
    pick_variant,
    picked_labels,
    spoken,
)
from .identity import Identity, identity_answer
from .instruction import at_confirmation, requests
from .options import read_variant
from .proposal import already_in, judge, mind_change, read_proposal
from .reading import Reading
from .talk import (
    ANYTHING_ELSE,
    END,
    GOAL_ITEMS,
    PERSON_PLEASE,
    SUGGESTION,
    UNSURE,
    free_answer,
    is_confirmation,
    last_question,
    turn_key,
)
from .text import ITEM_LABEL, ORDER_LABEL, without_price
from .wants import remember_items

#: a choice that names a request ("exchange an item", "check an order")
_REQUEST_LABEL = re.compile(
    r"^(?:cancel|return|exchange|change|check|track|update|modify|book|add|remove)\b", re.I
)


@dataclass
class Customer:
    """One scripted customer for one task."""

    instruction: str
    me: Identity
    pending: list[list[str]] = field(default_factory=list)
    said_requests: int = 0
    done: bool = False
    current: str = ""
    seen_items: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    mentioned_at_confirmation: bool = False
    changed_mind: bool = False
    #: the proposals declined so far (a second showing of one asks for a person)
    declined: list[str] = field(default_factory=list)
    #: every bot turn heard (its question and choices)
    heard: list[str] = field(default_factory=list)
    #: the questions answered "not sure" (each time)
    unsure_to: list[str] = field(default_factory=list)
    reading: Reading = field(init=False)

    def __post_init__(self) -> None:
        self.pending = requests(self.instruction)
        self.reading = Reading(self.instruction, self.me)

    def opening(self) -> str:
        return self._next_request() or UNSURE

    def _next_request(self) -> str | None:
        if not self.pending:
            return None
        self.said_requests += 1
        self.current = " ".join(self.pending.pop(0))
        return self.current

    def _next_or_end(self) -> str:
        """The next request, or the end when none is left."""
        nxt = self._next_request()
        self.done = nxt is None
        return nxt or END

    def _move_on(self) -> str:
        """Past a change of mind: the next request, or the end when none is left."""
        self.changed_mind = False
        return self._next_or_end()

    def reply(self, bot_text: str, choices: list[str]) -> str:
        """The answer to the bot's last turn (its texts joined) and the choices it offered;
        the same question three times in a row (or five in all) asks for a person rather than
        loop."""
        if self.looping(bot_text, choices):
            return PERSON_PLEASE
        return self.unless_unsure_again(bot_text, choices, self._reply(bot_text, choices))

    def looping(self, bot_text: str, choices: list[str]) -> bool:
        """The same turn heard three times in a row, or five in all."""
        turn = turn_key(bot_text, choices)
        self.heard.append(turn)
        return self.heard[-3:] == [turn] * 3 or self.heard.count(turn) >= 5

    def unless_unsure_again(self, bot_text: str, choices: list[str], answer: str) -> str:
        """Not sure a third time to the same question: a real customer asks for a person."""
        if answer != UNSURE:
            return answer
        question = (last_question(bot_text) or bot_text.strip()[-200:]) + " | " + "|".join(choices)
        self.unsure_to.append(question)
        return PERSON_PLEASE if self.unsure_to.count(question) > 2 else answer

    def _reply(self, bot_text: str, choices: list[str]) -> str:
        if choices:
            return self._answer_choices(bot_text, choices)
        answer = identity_answer(bot_text, self.me)
        if answer:
            return answer
        suggested = SUGGESTION.search(bot_text)
        if suggested and GOAL_ITEMS.search(self.current) and suggested[0] not in self.asked:
            self.asked.append(suggested[0])
            return f"Okay, then I'd like to {suggested['what']} instead."
        if "?" in bot_text and not ANYTHING_ELSE.search(bot_text):
            return free_answer(bot_text, self.instruction)
        return self._next_or_end()

    def _answer_choices(self, bot_text: str, choices: list[str]) -> str:
        """A yes or no to a proposal; past a change of mind, the next request rather than a
        person; else the choice the instruction picks."""
        if is_confirmation(choices):
            return self.confirm(bot_text)
        if self.changed_mind and any(PERSON_CHOICE.search(c) for c in choices):
            return self._move_on()
        return self.choose(bot_text, choices)

    # the confirmation

    def confirm(self, proposal: str) -> str:
        """Yes, or no with what is wrong, or the change the instruction asks to bring up; a
        proposal declined once and shown again unchanged asks for a person."""
        answer = self._judge(proposal)
        if answer.lower().startswith("no"):
            prop = read_proposal(proposal)
            if prop.text in self.declined:
                return PERSON_PLEASE
            self.declined.append(prop.text)
        return answer

    def _judge(self, proposal: str) -> str:
        changed = self._mind_changed(proposal)
        if changed:
            return changed
        extra = at_confirmation(self.instruction)
        prop = read_proposal(proposal)
        if extra and not self.mentioned_at_confirmation:
            self.mentioned_at_confirmation = True
            if not already_in(self.reading, extra, prop):
                return extra
        return judge(proposal, prop, self.reading, extra)

    def _mind_changed(self, proposal: str) -> str | None:
        """The instruction's change of mind about what the proposal names, said once."""
        changed = None if self.changed_mind else mind_change(proposal, self.instruction)
        if changed:
            self.changed_mind = True
        return changed

    # choices

    def choose(self, bot_text: str, choices: list[str]) -> str:
        """The answer to a question offering choices."""
        remember_items(choices, self.seen_items)
        variant_answer = self._pick_variant(choices)
        if variant_answer:
            return variant_answer
        direct = direct_choice(choices, self.reading, self.seen_items, self.current)
        if direct:
            return without_price(direct)
        known = order_or_action(self.reading, choices)
        if known:
            return known
        picked = picked_labels(bot_text, choices, self.reading, self.current)
        picked = [c for c in picked if not kept_label(c, self.reading)]
        if picked and self.changed_mind and all(dropped_label(c, self.reading) for c in picked):
            return self._move_on()
        all_asked = re.search(r"\ball of them\b", bot_text)
        every = [c for c in choices if not ALL_LABEL.match(c) and not PERSON_CHOICE.search(c)]
        if len(picked) == len(every) > 1 and all_asked and ALL_ITEMS.search(self.instruction):
            return "all of them"
        if picked:
            return " and ".join(spoken(c, choices) for c in picked)
        return self._nothing_picked(bot_text, choices)

    def _pick_variant(self, choices: list[str]) -> str | None:
        """Among one item's offered variants, the one the instruction finally wants; when none
        fits, what is wanted instead; None when the choices are not variants."""
        variants = [v for v in (read_variant(c) for c in choices) if v]
        if not variants:
            return None
        head = variants[0].head
        self.reading.variants[head.lower()] = variants
        if any(head.lower() == d.lower() for d in self.reading.dropped):
            if self.changed_mind:
                return self._move_on()
            self.changed_mind = True
            return f"I've changed my mind: I don't want to exchange the {head} after all."
        return pick_variant(self.reading, variants, self.seen_items, self.current)

    def _nothing_picked(self, bot_text: str, choices: list[str]) -> str:
        """Not sure; asked the same again, the current request (for items or orders) or the
        first choice offered."""
        question = bot_text.strip().splitlines()[-1] if bot_text.strip() else ""
        repeated = question in self.asked
        self.asked.append(question)
        offered = [c for c in choices if not PERSON_CHOICE.search(c) and not ALL_LABEL.match(c)]
        if any(ITEM_LABEL.match(c) or ORDER_LABEL.match(c) for c in offered):
            return (self.current or UNSURE) if repeated else UNSURE
        if sum(bool(_REQUEST_LABEL.search(c)) for c in offered) > 1:
            # requests offered, none of them the one wanted: never a wrong one
            return UNSURE
        return spoken(offered[0], choices) if repeated and offered else UNSURE
