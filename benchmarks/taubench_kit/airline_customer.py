"""The scripted customer of an airline task: the retail customer's reading of the instruction,
plus what an airline customer knows of their own trips.

A traveller knows their reservations as trips (where from and to, the dates, who flies, the
cabin), not by code; the instruction tells what they want (new dates, which flight among those
offered, the cabin, bags, passengers, insurance, how to pay, why they cancel). Every answer is
read from those two; a proposal gets a yes only when each element it names (reservation,
flights, dates, cabin, bags, passengers, payment) is what the instruction asks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .airline_choices import choose_airline
from .airline_proposal import proposal_problems
from .airline_traveller import Traveller
from .airline_trips import Trip, airports_in, trips_of
from .airline_wants import passenger_change, plain_request, wanted_reason
from .customer import Customer
from .identity import identity_answer
from .talk import PERSON_PLEASE, UNSURE, is_confirmation, last_question

_CONDITIONAL = re.compile(r"^(?:if|when|at first|should|in case|unless)\b", re.I)


@dataclass
class AirlineCustomer(Customer):
    """One scripted airline customer for one task."""

    trips: list[Trip] | None = None
    profile: dict[str, Any] | None = None
    said_no: int = 0
    rephrased: bool = False
    traveller: Traveller = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.pending = [
            kept
            for group in self.pending
            if (kept := [s for s in group if not _CONDITIONAL.search(s)])
        ]
        if self.trips is None or self.profile is None:
            trips, profile = trips_of(self.me.user_id)
            self.trips = trips if self.trips is None else self.trips
            self.profile = profile if self.profile is None else self.profile
        self.traveller = Traveller(self.instruction, self.me, self.trips or [])

    def reply(self, bot_text: str, choices: list[str]) -> str:
        return self.unless_unsure_again(bot_text, choices, self._airline_reply(bot_text, choices))

    def _airline_reply(self, bot_text: str, choices: list[str]) -> str:
        if choices and is_confirmation(choices):
            return self.confirm(bot_text)
        if choices:
            picked = choose_airline(self.traveller, bot_text, choices, self.current)
            return picked if picked is not None else self.choose(bot_text, choices)
        wanted = self.traveller.wanted
        if re.search(r"\bcan't help with that here\b", bot_text) and not self.rephrased:
            self.rephrased = True
            plain = plain_request(self.current or wanted)
            if plain:
                return plain
        question = last_question(bot_text)
        if re.search(r"\bconnect you\b", question) and not re.search(
            r"\b(?:person|human|agent|supervisor|representative)\b", wanted
        ):
            return self._next_or_end()
        answer = self.answer(question) if question else None
        if answer:
            return answer
        return PERSON_PLEASE if self.looping(bot_text, choices) else self._reply(bot_text, choices)

    def answer(self, question: str) -> str | None:
        """The answer to a question without choices, or None for the retail customer's rules."""
        q = question.lower()
        change = passenger_change(self.traveller.wanted)
        if change and re.search(r"\bfirst and last name\b|\bpassenger'?s? name\b", q):
            return change[1]
        if change and re.search(r"\btheir date of birth\b|\bpassenger'?s? date of birth\b", q):
            dob = change[2] or self.traveller.old_dob(change[0])
            return f"Their date of birth is {dob}." if dob else UNSURE
        if identity_answer(question, self.me):
            return None
        out, back = self.traveller.dates()
        if re.search(r"\bfly back\b|\breturn\b|\bcome back\b", q) and re.search(
            r"\bdate\b|\bwhen\b", q
        ):
            return f"I'd like to fly back on {back[0]}." if back else None
        if re.search(r"\bwhich date\b|\bwhat date\b|\bwhen would you like to fly\b", q):
            return f"I'd like to fly on {out[0]}." if out else None
        said = airports_in(self.traveller.wanted)
        if re.search(r"\bflying from\b|\bwhere from\b|\bleaving from\b", q) and said:
            return f"From {said[0]}."
        if re.search(r"\bflying to\b|\bwhere to\b|\bgoing to\b", q) and len(said) > 1:
            return f"To {said[1]}."
        if re.search(r"\bwhy\b.*\bcancel|\breason\b", q):
            return wanted_reason(self.traveller.wanted).capitalize() + "."
        if re.search(r"\bwhich reservation\b|\breservation (?:code|number)\b", q):
            trip = self.traveller.described_trip()
            return trip.reservation_id if trip else None
        if re.search(r"\bwhich flight\b", q):
            numbers = re.findall(r"\bHAT\d{3}\b", self.traveller.wanted)
            return numbers[0] if numbers else None
        return None

    def confirm(self, proposal: str) -> str:
        """Yes only when every element of the proposal is what the instruction asks for;
        otherwise no, with what is wrong."""
        changed = self._mind_changed(proposal)
        if changed:
            return changed
        problems = proposal_problems(self.traveller, proposal)
        if problems:
            self.said_no += 1
            return "No, " + "; ".join(problems) + "."
        return "yes"
