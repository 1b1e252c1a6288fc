"""The managers' dashboard in real Chromium, against the real server: 600 conversations of the
last 30 days written through the conversation repository (so the analytics projection is kept
by its append hook), SMS escalating far more than the other channels; the parity monitor's run
opened its incident. A supervisor opens the dashboard from the console: the charts are drawn
(each canvas has a size and ink), nothing is refused by the page's Content-Security-Policy,
SMS is flagged; a click on a segment (in the table, then on a chart's bar) lists exactly that
group's conversations. The screenshot is docs/dashboard.png."""

# ruff: noqa: F811 (the browser fixture, imported, is a parameter of the tests)
from __future__ import annotations

import asyncio
import random
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from warmline.analytics.outcomes import OutcomeRules
from warmline.analytics.parity import parity
from warmline.domain.events import (
    AgentJoined,
    AnswerRated,
    BotReplied,
    ConversationStarted,
    EffortRated,
    Escalated,
    Event,
    FeedbackGiven,
    MessageReceived,
    Resolved,
    SegmentsNoted,
    Understood,
    WrappedUp,
)
from warmline.domain.understanding import IntentScore, Understanding
from warmline.services.analytics import Analytics
from warmline.services.incidents import open_incidents
from warmline.storage.analytics import AnalyticsRepository
from warmline.storage.conversations import ConversationRepository
from warmline.storage.database import create_engine, session_factory
from warmline.storage.migrate import upgrade

from .live import live_stack
from .test_browser import DOCS, _page, browser, pytestmark  # noqa: F401 (fixture, marks)

CHANNELS = {"web": 0.12, "whatsapp": 0.14, "sms": 0.34}  # escalation rates: SMS planted high
INTENTS = ("baggage", "cancel_reservation", "change_flight", "refund", "seat")
TRAINED = Path(__file__).resolve().parent.parent / "var" / "models"
TRIGGERS = ("customer_request", "frustration", "action_failed", "clarify_loop")


def _conversation(rng: random.Random, start: datetime, channel: str) -> list[Event]:
    s = lambda seconds: start + timedelta(seconds=seconds)  # noqa: E731
    intent, language = rng.choice(INTENTS), rng.choices(("en", "es"), (0.8, 0.2))[0]
    reading = Understanding(
        text="…",
        ranking=[IntentScore(intent=intent, probability=0.9)],
        zone="confident",
        language=language,
    )
    events: list[Event] = [
        ConversationStarted(
            at=start, pack="airline", customer_id=f"cust{rng.randrange(400)}", channel=channel
        ),
        SegmentsNoted(at=start, segments={"tier": rng.choice(("gold", "silver", "basic"))}),
        MessageReceived(at=s(1), text="…"),
        Understood(at=s(2), understanding=reading),
        BotReplied(at=s(3), text="…"),
    ]
    if rng.random() < CHANNELS[channel]:
        joined = 60 + rng.randint(20, 400)
        events += [
            Escalated(at=s(60), trigger=rng.choice(TRIGGERS)),
            AgentJoined(at=s(joined), agent="ann"),
            WrappedUp(at=s(joined + rng.randint(120, 900)), agent="ann", disposition="done"),
            Resolved(at=s(joined + 901), by="agent"),
        ]
    elif rng.random() < 0.1:  # left without an answer
        events.append(MessageReceived(at=s(40), text="…"))
    else:
        events += [AnswerRated(at=s(50), reply=2, helpful=rng.random() < 0.85)]
        events.append(Resolved(at=s(rng.randint(60, 300)), by="customer"))
    if rng.random() < 0.4:
        events.append(
            FeedbackGiven(at=s(1000), rating=rng.choices((5, 4, 3, 2, 1), (5, 3, 1, 1, 1))[0])
        )
        events.append(EffortRated(at=s(1001), ces=rng.randint(4, 7)))
    return events


async def seed(url: str, count: int = 600) -> None:
    """``count`` conversations over the last 30 days, appended as turns are; then the parity
    monitor's incidents for what it flags."""
    engine = create_engine(url)
    await upgrade(engine)
    analytics = Analytics(AnalyticsRepository(engine), OutcomeRules())
    repo = ConversationRepository(session_factory(engine), single_writer=True)
    repo.after_append = analytics.on_append
    rng, now = random.Random(5), datetime.now(UTC)
    first = datetime.combine(now.date() - timedelta(days=29), time(1), tzinfo=UTC)
    step = (now - timedelta(hours=2) - first).total_seconds() / count
    for i in range(count):  # within the dashboard's default period: the last 30 days
        start = first + timedelta(seconds=(i + rng.random()) * step)
        channel = rng.choices(list(CHANNELS), (0.45, 0.25, 0.30))[0]
        log = _conversation(rng, start, channel)
        head = log[0]
        assert isinstance(head, ConversationStarted)
        cid = str(uuid.UUID(int=rng.getrandbits(128)))
        await repo.create(cid, "airline", head.customer_id, channel, log[:1], start)
        await repo.append(cid, 1, log[1:], log[-1].at)
    facts = await analytics.facts(first - timedelta(days=1))
    await repo.aclose()
    await engine.dispose()
    async with open_incidents(url) as register:
        await register.flagged(parity(facts))


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir: Path = tmp_path_factory.mktemp("live")
    asyncio.run(seed(f"sqlite+aiosqlite:///{workdir}/live.db"))
    models = workdir / "models"
    if TRAINED.is_dir():  # the models `make demo` trained, when their packs are unchanged
        shutil.copytree(TRAINED, models)
    with live_stack(workdir, model_dir=models) as url:
        yield url


INK = """(id) => {
  const canvas = document.getElementById(id);
  const chart = window.Chart.getChart(canvas);
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { inked += 1; } }
  return {chart: !!chart, width: canvas.width, height: canvas.height, inked: inked};
}"""
BAR = """([id, index]) => {
  const canvas = document.getElementById(id);
  const bar = window.Chart.getChart(canvas).getDatasetMeta(0).data[index];
  const box = canvas.getBoundingClientRect();
  return {x: box.left + (bar.x + bar.base) / 2, y: box.top + bar.y,
          group: window.Chart.getChart(canvas).data.labels[index]};
}"""


CHANNELS_SHOWN = """() => Array.from(document.querySelectorAll('#drill-rows tbody tr')).map(
  (row) => Array.from(row.querySelectorAll('.chip')).map((c) => c.textContent)
    .find((t) => t.startsWith('channel ')).slice('channel '.length))"""


def _listed(page) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    """The drill-down's total and the channel of each row shown."""
    page.wait_for_selector("#drill-rows")
    heading = page.inner_text("#drill-list h2")
    total = int(heading.split(" in all")[0].split()[-1].replace(",", ""))
    channels = page.evaluate(CHANNELS_SHOWN)
    return total, channels


def test_a_manager_reads_the_dashboard_and_drills_into_a_segment(  # type: ignore[no-untyped-def]
    base_url: str, browser
) -> None:
    page = _page(browser, viewport={"width": 1360, "height": 900})
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.goto(base_url + "/console")
    page.fill("#agent-name", "sue")
    page.fill("#agent-password", "agent")
    page.click("#signin")
    page.click("#dashboard-link")
    page.wait_for_selector("#segments")
    page.wait_for_function("() => window.Chart && window.Chart.getChart('series-chart')")
    for canvas in ("series-chart", "segment-chart", "trigger-chart"):
        drawn = page.evaluate(INK, canvas)
        assert drawn["chart"] and drawn["width"] > 200 and drawn["height"] > 100, drawn
        assert drawn["inked"] > 1000, (canvas, drawn)
    assert refused == []
    tiles = page.locator("#tiles .tile").all_inner_texts()
    assert len(tiles) == 11 and "CONVERSATIONS\n600" in tiles[0].upper().replace(",", "")
    sms = page.locator('#segments tr[data-group="sms"]')
    assert "escalation_rate" in sms.locator("td.parity").inner_text()
    assert "escalation_rate" in page.inner_text("#incident-list")
    sms_count = int(
        sms.locator('td[data-metric="conversations"]').inner_text().split("n")[0].replace(",", "")
    )

    sms.locator("th a").click()  # a segment of the table
    total, channels = _listed(page)
    assert total == sms_count and len(channels) == min(25, total)
    assert set(channels) == {"sms"}
    page.click("#drill .pager a[rel=next]")
    page.wait_for_selector("#drill .pager a[rel=prev]")
    assert set(_listed(page)[1]) == {"sms"}

    page.locator("#segment-chart").scroll_into_view_if_needed()
    bar = page.evaluate(BAR, ["segment-chart", 0])  # a bar of the chart: the largest group
    page.mouse.click(bar["x"], bar["y"])
    page.wait_for_function(
        "(g) => document.querySelector('#drill-list h2 .brand')?.textContent === g",
        arg=bar["group"],
    )
    total, channels = _listed(page)
    assert set(channels) == {bar["group"]}
    page.locator("#segment-table").scroll_into_view_if_needed()
    page.screenshot(path=str(DOCS / "dashboard.png"), full_page=True)
    assert refused == []
    page.close()
