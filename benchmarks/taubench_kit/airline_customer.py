"""The scripted customer of an airline task: the retail customer's reading of the instruction,
plus what an airline customer knows of their own trips."""

from __future__ import annotations

from .customer import Customer


class AirlineCustomer(Customer):
    """One scripted airline customer for one task."""
