"""How honest is the wait a customer is told? A discrete-event simulation of the handover queue.

Customers arrive at random (Poisson, rate lambda) and wait first-come-first-served for one of
``slots`` agent slots; each conversation then takes a random handle time. When a customer joins
the queue they are told ``wait_for_position(position, slots, free, handle_time)``
(``warmline.analytics.waits``), with the handle time the service would know: the mean of the
last 50 finished conversations (the default of 300 s before five have finished). The
simulation records the wait they actually had.

Reported per scenario: mean actual wait, mean told, mean absolute error (MAE), mean error
(bias; positive = told too long), the share told within 1 minute or 25 % of the truth, and for
comparison the MAE of telling everyone the M/M/c mean wait (Erlang C) instead.

Handle times: exponential (the model the estimate assumes) and log-normal with the same mean
and a coefficient of variation of 1.5 (closer to real chats: many short, a few long).

Usage (repository root, project venv; a few seconds)::

    python benchmarks/wait_estimate.py [--customers 20000] [--seed 7]
"""

from __future__ import annotations

import argparse
import heapq
import math
import sys
from collections import deque
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from warmline.analytics.waits import (  # noqa: E402
    expected_wait,
    observed_handle_time,
    wait_for_position,
)

DEFAULT_HANDLE_S = 300.0


def simulate(
    slots: int, load: float, mean_handle: float, shape: str, customers: int, seed: int
) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    rate = load * slots / mean_handle

    def handle_time() -> float:
        if shape == "exponential":
            return float(rng.exponential(mean_handle))
        sigma = math.sqrt(math.log(1 + 1.5**2))
        return float(rng.lognormal(math.log(mean_handle) - sigma**2 / 2, sigma))

    ends: list[tuple[float, float]] = []  # heap of running conversations: (end time, duration)
    queue: deque[int] = deque()  # customers waiting, first come first served
    told, actual = np.zeros(customers), np.zeros(customers)
    finished: list[float] = []  # handle times of ended conversations, in order
    arrivals = np.cumsum(rng.exponential(1 / rate, customers))
    next_arrival = 0

    def start(customer: int, at: float) -> None:
        duration = handle_time()
        heapq.heappush(ends, (at + duration, duration))
        actual[customer] = at - arrivals[customer]

    while next_arrival < customers or queue:
        arrival_time = arrivals[next_arrival] if next_arrival < customers else math.inf
        end_time = ends[0][0] if ends else math.inf
        if arrival_time <= end_time:
            i = next_arrival
            next_arrival += 1
            free = slots - len(ends)
            handle = observed_handle_time(finished, DEFAULT_HANDLE_S)
            estimate = wait_for_position(len(queue), slots, free, handle)
            told[i] = estimate if estimate is not None else math.nan
            if free > 0 and not queue:
                start(i, arrival_time)
            else:
                queue.append(i)
        else:
            now, duration = heapq.heappop(ends)
            finished.append(duration)
            if queue:
                start(queue.popleft(), now)
    warm = slice(customers // 10, None)  # drop the warm-up tenth
    t, a = told[warm], actual[warm]
    error = t - a
    erlang = expected_wait(slots, rate, mean_handle)
    close = np.abs(error) <= np.maximum(60.0, 0.25 * a)
    return {
        "actual": float(a.mean()),
        "told": float(t.mean()),
        "mae": float(np.abs(error).mean()),
        "bias": float(error.mean()),
        "close": float(close.mean()),
        "erlang_mae": float(np.abs(erlang - a).mean()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(
        f"{'handle times':<12} {'slots':>5} {'load':>5} {'actual s':>9} {'told s':>8} "
        f"{'MAE s':>7} {'bias s':>7} {'within':>7} {'Erlang MAE':>11}"
    )
    for shape in ("exponential", "lognormal"):
        for slots, load in ((5, 0.7), (5, 0.85), (5, 0.95), (20, 0.9)):
            r = simulate(slots, load, 240.0, shape, args.customers, args.seed)
            print(
                f"{shape:<12} {slots:>5} {load:>5.2f} {r['actual']:>9.1f} {r['told']:>8.1f} "
                f"{r['mae']:>7.1f} {r['bias']:>7.1f} {r['close']:>7.1%} {r['erlang_mae']:>11.1f}"
            )


if __name__ == "__main__":
    main()
