"""Flight pricing for bookings and changes, and the itinerary search (direct and one stop).

``price_segments`` prices new segments the way tau-bench's booking and flight-change tools do:
a segment kept in the same cabin keeps its price; any other is priced from the flight data and
must be ``available`` with enough seats. ``GET /airline/flights/search`` lists direct and
one-stop itineraries with per-cabin totals and the seats left on every leg.
"""

from __future__ import annotations

from datetime import date as Date
from datetime import timedelta

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from warmline.demo.backoffice.airline import Cabin, flight_on
from warmline.demo.backoffice.store import BackOfficeStore, Record, RuleViolation, StoreDep

__all__ = ["Cabin", "FlightRef", "price_segments", "segment_view"]

router = APIRouter(prefix="/airline", tags=["airline"])
CABINS = ("basic_economy", "economy", "business")


class FlightRef(BaseModel):
    flight_number: str = Field(min_length=1, max_length=20)
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")


def _bookable_day(store: BackOfficeStore, ref: FlightRef, cabin: str, seats: int) -> Record:
    flight = store.flight(ref.flight_number)
    day: Record | None = flight["dates"].get(ref.date)
    if day is None or day.get("status") != "available":
        raise RuleViolation(
            "flight_not_bookable",
            f"Flight {ref.flight_number} on {ref.date} can't be booked; please pick another"
            " flight.",
        )
    if day["available_seats"][cabin] < seats:
        raise RuleViolation(
            "no_seats",
            f"Flight {ref.flight_number} on {ref.date} has fewer than {seats} {cabin} seats left.",
        )
    return day


def price_segments(
    store: BackOfficeStore, res: Record | None, cabin: str, refs: list[FlightRef], seats: int
) -> list[Record]:
    """The new segments ``{flight_number, date, price, origin, destination}`` of a trip."""
    segments: list[Record] = []
    for ref in refs:
        kept = [
            f
            for f in (res["flights"] if res is not None else [])
            if f["flight_number"] == ref.flight_number and f["date"] == ref.date
        ]
        if kept and res is not None and cabin == res["cabin"]:
            source = kept[0]
        else:
            flight = store.flight(ref.flight_number)
            day = _bookable_day(store, ref, cabin, seats)
            source = {"price": day["prices"][cabin], **flight}
        segments.append(
            {
                "flight_number": ref.flight_number,
                "date": ref.date,
                "price": source["price"],
                "origin": source["origin"],
                "destination": source["destination"],
            }
        )
    return segments


def segment_view(store: BackOfficeStore, segment: Record) -> Record:
    """A segment with its scheduled times, for a summary."""
    flight = store.flights.get(segment["flight_number"], {})
    times: Record = {
        k: flight[k]
        for k in ("scheduled_departure_time_est", "scheduled_arrival_time_est")
        if k in flight
    }
    return {**segment, **times}


def _itinerary(legs: list[Record]) -> Record:
    return {
        "stops": len(legs) - 1,
        "segments": legs,
        "origin": legs[0]["origin"],
        "destination": legs[-1]["destination"],
        "departure": f"{legs[0]['date']} {legs[0]['scheduled_departure_time_est']}",
        "arrival": f"{legs[-1]['date']} {legs[-1]['scheduled_arrival_time_est']}",
        "prices": {c: sum(leg["prices"][c] for leg in legs) for c in CABINS},
        "available_seats": {c: min(leg["available_seats"][c] for leg in legs) for c in CABINS},
    }


def _open(flight: Record, day: str) -> bool:
    return bool(flight["dates"].get(day, {}).get("status") == "available")


def itineraries(store: BackOfficeStore, origin: str, destination: str, day: str) -> list[Record]:
    """Direct flights, then one-stop pairs whose second leg leaves after the first lands."""
    found = [
        _itinerary([flight_on(f, day)])
        for f in store.flights.values()
        if f["origin"] == origin and f["destination"] == destination and _open(f, day)
    ]
    for first in store.flights.values():
        if (
            first["origin"] != origin
            or first["destination"] == destination
            or not _open(first, day)
        ):
            continue
        arrival = str(first["scheduled_arrival_time_est"])
        next_day = "+1" in arrival
        day2 = (Date.fromisoformat(day) + timedelta(days=1)).isoformat() if next_day else day
        for second in store.flights.values():
            if second["origin"] != first["destination"] or second["destination"] != destination:
                continue
            if arrival[:8] > second["scheduled_departure_time_est"]:
                continue
            if _open(second, day2):
                found.append(_itinerary([flight_on(first, day), flight_on(second, day2)]))
    return found


@router.get("/flights/search")
async def search_itineraries(
    store: StoreDep,
    origin: str = Query(min_length=3, max_length=3),
    destination: str = Query(min_length=3, max_length=3),
    date: str = Query(pattern=r"^\d{4}-\d{2}-\d{2}$"),
    stops: int | None = Query(None, ge=0, le=1, description="only itineraries with this many"),
) -> Record:
    found = itineraries(store, origin.upper(), destination.upper(), date)
    if stops is not None:
        found = [i for i in found if i["stops"] == stops]
    return {"itineraries": found}


@router.get("/airports")
async def list_airports(store: StoreDep) -> Record:
    codes = {f["origin"] for f in store.flights.values()}
    codes |= {f["destination"] for f in store.flights.values()}
    return {"airports": sorted(codes)}


@router.get("/flights/days")
async def days_with_flights(
    store: StoreDep,
    origin: str = Query(min_length=3, max_length=3),
    destination: str = Query(min_length=3, max_length=3),
    after: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$"),
    days: int = Query(7, ge=1, le=31),
) -> Record:
    """The dates after ``after`` (up to ``days`` of them) with a bookable itinerary: the days a
    return flight can be chosen on; without ``after``, from the store's today on (the days a
    trip can leave on)."""
    start = Date.fromisoformat(after) if after else store.now.date() - timedelta(days=1)
    found = []
    for n in range(1, days + 1):
        day = (start + timedelta(days=n)).isoformat()
        if itineraries(store, origin.upper(), destination.upper(), day):
            found.append(day)
    return {"dates": found}
