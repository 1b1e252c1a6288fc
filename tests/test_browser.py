"""The chat page in real headless Chromium (Debian's chromium driven by Playwright), against
the real server and the real back office on loopback. Asserts on what a person sees."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .live import live_stack

CHROMIUM = os.environ.get("WARMLINE_TEST_CHROMIUM", "/usr/bin/chromium")
DOCS = Path(__file__).resolve().parent.parent / "docs"
LIMIT_MS = 120_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and "WARMLINE_TEST_CHROMIUM" not in os.environ,
        reason="chromium not installed (make test installs it)",
    ),
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_stack(tmp_path_factory.mktemp("live")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def _page(browser, **options):  # type: ignore[no-untyped-def]
    """A new page whose waits give up only after a generous limit: they guard against a hang on
    a busy machine, they do not measure speed."""
    page = browser.new_page(**options)
    page.set_default_timeout(LIMIT_MS)
    return page


def test_a_customer_gets_their_reservation_and_can_reach_a_person(base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, viewport={"width": 900, "height": 900})
    refused: list[str] = []  # what the page's Content-Security-Policy blocked, if anything
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.goto(base_url + "/?customer=chen_jackson_3290")
    page.click("#start")
    page.wait_for_selector(".msg.bot")
    assert page.is_visible("#talk-to-person")
    assert "AI assistant" in page.inner_text("#ai-badge")
    assert "AI assistant" in page.inner_text(".msg.bot")

    page.fill("#text", "where is my reservation 4WQ150?")
    page.click("#send")
    page.locator(".msg.bot").nth(1).wait_for()
    answer = page.locator(".msg.bot").last.inner_text()
    assert "4WQ150" in answer and "DFW" in answer and "LAX" in answer
    assert page.locator(".msg.customer p").last.inner_text() == "where is my reservation 4WQ150?"

    page.fill("#text", "I need to cancel my bag")
    page.click("#send")
    page.locator(".msg.bot").nth(2).wait_for()
    bag_reply = page.locator(".msg.bot").last.inner_text().lower()
    assert "cancel the whole reservation" not in bag_reply and "yes or no" not in bag_reply

    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "chat.png"), full_page=True)

    page.click("#talk-to-person")
    page.wait_for_selector("#status")
    assert "person" in page.locator(".msg.bot").last.inner_text()
    assert page.is_visible("#talk-to-person")
    assert refused == []
    page.close()


def test_a_guest_proves_who_they_are_before_any_record_is_shown(base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(base_url + "/")
    page.click("#start")
    page.wait_for_selector(".msg.bot")
    page.fill("#text", "where is my reservation 4WQ150?")
    page.click("#send")
    page.locator(".msg.bot").nth(1).wait_for()
    asked = page.locator(".msg.bot").last.inner_text()
    assert "user id" in asked and "DFW" not in asked and "LAX" not in asked
    page.fill("#text", "it's chen_jackson_3290")
    page.click("#send")
    page.locator(".msg.bot").nth(2).wait_for()
    assert "date of birth" in page.locator(".msg.bot").last.inner_text()
    page.fill("#text", "July 7, 1956")
    page.click("#send")
    page.locator(".msg.bot").nth(3).wait_for()
    answer = page.locator(".msg.bot").last.inner_text()
    assert "4WQ150" in answer and "DFW" in answer
    page.screenshot(path=str(DOCS / "chat-verified.png"), full_page=True)
    page.close()


def test_a_frustrated_customer_hears_an_acknowledgement_first_and_can_rate(  # type: ignore[no-untyped-def]
    base_url: str, browser
) -> None:
    page = _page(browser)
    page.goto(base_url + "/?customer=chen_jackson_3290")
    page.click("#start")
    page.wait_for_selector(".msg.bot")
    assert "AI assistant" in page.locator(".msg.bot").first.inner_text()
    page.fill("#text", "This is the THIRD time I ask!!! Where is my reservation 4WQ150?")
    page.click("#send")
    page.locator(".msg.bot").nth(1).wait_for()
    reply = page.locator(".msg.bot").last.inner_text()
    assert reply.index("sorry") < reply.index("4WQ150")  # the person first, then the problem
    page.click("#rating button[value='4']")
    page.wait_for_selector("#rating.rated")  # rated once: the buttons give way to thanks
    assert page.inner_text("#rating") == "Thanks for your rating."
    page.locator(".msg.bot").last.get_by_role("button", name="Not helpful").click()
    thanks = page.locator(".msg.bot").last.locator(".thumbs-thanks")
    thanks.wait_for()  # the thumb is recorded and thanked; the pair stays to change it
    assert thanks.inner_text() == "Thanks for your feedback."
    page.click("#effort button[value='6']")  # the effort question follows the rating
    page.wait_for_selector("#effort.rated")
    assert page.inner_text("#effort") == "Thank you for telling us."
    page.screenshot(path=str(DOCS / "chat-feedback.png"), full_page=True)
    page.close()


def test_an_empty_message_shows_a_clear_notice(base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(base_url + "/")
    page.click("#start")
    page.wait_for_selector(".msg.bot")
    page.evaluate("document.querySelector('#text').removeAttribute('required')")
    page.fill("#text", "   ")
    page.click("#send")
    page.wait_for_selector(".notice")
    assert "empty" in page.inner_text(".notice")
    page.close()


def test_a_question_offers_choices_the_customer_can_click(base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(base_url + "/?customer=chen_jackson_3290")
    page.click("#start")
    page.wait_for_selector(".msg.bot")
    page.fill("#text", "I want to check my booking")
    page.click("#send")
    page.wait_for_selector("button.choice:has-text('DDHPNX')")
    page.click("button.choice:has-text('DDHPNX')")
    page.locator(".msg.bot").nth(2).wait_for()
    assert "DDHPNX" in page.locator(".msg.bot p").last.inner_text()
    assert page.locator("button.choice:has-text('4WQ150')").count() == 0
    page.close()


def test_a_person_takes_over_from_the_chat_page_through_the_console(  # type: ignore[no-untyped-def]
    base_url: str, browser
) -> None:
    customer = _page(browser)
    customer.goto(base_url + "/?customer=chen_jackson_3290")
    customer.click("#start")
    customer.wait_for_selector(".msg.bot")
    customer.fill("#text", "This is the THIRD time I ask!!! I want to talk to a human")
    customer.click("#send")
    customer.wait_for_selector("#status")
    assert "person" in customer.locator(".msg.bot").last.inner_text()
    conversation = customer.get_attribute("main[data-conversation]", "data-conversation")

    agent = _page(browser)
    agent.goto(base_url + "/console")
    agent.fill("#agent-name", "ana")
    agent.fill("#agent-password", "agent")
    agent.click("#signin")
    row = agent.locator(f"tr[data-conversation='{conversation}']")
    row.wait_for()
    assert row.locator(".mood").inner_text() == "frustrated"
    row.locator("button.claim").click()
    agent.wait_for_selector("#summary")
    assert "THIRD time I ask" in agent.inner_text("#summary")
    assert "repeat_complaint" in agent.inner_text("#feelings")
    assert agent.inner_text("#trigger") == "customer request"
    agent.screenshot(path=str(DOCS / "console.png"), full_page=True)

    bot_lines = customer.locator(".msg.bot").count()
    customer.fill("#text", "hello? is anyone there?")
    customer.click("#send")
    agent.locator("#log .msg.customer p", has_text="anyone there").wait_for()
    agent.fill("#text", "Hi, I'm Ana from Warmline Air. I've read our chat; let me sort this out.")
    agent.click("#send")
    customer.wait_for_selector(".msg.agent")
    assert "I'm Ana" in customer.locator(".msg.agent").last.inner_text()
    assert customer.locator(".msg.bot").count() == bot_lines  # the bot stayed silent
    customer.screenshot(path=str(DOCS / "chat-with-agent.png"), full_page=True)
    customer.close()
    agent.close()


def _only_this_server(page, base_url: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Abort every request to another origin and keep its URL: the page must not need one."""
    outside: list[str] = []

    def route(r) -> None:  # type: ignore[no-untyped-def]
        if r.request.url.startswith(base_url) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return outside


def test_the_api_page_renders_with_no_internet(base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, viewport={"width": 1200, "height": 900})
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    outside = _only_this_server(page, base_url)
    page.goto(base_url + "/docs")
    page.wait_for_selector(".opblock-summary-path")
    assert "/api/conversations" in page.inner_text("body")
    assert outside == [] and refused == []
    page.close()


# --- the agent console ---------------------------------------------------------------------


def _serious(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations on the page, each with where it is."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def _clip(width: int, height: int) -> dict[str, int]:
    return {"x": 0, "y": 0, "width": width, "height": height}


def test_an_agent_works_a_conversation_in_the_console(base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    customer = _page(browser)
    customer.goto(base_url + "/?customer=chen_jackson_3290")
    customer.click("#start")
    customer.wait_for_selector(".msg.bot")
    for n, text in enumerate(
        (
            "where is my reservation 4WQ150?",
            "and what about DDHPNX?",
            "is my flight on time?",
            "This is the THIRD time I ask!!! I want to talk to a human",
        ),
        start=1,
    ):
        customer.fill("#text", text)
        customer.click("#send")
        customer.locator(".msg.bot").nth(n).wait_for()
    customer.wait_for_selector("#status")
    conversation = customer.get_attribute("main[data-conversation]", "data-conversation")

    # tall enough for the whole packet: a full-page capture would resize the transcript's box
    agent = _page(browser, viewport={"width": 1280, "height": 1500})
    refused: list[str] = []
    agent.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    agent.goto(base_url + "/console")
    agent.fill("#agent-name", "ana")
    agent.fill("#agent-password", "agent")
    agent.click("#signin")
    row = agent.locator(f"tr[data-conversation='{conversation}']")
    row.wait_for()
    assert int(row.locator(".unread").inner_text().split()[0]) >= 4  # every message unread
    assert "Warmline Air" in row.inner_text()
    agent.wait_for_function("document.title.startsWith('(')")  # "(4) warmline console"
    assert agent.title().endswith(") warmline console")
    assert agent.get_attribute("#sound-toggle", "aria-pressed") == "false"  # off by default
    agent.click("#sound-toggle")
    assert agent.evaluate("localStorage.getItem('warmline.console.sound')") == "on"
    assert _serious(agent) == []
    agent.screenshot(path=str(DOCS / "console-queue.png"), clip=_clip(1280, 400))

    row.locator("button.claim").click()
    agent.wait_for_selector("#summary")
    assert agent.get_attribute("#sound-toggle", "aria-pressed") == "true"  # kept
    at_bottom = "(() => { const l = document.getElementById('log');"
    at_bottom += " return l.scrollTop + l.clientHeight >= l.scrollHeight - 2; })()"
    assert agent.evaluate(at_bottom)  # opened at the latest message
    times = agent.locator("#log .msg time")
    assert times.count() == agent.locator("#log .msg").count()
    assert len(times.first.inner_text()) == 5 and times.first.get_attribute("title")
    profile = agent.inner_text("#customer")
    assert "Chen Jackson" in profile and "Seattle" in profile and "first_name" not in profile
    assert "4WQ150" in profile

    agent.fill("#text", "/greet")
    agent.press("#text", "Tab")
    assert agent.input_value("#text").startswith("Hi Chen, I'm ana from Warmline Air.")
    agent.click("#send")
    customer.wait_for_selector(".msg.agent")
    customer.fill("#text", "thanks, one more thing about my bags")
    customer.click("#send")
    agent.locator("#log .msg.customer p", has_text="one more thing").wait_for()
    agent.locator("#summary li", has_text="one more thing").wait_for()  # re-rendered live
    assert agent.evaluate(at_bottom)  # stayed at the latest message
    assert len(agent.locator("#log .msg time").last.inner_text()) == 5  # live ones too
    assert _serious(agent) == []
    assert refused == []
    agent.screenshot(path=str(DOCS / "console.png"))

    agent.goto(base_url + "/console")  # search by what the customer wrote, from the queue page
    agent.fill("#search-q", "one more thing about my bags")
    agent.click("#search-go")
    found = agent.locator(f"tr[data-result='{conversation}']")
    found.wait_for()
    assert "chen_jackson_3290" in found.inner_text()
    assert _serious(agent) == []
    customer.close()
    agent.close()
