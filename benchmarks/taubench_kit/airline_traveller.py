"""The traveller of an airline task: what the instruction asks for, read against their own
trips (which trip it describes, the days to fly, the cabin, the bags, who flies), the trip
settled on so far, and whether the day out has been put right once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .airline_offers import BACK
from .airline_trips import Trip, best_trip, cabins_in, dates_in, names_in
from .airline_wants import CARD, request_score, wanted_bags
from .identity import Identity
from .instruction import wanted_sentences


@dataclass
class Traveller:
    """What the instruction asks for, as a traveller who knows their own trips reads it."""

    instruction: str
    me: Identity
    trips: list[Trip]
    #: the trip settled on (described by the instruction, or picked among those offered)
    trip: Trip | None = None
    #: the day out already put right once (the return days offered showed the wrong one)
    corrected: bool = False
    #: the instruction without who the traveller is
    wanted: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self.wanted = " ".join(wanted_sentences(self.instruction))

    def described_trip(self) -> Trip | None:
        if self.trip is None:
            self.trip = best_trip(self.trips or [], self.wanted)
        return self.trip

    def dates(self) -> tuple[list[str], list[str]]:
        """The dates to fly out and back on: the instruction's, less those of the trip as it is
        (unless no other is named)."""
        found = dates_in(self.wanted)
        back = [d for pos, d in found if BACK.search(self.wanted[max(0, pos - 30) : pos])]
        out = [d for _, d in found if d not in back]
        trip = self.described_trip()
        if trip:
            out = [d for d in out if d not in trip.dates] or out
            back = [d for d in back if d not in trip.dates] or back
        return out, back

    def cabin(self) -> str | None:
        mentioned = cabins_in(self.wanted)
        trip = self.described_trip() if request_score("cabin", self.wanted) else None
        other = [c for c in mentioned if not trip or c != trip.cabin]
        return other[-1] if trip and other else (mentioned[0] if mentioned else None)

    def bags(self) -> int | None:
        trip = self.described_trip() if request_score("add a checked bag", self.wanted) else None
        return wanted_bags(self.wanted, trip.bags if trip else 0)

    def travellers(self) -> list[str]:
        named = names_in(self.wanted)
        me = f"{self.me.first_name} {self.me.last_name}".strip()
        if re.search(
            r"\byourself\b|\byou and\b|\band you\b|\bfor you\b|\bjust you\b", self.instruction, re.I
        ):
            named = [me, *named]
        return list(dict.fromkeys(named))

    def old_dob(self, name: str) -> str | None:
        """A passenger's date of birth on the trip described."""
        trip = self.described_trip()
        for passenger in trip.passengers if trip else []:
            if f"{passenger['first_name']} {passenger['last_name']}" == name:
                return passenger["dob"]
        return None

    def payment_named(self) -> str:
        """The payment method the instruction names, in its words."""
        m = CARD.search(self.wanted) or re.search(
            r"\bgift card\b|\bcertificate\b", self.wanted, re.I
        )
        return m.group(0) if m else "own choice of payment"
