"""The race for the last units: 50 customers in concurrent conversations ask to exchange (or
change) their jigsaw puzzle into one variant with 3 units left, while other sales arrive as
stock events. No more than 3 confirmations are asked for, each backed by a hold in the back
office; every other customer is told plainly that the option sold out; the back office never
sells a unit it does not have. (``tests/stock_race.py`` drives the conversations.)"""

from __future__ import annotations

from pathlib import Path

from tests.stock_race import TARGET, race, race_runtime
from warmline.nlu.embeddings import Encoder

CUSTOMERS, UNITS = 50, 3


async def test_fifty_customers_racing_for_three_units_get_three_held_promises(
    encoder: Encoder, model_cache: Path, tmp_path: Path
) -> None:
    async with race_runtime(encoder, model_cache, tmp_path) as (runtime, backoffice):
        result = await race(runtime, backoffice, customers=CUSTOMERS, units=UNITS)
    promised = [o for o in result.outcomes if o.promised]
    assert result.promises == UNITS  # every unit promised once, none twice
    assert result.held == result.promises  # 0 promises of stock not held
    others = [o for o in result.outcomes if not o.promised]
    assert len(others) == CUSTOMERS - UNITS
    assert all(o.told_sold_out for o in others), [
        o.last_reply for o in others if not o.told_sold_out
    ]
    for outcome in others:
        assert "just sold out" in outcome.last_reply
        assert "Nothing has been promised" in outcome.last_reply
    # the yes: each promise is written (converting its hold) or waits for a person, its unit
    # still held for them; the back office sold nothing it did not have
    assert all(o.executed or o.awaiting for o in promised)
    sold = sum(o.executed for o in promised)
    after = result.stock_after
    assert after["item_id"] == TARGET and result.oversold == 0
    assert (after["stock"], after["held"], after["free"]) == (UNITS - sold, UNITS - sold, 0)
    assert result.events_heard > 0  # the figures came from the back office's events
