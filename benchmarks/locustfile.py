"""Turn latency through HTTP: each simulated user is one customer talking to warmline.

A user starts a conversation ("start") for one of a few real demo customers, then sends a fixed
cycle of realistic turns ("turn") with no think time, and after TURNS_PER_CONVERSATION turns
starts a new conversation, so no conversation grows without bound. Only reads reach the back
office: no turn confirms a cancellation (never a "yes").

Run by ``benchmarks/turn_latency.sh``; on its own:

    locust -f benchmarks/locustfile.py --headless -u 50 -r 50 -t 60s --host http://127.0.0.1:18000

Knobs (environment): ``TURNS_PER_CONVERSATION`` (default 8), ``THINK_TIME_S`` (default 0), and
``TURNS_PER_S_PER_USER``: when set, each user paces its turns at that rate whatever the
latency, so the load offered is a stated rate (200 users at 0.75 offer 150 turns/s): latency at
a given load rather than at saturation. ``ARRIVALS`` says how the turns are spaced: ``poisson``
(the default: each user keeps a schedule of arrivals a random, exponentially distributed time
apart, so the users together are close to a Poisson stream, as from many independent
customers) or ``constant`` (Locust's ``constant_throughput``: one turn every 1/rate seconds).
Either way the wait is measured from the scheduled arrival, not from the reply: a slow reply
shortens the next wait instead of lowering the rate, until a user falls behind and sends at once
(then the load is closed loop again, as at saturation).
"""

from __future__ import annotations

import itertools
import os
import random
import time

import jwt
from locust import FastHttpUser, constant_throughput, task

TURNS_PER_CONVERSATION = int(os.environ.get("TURNS_PER_CONVERSATION", "8"))
THINK_TIME_S = float(os.environ.get("THINK_TIME_S", "0"))
PACE = os.environ.get("TURNS_PER_S_PER_USER")
ARRIVALS = os.environ.get("ARRIVALS", "poisson")
if ARRIVALS not in ("poisson", "constant"):
    raise SystemExit(f"ARRIVALS is poisson or constant, not {ARRIVALS!r}")
# The server's WARMLINE_IDENTITY_SECRET: each conversation starts as a signed-in customer does,
# with an identity token the host site signs (docs/identity.md).
IDENTITY_SECRET = os.environ.get("WARMLINE_IDENTITY_SECRET", "")

# Real airline demo customers with one of their own reservations and one of its flights.
CUSTOMERS = [
    ("chen_jackson_3290", "4WQ150", "HAT170"),
    ("harper_lopez_1489", "T1QOBS", "HAT060"),
    ("mohamed_taylor_9830", "WPK8DQ", "HAT292"),
]

# One conversation's turns, in order. Two back-office reads (reservation, flight status) besides
# the account lookup that every turn of a known customer makes; none of these escalate or close.
TURNS = [
    "hello",
    "where is my reservation {reservation}?",
    "how many bags can I bring?",
    "I need to cancel my bag",
    "am I talking to a bot?",
    "what is the status of flight {flight}?",
    "can you check reservation {reservation} again please",
    "thanks",
]

_customers = itertools.cycle(CUSTOMERS)  # spread users evenly over the customers


class Customer(FastHttpUser):
    # By default a throughput test: the next turn is sent as soon as the reply arrives.
    def wait_time(self) -> float:
        if not PACE:
            return THINK_TIME_S
        if ARRIVALS == "constant":
            return float(self._constant(self))
        # The next arrival of this user's Poisson schedule; a user behind it sends at once and
        # keeps the schedule (no burst to catch up more than one turn at a time).
        now = time.monotonic()
        self._next_at = max(self._next_at, now - 1 / float(PACE))
        self._next_at += random.expovariate(float(PACE))
        return max(0.0, self._next_at - now)

    def on_start(self) -> None:
        if PACE:
            self._constant = constant_throughput(float(PACE))
            # The first turn at a random point of the first interval: users spawned together
            # do not all send at once.
            self._next_at = time.monotonic() + random.uniform(0, 1 / float(PACE))
        self.customer_id, self.reservation, self.flight = next(_customers)
        self.conversation_id: str | None = None
        self.turns_done = 0

    def _identity(self) -> str:
        claims = {"sub": self.customer_id, "exp": int(time.time()) + 600}
        return jwt.encode(claims, IDENTITY_SECRET, algorithm="HS256")

    def _start(self) -> None:
        self.conversation_id = None
        with self.client.post(
            "/api/conversations",
            json={"pack": "airline", "identity_token": self._identity()},
            name="start",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"start answered {response.status_code}: {_said(response)}")
                return
            started = response.json()
            self.conversation_id = started["conversation_id"]
            self.headers = {"authorization": f"Bearer {started['conversation_token']}"}
            self.turns_done = 0

    @task
    def converse(self) -> None:
        if self.conversation_id is None or self.turns_done >= TURNS_PER_CONVERSATION:
            self._start()
            if self.conversation_id is None:
                return
        text = TURNS[self.turns_done % len(TURNS)].format(
            reservation=self.reservation, flight=self.flight
        )
        self.turns_done += 1
        with self.client.post(
            f"/api/conversations/{self.conversation_id}/messages",
            json={"text": text},
            headers=self.headers,
            name="turn",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"turn answered {response.status_code}: {_said(response)}")
                self.conversation_id = None  # start afresh rather than repeat a failing turn
                return
            body = response.json()
            if not body.get("replies"):
                response.failure(f"turn without a reply: {text!r}")
            if body.get("status") != "open":  # escalated or closed: the next turn starts anew
                self.conversation_id = None


def _said(response: object) -> str:
    """What a failed request said: its body, or the client's error when no answer came (a
    status of 0: the connection failed or timed out), so the failure is counted, not raised."""
    text = getattr(response, "text", None)
    return text[:200] if text else repr(getattr(response, "error", None))[:200]
