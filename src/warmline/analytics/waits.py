"""Wait estimates for customers waiting for a person, from live figures: agents online and
their free slots, the customer's place in the queue, and the handle time observed lately.

* ``wait_for_position``: what the customer is told. With ``slots`` conversations agents can hold
  at once and ``free`` of them open, the customer at 0-based ``position`` is served at once when
  ``position < free``; otherwise after ``position - free + 1`` conversations end, and with
  ``slots`` conversations running, one ends every ``handle_time / slots`` seconds on average. For
  exponential handle times (the M/M/c queue) this is the exact expected wait given the position.
* ``erlang_c`` / ``expected_wait``: the textbook M/M/c figures from the arrival rate, used to
  judge staffing (the probability that a customer waits at all, and the mean wait).

``benchmarks/wait_estimate.py`` checks the first against a simulation and reports its error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def wait_for_position(position: int, slots: int, free: int, handle_time_s: float) -> float | None:
    """Expected seconds until the customer at ``position`` is taken; None when nobody is
    online to take them."""
    if slots <= 0:
        return None
    if position < free:
        return 0.0
    return (position - free + 1) * handle_time_s / slots


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (offered load in erlangs)."""
    if servers <= 0:
        return 1.0
    if offered_load >= servers:
        return 1.0
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= offered_load / k
        total += term
    last = term * offered_load / servers * servers / (servers - offered_load)
    return last / (total + last)


def expected_wait(servers: int, arrivals_per_s: float, handle_time_s: float) -> float:
    """Mean wait of an M/M/c queue in seconds; infinite when the queue cannot keep up."""
    load = arrivals_per_s * handle_time_s
    if servers <= 0 or load >= servers:
        return math.inf
    return erlang_c(servers, load) * handle_time_s / (servers - load)


def observed_handle_time(durations_s: Sequence[float], default_s: float, recent: int = 50) -> float:
    """The mean of the last ``recent`` handle times, or ``default_s`` before there are five."""
    last = list(durations_s)[-recent:]
    return sum(last) / len(last) if len(last) >= 5 else default_s


def in_words(seconds: float | None) -> str:
    """A wait as a customer hears it: "less than a minute", "about 3 minutes"."""
    if seconds is None:
        return "unknown"
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    return "about 1 minute" if minutes == 1 else f"about {minutes} minutes"
