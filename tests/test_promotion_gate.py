"""The promotion gate (policy/promotion.py), pure: a segment group worse beyond noise blocks
and says by how much, a small noisy group cannot block, overall worse blocks, nothing held out
refuses, and the correction over the groups is the parity monitor's."""

from __future__ import annotations

import pytest

from warmline.analytics.parity import adjust
from warmline.policy.promotion import GateSettings, Outcome, gate


def _items(
    segments: dict[str, str], n: int, *, both: int, regressed: int = 0, improved: int = 0
) -> list[Outcome]:
    """``n`` items: ``both`` read right by both models, ``regressed`` right only before,
    ``improved`` right only after, the rest wrong in both."""
    rows = [(True, True)] * both + [(True, False)] * regressed + [(False, True)] * improved
    rows += [(False, False)] * (n - len(rows))
    return [Outcome(segments, before, after) for before, after in rows]


def test_a_segment_worse_beyond_noise_blocks_and_says_by_how_much() -> None:
    # web improves a lot (overall goes up), sms loses 9 items it read right and gains none
    web = _items({"channel": "web"}, 60, both=30, improved=20)
    sms = _items({"channel": "sms"}, 30, both=15, regressed=9)
    verdict = gate(web + sms, GateSettings(), adjust)
    assert verdict.overall.after > verdict.overall.before and not verdict.overall.blocks
    assert not verdict.promote
    blocking = [g for g in verdict.groups if g.blocks]
    assert [(g.dimension, g.group) for g in blocking] == [("channel", "sms")]
    sms_check = blocking[0]
    assert (sms_check.regressed, sms_check.improved) == (9, 0)
    assert sms_check.p_value == pytest.approx(0.5**9)
    assert sms_check.p_adjusted is not None and sms_check.p_adjusted < 0.05
    assert any(
        "channel=sms worse beyond noise" in r and "-30.0 points" in r for r in verdict.reasons
    )


def test_a_small_noisy_group_cannot_block() -> None:
    # the same loss in a group of 8 is too few to judge
    web = _items({"channel": "web"}, 60, both=30, improved=20)
    sms = _items({"channel": "sms"}, 8, both=0, regressed=8)
    verdict = gate(web + sms, GateSettings(min_n=20), adjust)
    assert verdict.promote
    sms_check = next(g for g in verdict.groups if g.group == "sms")
    assert sms_check.note == "too_few" and sms_check.p_value is None
    assert any("channel=sms: 8 held-out items, too few to judge" in r for r in verdict.reasons)


def test_a_worse_group_within_noise_does_not_block() -> None:
    # 3 regressed and 1 improved out of 40: p = 5/16, not beyond noise
    web = _items({"channel": "web"}, 60, both=30, improved=10)
    sms = _items({"channel": "sms"}, 40, both=30, regressed=3, improved=1)
    verdict = gate(web + sms, GateSettings(), adjust)
    sms_check = next(g for g in verdict.groups if g.group == "sms")
    assert sms_check.note == "not_significant" and sms_check.p_value == pytest.approx(5 / 16)
    assert verdict.promote


def test_overall_worse_blocks_even_when_no_group_is_significant() -> None:
    items = _items({"channel": "web"}, 50, both=40, regressed=2, improved=1)
    verdict = gate(items, GateSettings(), adjust)
    assert verdict.overall.blocks and not verdict.promote
    assert verdict.reasons[0].startswith("overall worse: 42/50 (84.0%) read right before")


def test_the_correction_over_groups_can_spare_a_group_the_raw_test_would_block() -> None:
    # five groups; one with 5 regressed, 0 improved: raw p = 1/32 < 0.05, Holm x5 > 0.05
    items = _items({"tier": "gold"}, 30, both=20, regressed=5)
    for name in ("silver", "bronze", "basic", "none"):
        items += _items({"tier": name}, 30, both=20, improved=3)
    held = gate(items, GateSettings(correction="none"))
    spared = gate(items, GateSettings(correction="holm"), adjust)
    gold = next(g for g in held.groups if g.group == "gold")
    assert gold.blocks and not held.promote
    assert next(g for g in spared.groups if g.group == "gold").note == "not_significant"
    assert spared.promote


def test_every_dimension_is_judged_on_the_same_items() -> None:
    items = [Outcome({"channel": "sms", "tier": "gold"}, True, False)] * 10
    items += [Outcome({"channel": "web", "tier": "gold"}, False, True)] * 12
    verdict = gate(items, GateSettings(min_n=5), adjust)
    found = {(g.dimension, g.group): (g.n, g.note) for g in verdict.groups}
    assert found == {
        ("channel", "sms"): (10, "worse"),
        ("channel", "web"): (12, "not_worse"),
        ("tier", "gold"): (22, "not_worse"),
    }
    assert not verdict.promote


def test_nothing_held_out_is_refused() -> None:
    verdict = gate([], GateSettings(), adjust)
    assert not verdict.promote and verdict.reasons[0].startswith("nothing held out")


def test_a_correction_without_its_adjustment_is_an_error() -> None:
    with pytest.raises(ValueError, match="holm"):
        gate([], GateSettings(correction="holm"))
