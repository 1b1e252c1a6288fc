"""The customer's chat page and the embeddable widget in real headless Chromium (Debian's
chromium driven by Playwright), against the real server and back office on loopback: what a
person sees while the bot works, when a person joins, hands back and closes, a lost answer sent
again once, the phone layout, the widget on another site's page, and axe-core's accessibility
checks (no serious or critical violation)."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .live import free_port, live_stack

CHROMIUM = os.environ.get("WARMLINE_TEST_CHROMIUM", "/usr/bin/chromium")
DOCS = Path(__file__).resolve().parent.parent / "docs"
TRAINED = Path(__file__).resolve().parent.parent / "var" / "models"
LIMIT_MS = 120_000
USER = "chen_jackson_3290"
CLOCK = re.compile(r"^\d{1,2}[:.]\d\d(\s?[AP]M)?$")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and "WARMLINE_TEST_CHROMIUM" not in os.environ,
        reason="chromium not installed (make test installs it)",
    ),
]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Another site: a static page server on a second loopback port, named ``localhost``
    (warmline is ``127.0.0.1``): another origin and another site, so the chat's iframe gets
    no SameSite cookie, as on a real shop's page."""
    folder = tmp_path_factory.mktemp("host")
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), partial(_Quiet, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}", folder
    server.shutdown()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, host: tuple[str, Path]) -> Iterator[str]:
    embed = {"WARMLINE_EMBED_ORIGINS": json.dumps([host[0]])}
    workdir = tmp_path_factory.mktemp("live")
    models = workdir / "models"
    if TRAINED.is_dir():  # the models `make demo` trained, when their packs are unchanged
        shutil.copytree(TRAINED, models)
    with live_stack(workdir, model_dir=models, extra_env=embed) as url:
        yield url


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def _page(browser, **options):  # type: ignore[no-untyped-def]
    page = browser.new_page(**options)
    page.set_default_timeout(LIMIT_MS)
    return page


def _start(page, base_url: str, customer: str = USER):  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/?customer={customer}")
    page.click("#start")
    page.wait_for_selector(".msg.bot")
    return page.get_attribute("main[data-conversation]", "data-conversation")


def expect(locator):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _serious(page, **options: object) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"], **options})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _send(page, text: str, nth_bot: int) -> str:  # type: ignore[no-untyped-def]
    page.fill("#text", text)
    page.click("#send")
    page.locator(".msg.bot").nth(nth_bot).wait_for()
    return str(page.locator(".msg.bot p").last.inner_text())


def test_a_message_shows_at_once_and_the_page_says_it_is_still_checking(  # type: ignore[no-untyped-def]
    base_url: str, browser
) -> None:
    page = _page(browser, viewport={"width": 900, "height": 900})
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.goto(f"{base_url}/?customer={USER}")
    assert _serious(page) == []
    page.click("#start")
    page.wait_for_selector(".msg.bot")
    held: list = []  # type: ignore[type-arg]
    page.route("**/chat/*/messages", lambda route: held.append(route))  # the bot is slow
    page.fill("#text", "where is my reservation 4WQ150?")
    page.click("#send")
    page.wait_for_selector(".msg.customer.pending")
    assert page.is_disabled("#send") and page.is_visible("#typing")
    page.wait_for_selector("#still-checking", state="visible")
    assert page.inner_text("#still-checking") == "Still checking with our systems..."
    held[0].continue_()
    page.unroute("**/chat/*/messages")
    page.locator(".msg.bot").nth(1).wait_for()
    assert "DFW" in page.locator(".msg.bot p").last.inner_text()
    assert page.locator(".msg.pending").count() == 0 and page.is_hidden("#typing")
    assert page.is_enabled("#send")
    assert page.locator(".msg.customer p").all_inner_texts() == ["where is my reservation 4WQ150?"]
    times = page.locator(".msg time").all_inner_texts()
    assert len(times) == 3 and all(CLOCK.match(t.strip()) for t in times), times
    page.reload()  # the history comes back, in order, with its times
    page.locator(".msg.bot").nth(1).wait_for()
    assert page.locator(".msg").count() == 3
    assert all(CLOCK.match(t.strip()) for t in page.locator(".msg time").all_inner_texts())
    assert refused == []
    page.close()


def test_choices_keep_the_focus_in_the_composer_and_pass_axe(base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, viewport={"width": 900, "height": 900})
    _start(page, base_url)
    assert _serious(page) == []
    assert page.get_attribute("#log", "aria-live") == "polite"
    assert page.locator("label[for=text]").inner_text() == "Your message"
    page.fill("#text", "I want to check my booking")
    page.click("#send")
    page.wait_for_selector("button.choice:has-text('DDHPNX')")
    assert _serious(page) == []
    page.click("button.choice:has-text('DDHPNX')")
    page.locator(".msg.bot").nth(2).wait_for()
    expect(page.locator("#text")).to_be_focused()
    assert page.locator(".msg.customer p").last.inner_text().startswith("DDHPNX")
    page.close()


def _agent(browser, base_url: str, name: str):  # type: ignore[no-untyped-def]
    """A signed-in agent's page and a function calling the agent API with its session."""
    agent = _page(browser)
    agent.goto(base_url + "/console")
    agent.fill("#agent-name", name)
    agent.fill("#agent-password", "agent")
    agent.click("#signin")
    agent.wait_for_url(re.compile(r".*/console/?$"))
    csrf = agent.request.get(base_url + "/api/agent/session").json()["csrf_token"]

    def call(path: str, body: dict[str, str] | None = None) -> None:
        answer = agent.request.post(
            f"{base_url}/api/agent/conversations/{path}",
            data=json.dumps(body or {}),
            headers={"X-CSRF-Token": csrf, "content-type": "application/json"},
        )
        assert answer.ok, answer.text()

    return agent, call


def test_a_person_joins_by_name_hands_back_and_closes_live(base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    customer = _page(browser, viewport={"width": 900, "height": 900})
    cid = _start(customer, base_url)
    _send(customer, "where is my reservation 4WQ150?", 1)
    customer.click("#talk-to-person")
    customer.wait_for_selector("#status")
    agent, call = _agent(browser, base_url, "dana")
    call(f"{cid}/claim")
    customer.wait_for_selector(".sys:has-text('Dana from the team has joined')")
    assert customer.inner_text("#ai-badge") == "Dana (team)"
    assert customer.is_hidden("#status") and customer.is_hidden("#talk-to-person")
    call(f"{cid}/messages", {"text": "Hi, I'm Dana. I can see your reservation 4WQ150."})
    customer.wait_for_selector(".msg.agent")
    assert customer.locator(".msg.agent .who").text_content() == "Dana (team)"
    DOCS.mkdir(exist_ok=True)
    customer.screenshot(path=str(DOCS / "chat-desktop.png"), full_page=True)
    bots = customer.locator(".msg.bot").count()
    call(f"{cid}/handback", {})
    customer.wait_for_selector('.sys:has-text("You\'re back with the AI assistant")')
    customer.locator(".msg.bot").nth(bots).wait_for()  # the bot says it is back, live
    assert customer.inner_text("#ai-badge") == "AI assistant"
    assert customer.is_visible("#talk-to-person")
    customer.click("#talk-to-person")
    customer.wait_for_selector("#status")
    call(f"{cid}/claim")
    customer.wait_for_selector("#ai-badge:has-text('Dana (team)')")
    call(f"{cid}/wrapup", {"disposition": "resolved"})
    customer.wait_for_selector("#ended:has-text('The conversation has ended')")
    assert customer.is_hidden("#composer") and customer.is_visible("#rating")
    assert _serious(customer) == []
    customer.click("#rating button[value='5']")
    customer.wait_for_selector("#rating.rated")
    assert customer.inner_text("#rating") == "Thanks for your rating."
    customer.click("#new-chat")
    customer.wait_for_url(re.compile(r".*/chat/(?!" + cid + ")[0-9a-f-]+$"))
    customer.wait_for_selector(".msg.bot")
    assert customer.inner_text("#ai-badge") == "AI assistant" and customer.is_visible("#composer")
    assert "4WQ150" in _send(customer, "where is my reservation 4WQ150?", 1)  # still known
    agent.close()
    customer.close()


def test_a_lost_answer_is_sent_again_and_recorded_once(base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    cid = _start(page, base_url)
    reached: list[int] = []
    disabled: list[bool] = []

    def drop_first_answer(route) -> None:  # type: ignore[no-untyped-def]
        if reached:
            disabled.append(page.is_disabled("#send"))  # still off while it is sent again
            route.continue_()
            return
        reached.append(route.fetch().status)  # the server got it and answered ...
        route.abort("connectionreset")  # ... and the answer never reached the page

    page.route("**/chat/*/messages", drop_first_answer)
    page.fill("#text", "where is my reservation 4WQ150?")
    page.click("#send")
    page.locator(".msg.bot").nth(1).wait_for()
    assert reached == [200] and disabled == [True]
    assert page.locator(".msg.customer").count() == 1 and page.locator(".msg.bot").count() == 2
    events = page.request.get(f"{base_url}/api/conversations/{cid}/events").json()
    assert sum(1 for e in events if e["event"]["kind"] == "message_received") == 1
    page.close()


def test_on_a_phone_every_control_is_a_44px_target(base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    _start(page, base_url)
    page.fill("#text", "I want to check my booking")
    page.click("#send")
    page.wait_for_selector("button.choice")
    for selector in ("#send", "#talk-to-person", "button.choice", "#rating button", "#text"):
        for box in (b.bounding_box() for b in page.locator(selector).all()):
            assert box and box["height"] >= 44 and box["width"] >= 44, selector
    assert _serious(page) == []
    page.screenshot(path=str(DOCS / "chat-phone.png"), full_page=True)
    page.close()


def test_the_widget_opens_the_chat_on_another_sites_page(  # type: ignore[no-untyped-def]
    base_url: str, browser, host: tuple[str, Path]
) -> None:
    origin, folder = host
    (folder / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Shop</title></head>"
        "<body><main><h1>Acme Shop</h1><p>Our spring collection is here.</p></main>"
        f"<script src='{base_url}/widget.js' data-pack='retail'></script></body></html>",
        "utf-8",
    )
    page = _page(browser, viewport={"width": 1100, "height": 800})
    page.goto(origin + "/index.html")
    page.click("#warmline-launcher")
    frame = page.frame_locator("#warmline-frame")
    frame.locator(".msg.bot").first.wait_for()
    assert "AI assistant" in frame.locator("#ai-badge").inner_text()
    frame.locator("#text").fill("where is my order?")
    frame.locator("#send").click()
    frame.locator(".msg.bot").nth(1).wait_for()
    assert frame.locator(".msg.customer p").inner_text() == "where is my order?"
    assert _serious(page, iframes=False) == []
    page.screenshot(path=str(DOCS / "widget.png"))
    frame.locator("#talk-to-person").click()  # a person joins: the live stream reaches the frame
    frame.locator("#status").wait_for()
    cid = frame.locator("main").get_attribute("data-conversation")
    assert frame.locator("main").get_attribute("data-token")  # no cookie here: the header
    agent, call = _agent(browser, base_url, "dana")
    call(f"{cid}/claim")
    frame.locator(".sys", has_text="Dana from the team has joined").wait_for()
    assert frame.locator("#ai-badge").inner_text() == "Dana (team)"
    agent.close()
    frame.locator("#text").focus()
    page.keyboard.press("Escape")  # in the chat, inside the iframe
    page.wait_for_selector("#warmline-panel", state="hidden")
    expect(page.locator("#warmline-launcher")).to_be_focused()
    page.close()
