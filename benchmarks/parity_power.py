"""The parity monitor's power and false flags on synthetic conversations
(``tests/parity_facts.py``): a channel's escalation rate planted ``--gap`` higher over
``--conversations`` split evenly between two channels, over ``--seeds`` seeds per base rate;
the detection rate (the planted gap flagged on escalation_rate) and, on the same data with no
gap, the false flag rate (any row flagged). Every metric is tested; ``--languages 2`` adds a
second, gap-free dimension to the family the correction runs over; ``--configured-reference``
names web the channel reference (its own row is then not tested).

    .venv/bin/python benchmarks/parity_power.py --seeds 200
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.parity_facts import planted  # noqa: E402

from warmline.analytics.parity import ParitySettings, parity  # noqa: E402


def measure(base: float, args: argparse.Namespace) -> dict[str, float]:
    references = {"channel": "web"} if args.configured_reference else {}
    settings = ParitySettings(correction=args.correction, references=references)
    languages = ("en", "es")[: args.languages]
    detected = false = tested = 0
    started = time.perf_counter()
    for seed in range(args.seeds):
        facts = planted(
            seed,
            conversations=args.conversations,
            escalation=base,
            gaps={"sms": args.gap},
            languages=languages,
        )
        rows = parity(facts, settings)
        detected += any(
            r.flagged and r.metric == "escalation_rate" and r.group == "sms" for r in rows
        )
        null = parity(
            planted(
                10_000 + seed,
                conversations=args.conversations,
                escalation=base,
                languages=languages,
            ),
            settings,
        )
        false += any(r.flagged for r in null)
        tested = sum(r.p_value is not None for r in null)
    seconds = (time.perf_counter() - started) / (2 * args.seeds)
    return {
        "base": base,
        "detection_rate": detected / args.seeds,
        "false_flag_rate": false / args.seeds,
        "comparisons_per_run": tested,
        "ms_per_run": round(seconds * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--gap", type=float, default=0.05)
    parser.add_argument("--bases", type=float, nargs="+", default=[0.05, 0.10, 0.15, 0.20, 0.30])
    parser.add_argument("--languages", type=int, choices=(1, 2), default=1)
    parser.add_argument("--correction", choices=("bh", "holm"), default="bh")
    parser.add_argument(
        "--configured-reference",
        action="store_true",
        help="channel=web configured as the reference (one-sided, not compared back)",
    )
    args = parser.parse_args()
    results = [measure(base, args) for base in args.bases]
    print(json.dumps({"settings": vars(args), "results": results}, indent=2))


if __name__ == "__main__":
    main()
