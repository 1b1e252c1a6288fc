"""The review queue in real Chromium, against the real server: three earlier conversations
written through the conversation repository (one an agent corrected at wrap-up, one the bot
was unsure of, one read with low confidence), then a customer on the chat page gives the bot's
answer a thumb down. An agent opens the review queue from the console: every turn is there
with why it is queued (the customer's own turn too, collected when the page loaded), the
agent labels the unsure one and it leaves the queue for the misclassification log. The
screenshot is docs/console-review.png."""

# ruff: noqa: F811 (the browser fixture, imported, is a parameter of the tests)
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warmline.domain.decision import Decision, Reason
from warmline.domain.events import (
    AgentJoined,
    BotReplied,
    ConversationStarted,
    Decided,
    Escalated,
    Event,
    MessageReceived,
    SegmentsNoted,
    Understood,
    WrappedUp,
)
from warmline.domain.understanding import IntentScore, Understanding, Zone
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade

from .live import live_stack
from .test_browser import DOCS, _page, browser, pytestmark  # noqa: F401 (fixture, marks)

ASK = "where is my reservation 4WQ150?"


def _turn(at: datetime, said: str, ranking: list[tuple[str, float]], zone: Zone) -> list[Event]:
    scores = [IntentScore(intent=i, probability=p) for i, p in ranking]
    kind = "answer" if zone == "confident" else "clarify"
    decision = Decision(kind=kind, intent=ranking[0][0], reasons=[Reason(code="nlu", detail="")])
    return [
        MessageReceived(at=at, text=said),
        Understood(at=at, understanding=Understanding(text=said, ranking=scores, zone=zone)),
        Decided(at=at, decision=decision),
        BotReplied(at=at, text="…"),
    ]


def _logs(now: datetime) -> dict[str, list[Event]]:
    a, b, c = (now - timedelta(hours=h) for h in (5, 3, 2))
    return {
        "3f6b2a10-5c4e-4d1a-9b7e-2f8c1d0a6e41": [
            ConversationStarted(at=a, pack="airline", customer_id="mia_li_3668", channel="web"),
            SegmentsNoted(at=a, segments={"tier": "gold"}),
            *_turn(
                a, "my bag never showed up at the carousel in Denver",
                [("baggage_allowance", 0.81), ("lost_or_damaged_bag", 0.12)], "confident",
            ),
            Escalated(at=a + timedelta(minutes=1), trigger="customer_request"),
            AgentJoined(at=a + timedelta(minutes=3), agent="ben"),
            WrappedUp(
                at=a + timedelta(minutes=9), agent="ben", disposition="resolved",
                corrected_intent="lost_or_damaged_bag",
            ),
        ],
        "a81d47c2-0e9b-4f36-8c55-71b2e9d4f803": [
            ConversationStarted(at=b, pack="airline", customer_id="omar_rossi_1241", channel="sms"),
            *_turn(
                b, "can I get money back if my flight is late",
                [("refund_timing", 0.44), ("compensation", 0.39), ("flight_status", 0.08)],
                "clarify",
            ),
        ],
        "c5e90b7d-3a21-4b8f-a6d4-9e0f12c7b35a": [
            ConversationStarted(at=c, pack="airline", customer_id=None, channel="web"),
            *_turn(
                c, "can my dog fly with me in the cabin",
                [("baggage_allowance", 0.58), ("add_bag", 0.21)], "confident",
            ),
        ],
    }  # fmt: skip


async def seed(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    repo = ConversationRepository(session_factory(engine), single_writer=True)
    for cid, log in _logs(datetime.now(UTC)).items():
        head = log[0]
        assert isinstance(head, ConversationStarted)
        await repo.create(cid, "airline", head.customer_id, head.channel, log[:1], head.at)
        await repo.append(cid, 1, log[1:], log[-1].at)
    await repo.aclose()
    await engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir: Path = tmp_path_factory.mktemp("live")
    asyncio.run(seed(f"sqlite+aiosqlite:///{workdir}/live.db"))
    with live_stack(workdir) as url:
        yield url


def _thumb_down(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, viewport={"width": 900, "height": 900})
    page.goto(base_url + "/?customer=chen_jackson_3290")
    page.click("#start")
    page.wait_for_selector(".msg.bot")
    page.fill("#text", ASK)
    page.click("#send")
    page.locator(".msg.bot").nth(1).wait_for()
    page.locator(".msg.bot").last.get_by_role("button", name="Not helpful").click()
    page.locator(".msg.bot").last.locator(".thumbs-thanks").wait_for()
    page.close()


def test_an_agent_labels_a_turn_from_the_review_queue(  # type: ignore[no-untyped-def]
    base_url: str, browser
) -> None:
    _thumb_down(browser, base_url)
    page = _page(browser, viewport={"width": 1360, "height": 900})
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.goto(base_url + "/console")
    page.fill("#agent-name", "ana")
    page.fill("#agent-password", "agent")
    page.click("#signin")
    page.click("#review-link")
    page.wait_for_selector("#review")
    rows = page.locator("#review tbody tr")
    assert rows.count() == 4
    texts = rows.all_inner_texts()
    assert "carousel" in texts[0] and "corrected by an agent" in texts[0]  # by value
    assert ASK in texts[1] and "thumb down" in texts[1]  # the chat page's own turn
    assert "money back" in texts[2] and "not sure" in texts[2] and "close call" in texts[2]
    assert "dog" in texts[3] and "low confidence" in texts[3]
    assert "tier gold" in texts[0] and "channel sms" in texts[2]
    selected = rows.nth(0).locator("select[name=label]").input_value()
    assert selected == "lost_or_damaged_bag"  # the agent's correction, offered
    page.screenshot(path=str(DOCS / "console-review.png"), full_page=True)
    assert refused == []

    unsure = rows.nth(2)
    item = unsure.get_attribute("data-item")
    unsure.locator("select[name=label]").select_option("compensation")
    unsure.get_by_role("button", name="Label").click()
    page.wait_for_selector("#review-notice")
    assert "labelled: compensation" in page.inner_text("#review-notice")
    assert page.locator(f'#review tr[data-item="{item}"]').count() == 0
    assert page.locator("#review tbody tr").count() == 3

    page.click("#tab-log")
    page.wait_for_selector('#tab-log[aria-current="page"]')
    log = page.inner_text("#review")
    assert "money back" in log and "compensation" in log and "by ana" in log
    assert "carousel" in log  # corrected at wrap-up, still to review
    assert "dog" not in log
    page.close()
