"""Analytics from the event log: six conversations over two channels, seeded event by event
through the repository (so the projection is kept by its append hook), with every metric's
value worked out by hand below; the same figures from SQL and from the facts in memory, after
a rebuild, and on PostgreSQL when WARMLINE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from warmline.analytics.metrics import MetricRow
from warmline.analytics.outcomes import OutcomeRules
from warmline.domain.events import (
    AgentJoined,
    AnswerRated,
    BotReplied,
    ConversationStarted,
    Escalated,
    Event,
    ExperimentAssigned,
    FeedbackGiven,
    MessageReceived,
    Resolved,
    Understood,
    WrappedUp,
)
from warmline.domain.understanding import IntentScore, Understanding
from warmline.errors import InputError
from warmline.services.analytics import Analytics
from warmline.storage.analytics import AnalyticsRepository, Period
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, is_sqlite, session_factory
from warmline.storage.migrate import upgrade

from .conftest import POSTGRES_URL

T0 = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)
RULES = OutcomeRules(
    fcr_window_s=72 * 3600.0,
    abandon_after_s=30 * 60.0,
    bot_conversation_cost=0.10,
    human_minute_cost=1.00,
)
BACKENDS = [
    pytest.param("sqlite+aiosqlite:///:memory:", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="WARMLINE_TEST_POSTGRES_URL not set"),
        ],
    ),
]


@dataclass
class FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


def s(seconds: float, start: datetime) -> datetime:
    return start + timedelta(seconds=seconds)


def understood(at: datetime, intent: str | None, language: str = "en") -> Understood:
    ranking = [IntentScore(intent=intent, probability=0.9)] if intent else []
    zone = "confident" if intent else "out_of_scope"
    return Understood(
        at=at,
        understanding=Understanding(text="…", ranking=ranking, zone=zone, language=language),
    )


def opening(start: datetime, channel: str, customer: str | None) -> list[Event]:
    return [
        ConversationStarted(at=start, pack="airline", customer_id=customer, channel=channel),
        MessageReceived(at=start, text="…"),
    ]


def seeded() -> dict[str, list[Event]]:
    """The six conversations (channel, customer, need) and what happened in each."""
    c1, c2, c3 = T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)
    c4, c5, c6 = T0 + timedelta(hours=1), NOW - timedelta(minutes=10), T0 + timedelta(minutes=30)
    return {
        # web, A, baggage: the bot resolves it in 120 s; rated 5; A comes back (c4) in 1 h
        "c1": [
            *opening(c1, "web", "A"),
            ExperimentAssigned(at=c1, experiment="greeting", arm="a"),
            understood(c1, "baggage"),
            BotReplied(at=s(60, c1), text="…"),
            Resolved(at=s(120, c1), by="bot"),
            FeedbackGiven(at=s(130, c1), rating=5),
            # thumbs on three replies, one of them down (the last thumb on reply 4 counts)
            AnswerRated(at=s(140, c1), reply=2, helpful=True),
            AnswerRated(at=s(141, c1), reply=4, helpful=True),
            AnswerRated(at=s(142, c1), reply=6, helpful=True),
            AnswerRated(at=s(143, c1), reply=4, helpful=False),
        ],
        # web, B, refund: escalated after 60 s, a person joins at 180 s and wraps up at 480 s
        "c2": [
            *opening(c2, "web", "B"),
            ExperimentAssigned(at=c2, experiment="greeting", arm="b"),
            understood(c2, "refund"),
            Escalated(at=s(60, c2), trigger="customer_request"),
            AgentJoined(at=s(180, c2), agent="ann"),
            WrappedUp(at=s(480, c2), agent="ann", disposition="refunded"),
            Resolved(at=s(480, c2), by="agent"),
            FeedbackGiven(at=s(500, c2), rating=2),
            AnswerRated(at=s(510, c2), reply=2, helpful=True),  # one thumb, up
        ],
        # web, nobody known, Spanish: one reply after 30 s, then silence for 1 h 40 min
        "c3": [
            *opening(c3, "web", None),
            understood(c3, None, language="es"),
            BotReplied(at=s(30, c3), text="…"),
        ],
        # sms, A, baggage again: resolved by the bot in 90 s
        "c4": [
            *opening(c4, "sms", "A"),
            understood(c4, "baggage"),
            Resolved(at=s(90, c4), by="bot"),
            AnswerRated(at=s(95, c4), reply=1, helpful=False),  # one thumb, down
        ],
        # sms, C: began 10 min ago, read after 20 s: in progress
        "c5": [*opening(c5, "sms", "C"), understood(s(20, c5), "refund")],
        # sms, D, refund: escalated (frustration) after 40 s, nobody came, the customer left
        "c6": [
            *opening(c6, "sms", "D"),
            understood(c6, "refund"),
            Escalated(at=s(40, c6), trigger="frustration"),
        ],
    }


EXPECTED_BY_CHANNEL = {
    # web: c1, c2, c3, all settled (c3 abandoned)
    ("web", "conversations"): (3.0, 3),
    ("web", "containment_rate"): (1 / 3, 3),  # c1
    ("web", "fcr_rate"): (1 / 3, 3),  # c2 (c1 came back in c4)
    ("web", "abandonment_rate"): (1 / 3, 3),  # c3
    ("web", "csat"): (1 / 2, 2),  # c1's 5 yes, c2's 2 no
    ("web", "ces"): (None, 0),
    ("web", "thumbs_down_share"): ((1 / 3 + 0) / 2, 2),  # c1: 1 of 3 down; c2: 0 of 1
    ("web", "escalation_rate"): (1 / 3, 3),
    ("web", "escalation_rate:customer_request"): (1 / 3, 3),
    ("web", "aht_bot_s"): ((120 + 60 + 30) / 3, 3),
    ("web", "aht_human_s"): (300.0, 1),
    ("web", "cost_per_contact"): ((3 * 0.10 + 300 / 60 * 1.00) / 3, 3),
    # sms: c4, c5 (in progress: not settled), c6 (abandoned in the queue)
    ("sms", "conversations"): (3.0, 3),
    ("sms", "containment_rate"): (1 / 2, 2),  # c4
    ("sms", "fcr_rate"): (1 / 2, 2),  # c4
    ("sms", "abandonment_rate"): (1 / 2, 2),  # c6
    ("sms", "csat"): (None, 0),
    ("sms", "ces"): (None, 0),
    ("sms", "thumbs_down_share"): (1.0, 1),  # c4: its one thumb down
    ("sms", "escalation_rate"): (1 / 3, 3),
    ("sms", "escalation_rate:frustration"): (1 / 3, 3),
    ("sms", "aht_bot_s"): ((90 + 20 + 40) / 3, 3),
    ("sms", "aht_human_s"): (None, 0),
    ("sms", "cost_per_contact"): (0.10, 3),
}


@pytest.fixture(params=BACKENDS)
async def seeded_db(request: pytest.FixtureRequest) -> AsyncIterator[Analytics]:
    url: str = request.param
    if url == "postgres":
        url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    await upgrade(engine)
    if not is_sqlite(url):  # the run's database is shared by its tests
        async with engine.begin() as connection:
            await connection.execute(
                text("TRUNCATE analytics_facts, events, conversations CASCADE")
            )
    analytics = Analytics(AnalyticsRepository(engine), RULES, FixedClock(NOW))
    repo = ConversationRepository(session_factory(engine), single_writer=is_sqlite(url))
    repo.after_append = analytics.on_append
    for cid, log in seeded().items():  # c6 after c4: a log's order of appending is its own
        first = log[0]
        assert isinstance(first, ConversationStarted)
        await repo.create(cid, "airline", first.customer_id, first.channel, log[:1], first.at)
        version = 1
        for event in log[1:]:  # one append per event, as turns and agents do
            version = await repo.append(cid, version, [event], event.at)
    yield analytics
    await engine.dispose()


def table(rows: list[MetricRow]) -> dict[tuple[str, str], tuple[float | None, int]]:
    return {(r.group, r.metric): (r.value, r.n) for r in rows}


def assert_figures(
    rows: list[MetricRow], expected: dict[tuple[str, str], tuple[float | None, int]]
):
    found = table(rows)
    assert set(found) == set(expected)
    for key, (value, n) in expected.items():
        got_value, got_n = found[key]
        assert got_n == n, key
        assert got_value == (None if value is None else pytest.approx(value)), key


async def test_metrics_by_channel_are_the_hand_computed_ones(seeded_db: Analytics) -> None:
    rows = await seeded_db.report(T0 - timedelta(days=1), "channel")
    assert {r.dimension for r in rows} == {"channel"}
    assert_figures(rows, EXPECTED_BY_CHANNEL)


async def test_sql_sums_and_facts_in_memory_agree(seeded_db: Analytics) -> None:
    """``language`` is summed in SQL; the same grouping from the facts (as for an
    ``arm:`` dimension) gives the same figures."""
    from warmline.analytics.metrics import by_segment, metric_rows

    since = T0 - timedelta(days=1)
    in_sql = await seeded_db.report(since, "language")
    in_memory = metric_rows("language", by_segment(await seeded_db.facts(since), "language"), RULES)
    assert_figures(in_sql, table(in_memory))
    assert {r.group for r in in_sql} == {"en", "es"}


async def test_facts_carry_segments_and_outcomes(seeded_db: Analytics) -> None:
    facts = {f.conversation_id: f for f in await seeded_db.facts(T0 - timedelta(days=1))}
    assert list(facts) == ["c1", "c2", "c3", "c6", "c4", "c5"]  # by start
    c1, c2, c5 = facts["c1"], facts["c2"], facts["c5"]
    assert c1.segments == {
        "pack": "airline",
        "channel": "web",
        "language": "en",
        "arm:greeting": "a",
    }
    assert c1.outcomes["fcr"] == 0.0 and c1.outcomes["contained"] == 1.0
    assert c2.escalation_trigger == "customer_request" and c2.outcomes["aht_human_s"] == 300.0
    assert c2.outcomes["cost"] == pytest.approx(5.10)
    assert c5.outcomes["contained"] is None and c5.outcomes["abandoned"] is None


async def test_experiment_arm_is_a_dimension(seeded_db: Analytics) -> None:
    rows = table(await seeded_db.report(T0 - timedelta(days=1), "arm:greeting"))
    assert rows[("a", "containment_rate")] == (1.0, 1)
    assert rows[("b", "containment_rate")] == (0.0, 1)
    assert rows[("(none)", "conversations")] == (4.0, 4)


async def test_period_and_pack_select_the_conversations(seeded_db: Analytics) -> None:
    since = T0 + timedelta(minutes=15)  # c3, c6, c4, c5
    until = T0 + timedelta(hours=1, minutes=1)  # c3, c6, c4
    rows = table(await seeded_db.report(since, "channel", until=until))
    assert rows[("web", "conversations")] == (1.0, 1) and rows[("sms", "conversations")] == (2.0, 2)
    assert await seeded_db.report(since, "channel", pack="retail") == []
    with pytest.raises(InputError):
        await seeded_db.report(since, "channel", until=since)


async def test_rebuild_refolds_the_same_projection(seeded_db: Analytics) -> None:
    since = T0 - timedelta(days=1)
    before = await seeded_db.report(since, "channel")
    assert await seeded_db.rebuild() == 6
    assert await seeded_db.report(since, "channel") == before


async def test_a_row_behind_its_log_is_refolded_on_the_next_append(seeded_db: Analytics) -> None:
    """A conversation appended before the projection existed (no row) is folded from its log
    when its next events come."""
    store = seeded_db.store
    async with store.begin() as connection:
        await connection.execute(text("DELETE FROM analytics_facts WHERE conversation_id = 'c4'"))
    seeded_db._recent.clear()
    async with store.begin() as connection:
        await seeded_db.on_append(connection, "c4", 5, [FeedbackGiven(at=NOW, rating=4)])
    facts = {f.conversation_id: f for f in await seeded_db.facts(T0 - timedelta(days=1))}
    assert facts["c4"].outcomes["csat"] == 1.0 and facts["c4"].outcomes["aht_bot_s"] == 90.0
    assert facts["c4"].outcomes["thumbs_down_share"] == 1.0


async def test_thumbs_continue_from_the_stored_row(seeded_db: Analytics) -> None:
    """A worker without the tally in memory continues from the row, which keeps each reply's
    thumb: turning c1's one thumb down on reply 4 up leaves no thumb down of three."""
    seeded_db._recent.clear()
    async with seeded_db.store.begin() as connection:
        await seeded_db.on_append(
            connection, "c1", 11, [AnswerRated(at=NOW, reply=4, helpful=True)]
        )
    (row,) = [r for r in await seeded_db.store.rows(Period(0.0)) if r["conversation_id"] == "c1"]
    assert (row["thumbs_n"], row["thumbs_down"]) == (3, 0)
    rows = table(await seeded_db.report(T0 - timedelta(days=1), "channel"))
    assert rows[("web", "thumbs_down_share")] == (0.0, 2)
