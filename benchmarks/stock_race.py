"""The race for the last units, measured: customers in concurrent conversations all ask to
exchange (or change) their jigsaw puzzle into one variant with a few units left, while other
sales of the product arrive as stock events (the back office's webhook into warmline's stock
view)::

    WARMLINE_ENCODER_PRECISION=int8 .venv/bin/python benchmarks/stock_race.py \
        [--customers 50] [--units 3] [--rounds 3] [--json OUT]

In process: the conversation service (``ConversationService.post_message``, every stage of a
turn), the retail pack, a SQLite file, the reference back office over an ASGI transport (as
``tests/test_stock_race.py``, which asserts the same figures). Each round starts from the
shipped data. Prints, per round and in all: customers, units, promises (confirmations asked
for), held (promises carrying a hold made in the back office), written or waiting for a
person after the yes, oversold (units sold that were not there, by the back office's own
count), told sold out, stock events heard, and the p50 and p90 of a turn's time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.stock_race import RaceResult, race, race_runtime  # noqa: E402

from warmline.nlu.embeddings import load_encoder  # noqa: E402


def figures(result: RaceResult) -> dict[str, Any]:
    turns = sorted(t for o in result.outcomes for t in o.turn_s)
    return {
        "customers": len(result.outcomes),
        "units": result.units,
        "promises": result.promises,
        "held": result.held,
        "written": result.executed,
        "awaiting_approval": result.awaiting,
        "oversold": result.oversold,
        "told_sold_out": result.told_sold_out,
        "events_heard": result.events_heard,
        "turns": len(turns),
        "p50_turn_ms": round(statistics.median(turns) * 1000, 1),
        "p90_turn_ms": round(turns[int(0.9 * (len(turns) - 1))] * 1000, 1),
        "wall_s": round(result.wall_s, 2),
    }


async def main(customers: int, units: int, rounds: int, model_dir: Path) -> list[dict[str, Any]]:
    encoder = load_encoder()
    rows = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as workdir:
            async with race_runtime(encoder, model_dir, Path(workdir)) as (runtime, backoffice):
                result = await race(runtime, backoffice, customers=customers, units=units)
        rows.append(figures(result))
        print(json.dumps(rows[-1]), flush=True)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("::")[0])
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--units", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model-dir", type=Path, default=ROOT / "var" / "models")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    found = asyncio.run(main(args.customers, args.units, args.rounds, args.model_dir))
    total = {
        key: sum(r[key] for r in found)
        for key in ("promises", "held", "written", "oversold", "told_sold_out")
    }
    print(f"{len(found)} rounds of {args.customers} customers for {args.units} units: {total}")
    print(f"p50 turn: {statistics.median(r['p50_turn_ms'] for r in found)} ms")
    if args.json:
        args.json.write_text(json.dumps(found, indent=2))
