"""The parity monitor (analytics/parity.py): a planted disparity is flagged with significance,
a planted non-disparity is not, small groups are reported and never flagged, the correction
runs over the whole run, and the JSON contract's keys."""

from __future__ import annotations

from warmline.analytics.parity import (
    CONTRACT_KEYS,
    ParitySettings,
    adjust,
    parity,
    proportion_test,
)

from .parity_facts import planted

SEEDS = range(10)


def _row(rows, metric, dimension, group):  # type: ignore[no-untyped-def]
    return next(r for r in rows if (r.metric, r.dimension, r.group) == (metric, dimension, group))


def test_a_channel_escalated_5_points_more_over_2000_conversations_is_flagged() -> None:
    rows = parity(planted(1, escalation=0.10, gaps={"sms": 0.05}))
    sms = _row(rows, "escalation_rate", "channel", "sms")
    assert sms.flagged and sms.note == "flagged"
    assert sms.n == 1000 and sms.reference_n == 1000
    assert sms.p_adjusted is not None and sms.p_adjusted < 0.05
    assert sms.difference is not None and 0.02 < sms.difference < 0.09
    assert not any(r.flagged for r in rows if r.dimension == "language")


def test_the_planted_gap_is_flagged_whichever_equal_group_is_the_reference() -> None:
    for gapped in ("sms", "web"):  # with two equal groups, the reference is the first by name
        rows = parity(planted(2, escalation=0.10, gaps={gapped: 0.06}))
        flagged = {r.group for r in rows if r.flagged and r.metric == "escalation_rate"}
        assert flagged == {gapped}


def test_detection_over_seeds_and_no_flag_without_a_gap() -> None:
    detected = sum(
        _row(
            parity(planted(s, escalation=0.10, gaps={"sms": 0.05})),
            "escalation_rate",
            "channel",
            "sms",
        ).flagged
        for s in SEEDS
    )
    false = sum(any(r.flagged for r in parity(planted(100 + s, escalation=0.10))) for s in SEEDS)
    assert (
        detected >= 7
    )  # about 0.84 at this base rate (docs/parity.md, benchmarks/parity_power.py)
    assert false <= 2


def test_a_configured_reference_is_not_tested_itself() -> None:
    settings = ParitySettings(references={"channel": "web"})
    rows = parity(planted(3, escalation=0.10, gaps={"sms": 0.05}), settings)
    web = _row(rows, "escalation_rate", "channel", "web")
    assert web.note == "reference" and web.p_value is None and not web.flagged
    assert _row(rows, "escalation_rate", "channel", "sms").reference_group == "web"


def test_a_group_below_the_minimum_is_reported_and_never_flagged() -> None:
    facts = planted(4, conversations=1050, channels=("web",) * 20 + ("sms",), gaps={"sms": 0.5})
    rows = parity(facts)
    sms = _row(rows, "escalation_rate", "channel", "sms")
    assert sms.n == 50 and sms.value is not None
    assert sms.note == "below_min_n" and sms.p_value is None and not sms.flagged


def test_a_better_group_is_not_flagged() -> None:
    settings = ParitySettings(references={"channel": "web"})
    rows = parity(planted(5, escalation=0.20, gaps={"sms": -0.08}), settings)
    sms = _row(rows, "escalation_rate", "channel", "sms")
    assert not sms.flagged and sms.difference is not None and sms.difference < 0


def test_a_significant_but_small_gap_is_not_flagged() -> None:
    settings = ParitySettings(references={"channel": "web"}, min_rate_gap=0.10)
    rows = parity(planted(1, escalation=0.10, gaps={"sms": 0.05}), settings)
    sms = _row(rows, "escalation_rate", "channel", "sms")
    assert sms.note == "not_material" and not sms.flagged


def test_small_counts_take_fishers_exact_test() -> None:
    assert proportion_test(3, 120, 0, 120, "greater")[0] == "fisher_exact"
    assert proportion_test(30, 120, 10, 120, "greater")[0] == "two_proportion_z"


def test_benjamini_hochberg_and_holm() -> None:
    p = [0.01, 0.02, 0.03, 0.5]
    assert [round(x, 4) for x in adjust(p, "bh")] == [0.04, 0.04, 0.04, 0.5]
    assert [round(x, 4) for x in adjust(p, "holm")] == [0.04, 0.06, 0.06, 0.5]


def test_the_json_row_has_exactly_the_contract_keys() -> None:
    row = parity(planted(1, escalation=0.10, gaps={"sms": 0.05}))[0]
    assert tuple(row.contract()) == CONTRACT_KEYS == (
        "metric", "dimension", "group", "value", "n", "reference_group", "reference_value",
        "difference", "p_value", "p_adjusted", "flagged",
    )  # fmt: skip


def test_cost_has_no_direction_and_is_reported_only() -> None:
    rows = parity(planted(1, escalation=0.10, gaps={"sms": 0.05}))
    cost = _row(rows, "cost", "channel", "sms")
    assert cost.p_adjusted is not None and cost.p_adjusted < 0.05  # a real gap: more people
    assert cost.note == "reported_only" and not cost.flagged
