"""The learning loop's review queue: turns worth a human label found in seeded event logs, one
conversation per reason (and two that are worth nothing), collected incrementally and
idempotently, labelled with a pack's intent or ``oos`` (anything else refused), dismissed,
the misclassification log, and the reviewed examples a retraining reads; on SQLite, and on
PostgreSQL when WARMLINE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.analytics.review import ReviewRules, candidates
from warmline.domain.decision import Decision, Reason
from warmline.domain.events import (
    AgentJoined,
    AnswerRated,
    BotReplied,
    ConversationStarted,
    Decided,
    Escalated,
    Event,
    MessageReceived,
    SegmentsNoted,
    Understood,
    WrappedUp,
    event_to_json,
)
from warmline.domain.understanding import DialogueActs, IntentScore, Understanding, Zone
from warmline.errors import ConflictError, InputError, NotFound
from warmline.services.audit import AuditLog
from warmline.services.learning import Learning, ReviewedExample
from warmline.storage.audit import AuditRepository
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, is_sqlite, session_factory
from warmline.storage.learning import LearningRepository
from warmline.storage.migrate import upgrade
from warmline.storage.tables import EventRow

from .conftest import POSTGRES_URL

T0 = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=3)
INTENTS = {"airline": ["baggage", "refund", "cancel_bag", "cancel_reservation", "oos"]}
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


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def turn(
    when: datetime,
    said: str,
    ranking: list[tuple[str, float]],
    zone: Zone = "confident",
    codes: tuple[str, ...] = ("nlu",),
    acts: DialogueActs | None = None,
    verify_fact: str | None = None,
) -> list[Event]:
    """One customer turn: the message, its reading, the decision, and the bot's reply."""
    scores = [IntentScore(intent=i, probability=p) for i, p in ranking]
    reading = Understanding(text=said, ranking=scores, zone=zone, acts=acts)
    reasons = [Reason(code=code, detail="") for code in codes]  # type: ignore[arg-type]
    decision = Decision(
        kind="answer", intent=ranking[0][0] if ranking else None, reasons=reasons,
        verify_method="zip" if verify_fact else None, verify_fact=verify_fact,
    )  # fmt: skip
    return [
        MessageReceived(at=when, text=said),
        Understood(at=when, understanding=reading),
        Decided(at=when, decision=decision),
        BotReplied(at=when, text="…"),
    ]


def started(when: datetime, channel: str = "web") -> ConversationStarted:
    return ConversationStarted(at=when, pack="airline", customer_id="C1", channel=channel)


def seeded() -> dict[str, list[Event]]:
    """One conversation per reason, and two whose turns are worth no label."""
    return {
        # confident, far ahead of the second: nothing to review
        "sure": [started(at(0)), *turn(at(0), "where is my bag", [("baggage", 0.95)])],
        # the bot was not sure, and the two first were close: low confidence and disagreement
        "unsure": [
            started(at(1), "sms"),
            SegmentsNoted(at=at(1), segments={"tier": "gold"}),
            *turn(
                at(1), "money back for the bag?", [("refund", 0.45), ("baggage", 0.40)], "clarify"
            ),
        ],
        # confident but under 0.7: low confidence only
        "low": [started(at(2)), *turn(at(2), "bag fee", [("baggage", 0.62), ("refund", 0.1)])],
        # out of scope and sure of it: nothing
        "offtopic": [
            started(at(3)),
            *turn(at(3), "what's the weather", [("oos", 0.93)], "out_of_scope", ("out_of_scope",)),
        ],
        # read as baggage, the person wrapping up said refund: corrected
        "corrected": [
            started(at(4)),
            *turn(at(4), "I want my money for the bag", [("baggage", 0.91), ("refund", 0.05)]),
            Escalated(at=at(5), trigger="customer_request"),
            AgentJoined(at=at(6), agent="ana"),
            WrappedUp(at=at(9), agent="ana", disposition="done", corrected_intent="refund"),
        ],
        # a thumb down on the reply (position 1) to a confident turn: thumbs down
        "thumbs": [
            started(at(10)),
            *turn(at(10), "cancel my booking", [("cancel_reservation", 0.93)]),
            AnswerRated(at=at(11), reply=1, helpful=False),
        ],
        # the customer corrected the reading in the next turn: disagreement on the first;
        # a yes and a fact given for verification are answers, never candidates
        "correction": [
            started(at(20)),
            *turn(at(20), "remove the bag", [("cancel_bag", 0.9)], verify_fact="zip code"),
            *turn(at(21), "90210", [("refund", 0.2)], "out_of_scope"),
            *turn(at(22), "yes", [("refund", 0.3)], "out_of_scope", ("confirmed",)),
            *turn(
                at(23),
                "not the bag, the booking itself",
                [("cancel_reservation", 0.88)],
                acts=DialogueActs(acts=["correction"], negated="the bag", meant="the booking"),
            ),
        ],
    }


def reasons_of(found: dict[str, list[tuple[int, list[str]]]], cid: str) -> list[list[str]]:
    return [codes for _, codes in found.get(cid, [])]


def test_each_reason_is_found_and_confident_turns_are_not() -> None:
    found = {cid: [(c.seq, c.codes) for c in candidates(cid, log)] for cid, log in seeded().items()}
    assert reasons_of(found, "sure") == [] and reasons_of(found, "offtopic") == []
    assert reasons_of(found, "unsure") == [["disagreement", "low_confidence"]]
    assert reasons_of(found, "low") == [["low_confidence"]]
    assert reasons_of(found, "corrected") == [["corrected"]]
    assert reasons_of(found, "thumbs") == [["thumbs_down"]]
    assert found["correction"] == [(2, ["disagreement"])]  # the first turn's message, seq 2


def test_a_candidate_carries_the_reading_and_the_segments() -> None:
    (unsure,) = candidates("unsure", seeded()["unsure"])
    assert (unsure.seq, unsure.text, unsure.predicted, unsure.zone) == (
        3, "money back for the bag?", "refund", "clarify"
    )  # fmt: skip
    assert unsure.confidence == 0.45 and unsure.alternatives == [("baggage", 0.4)]
    assert unsure.segments == {
        "pack": "airline",
        "channel": "sms",
        "language": "en",
        "tier": "gold",
    }
    assert "0.45" in unsure.reasons[1].detail and "margin of 0.05" in unsure.reasons[0].detail
    (corrected,) = candidates("corrected", seeded()["corrected"])
    assert corrected.suggested == "refund" and "said it was refund" in corrected.reasons[0].detail
    stricter = ReviewRules(confidence_below=0.5, margin_below=0.01)
    assert candidates("low", seeded()["low"], stricter) == []


def test_a_request_reopened_in_the_next_turn_queues_the_turn_it_reopened() -> None:
    log = [
        started(at(0)),
        *turn(at(0), "cancel my booking", [("cancel_reservation", 0.92)]),
        *turn(
            at(1), "no, I meant the other one", [("cancel_reservation", 0.9)],
            codes=("request_reopened",),
        ),
    ]  # fmt: skip
    (found,) = candidates("reopened", log)
    assert (found.seq, found.codes) == (2, ["disagreement"])
    assert "re-opened the request" in found.reasons[0].detail


def test_a_correction_that_agrees_with_the_bot_is_no_misreading() -> None:
    agreed = WrappedUp(at=at(9), agent="ana", disposition="done", corrected_intent="baggage")
    log = [*seeded()["corrected"][:-1], agreed]
    assert candidates("corrected", log) == []


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    url: str = request.param
    if url == "postgres":
        url = request.getfixturevalue("postgres_database")
    made = create_engine(url)
    await upgrade(made)
    if not is_sqlite(url):  # the run's database is shared by its tests
        async with made.begin() as connection:
            await connection.execute(
                text(
                    "TRUNCATE review_items, review_watermark, audit_log, analytics_facts, "
                    "events, conversations CASCADE"
                )
            )
    yield made
    await made.dispose()


async def seed(engine: AsyncEngine, logs: dict[str, list[Event]]) -> ConversationRepository:
    repo = ConversationRepository(session_factory(engine), single_writer=True)
    for cid, log in logs.items():
        first = log[0]
        assert isinstance(first, ConversationStarted)
        await repo.create(cid, "airline", first.customer_id, first.channel, log[:1], first.at)
        await repo.append(cid, 1, log[1:], log[-1].at)
    return repo


def learning(engine: AsyncEngine) -> Learning:
    audit = AuditLog(AuditRepository(session_factory(engine)), FixedClock(NOW))
    return Learning(LearningRepository(engine), audit, INTENTS, FixedClock(NOW))


async def test_collecting_is_incremental_and_idempotent(engine: AsyncEngine) -> None:
    logs = seeded()
    repo = await seed(engine, logs)
    loop = learning(engine)
    first = await loop.collect()
    assert first.added == 5 and first.watermark > 0
    again = await loop.collect()
    assert again.added == 0 and again.conversations == 0 and again.watermark == first.watermark
    queue = await loop.queue()
    # by value: corrected, thumbs down, then disagreement and low confidence, each by the
    # lowest confidence first
    order = ["corrected", "thumbs", "unsure", "correction", "low"]
    assert [i.conversation_id for i in queue] == order
    # a thumb down on the confident conversation's reply queues it; the rest stays as it was
    await repo.append(
        "sure", len(logs["sure"]), [AnswerRated(at=at(30), reply=1, helpful=False)], at(30)
    )
    later = await loop.collect()
    assert later.added == 1 and later.conversations == 1
    assert (await loop.counts())["open"] == 6
    # a thumb down on a turn already queued for its low confidence adds the reason to it
    thumb = AnswerRated(at=at(31), reply=1, helpful=False)
    await repo.append("low", len(logs["low"]), [thumb], at(31))
    assert (await loop.collect()).added == 0
    low = next(i for i in await loop.queue() if i.conversation_id == "low")
    assert low.codes == ["thumbs_down", "low_confidence"]
    assert [i.conversation_id for i in await loop.queue()][:4] == [
        "corrected",
        "low",
        "thumbs",
        "sure",
    ]


async def test_events_newer_than_the_settling_time_are_read_again(engine: AsyncEngine) -> None:
    await seed(engine, {"low": seeded()["low"]})
    audit = AuditLog(AuditRepository(session_factory(engine)))
    loop = Learning(LearningRepository(engine), audit, INTENTS, FixedClock(at(2)))
    found = await loop.collect()
    assert found.added == 1 and found.watermark == 0  # too fresh to move past
    assert (await loop.collect()).added == 0  # read again, nothing new


async def test_labels_are_checked_audited_and_feed_the_examples(engine: AsyncEngine) -> None:
    await seed(engine, seeded())
    loop = learning(engine)
    await loop.collect()
    by_cid = {i.conversation_id: i for i in await loop.queue()}
    unsure, low, corrected = by_cid["unsure"], by_cid["low"], by_cid["corrected"]
    with pytest.raises(InputError, match="not an intent of airline"):
        await loop.label(unsure.id, "greeting_card", "sue")
    with pytest.raises(NotFound):
        await loop.label(99_999, "refund", "sue")
    labelled = await loop.label(unsure.id, "refund", "sue")
    assert (labelled.status, labelled.label, labelled.reviewer) == ("labelled", "refund", "sue")
    await loop.label(low.id, "oos", "sue")
    await loop.dismiss(by_cid["thumbs"].id, "sue")
    with pytest.raises(ConflictError, match="dismissed"):
        await loop.dismiss(by_cid["thumbs"].id, "sue")
    assert [i.conversation_id for i in await loop.queue()] == ["corrected", "correction"]
    examples = await loop.reviewed_examples("airline")
    assert examples == [
        ReviewedExample(
            unsure.id, "money back for the bag?", "refund",
            {"pack": "airline", "channel": "sms", "language": "en", "tier": "gold"},
        ),
        ReviewedExample(low.id, "bag fee", "oos", {"pack": "airline", "channel": "web", "language": "en"}),
    ]  # fmt: skip
    assert await loop.reviewed_examples("retail") == []
    log = {i.conversation_id for i in await loop.misclassifications()}
    assert log == {"corrected", "low"}  # corrected by a person; labelled oos, read baggage
    await loop.label(corrected.id, "baggage", "sue")  # the reviewer sides with the bot
    assert {i.conversation_id for i in await loop.misclassifications()} == {"low"}
    audited = await loop.audit.entries(subject=f"review:{unsure.id}")
    assert [(e.actor, e.action, e.detail["label"]) for e in audited] == [
        ("sue", "review.label", "refund")
    ]
    assert "text" not in audited[0].detail


async def test_an_erased_text_leaves_the_examples(engine: AsyncEngine) -> None:
    """The text is read from the turn's event: erasing it there erases it from the queue."""
    await seed(engine, {"low": seeded()["low"]})
    loop = learning(engine)
    await loop.collect()
    (item,) = await loop.queue()
    await loop.label(item.id, "baggage", "sue")
    async with engine.begin() as connection:
        erased = event_to_json(MessageReceived(at=at(2), text=""))
        await connection.execute(
            update(EventRow)
            .where(EventRow.conversation_id == "low", EventRow.seq == 2)
            .values(payload=erased)
        )
    assert (await loop.get(item.id)).text == ""
    assert await loop.reviewed_examples("airline") == []
