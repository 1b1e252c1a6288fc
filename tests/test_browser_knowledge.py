"""An answer from the help centre in real headless Chromium (Debian's chromium driven by
Playwright), against the real server and back office on loopback with the airline demo pack:
the answer shows its citation as a link under it, the link opens the help page's section in a
new tab, the page passes axe-core's checks, and a screenshot for the docs
(docs/chat-knowledge.png). The template's escaping and link filter: tests/test_knowledge_turn.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.live import live_stack
from tests.test_chat_page_browser import (
    CHROMIUM,
    DOCS,
    LIMIT_MS,
    TRAINED,
    USER,
    _serious,
    _start,
    expect,
)

QUESTION = "How much is the pet fee for a cat in the cabin?"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("live-knowledge")
    models = workdir / "models"
    if TRAINED.is_dir():  # the models `make demo` trained, when their packs are unchanged
        shutil.copytree(TRAINED, models)
    with live_stack(workdir, packs='["airline"]', model_dir=models) as url:
        yield url


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


def test_an_answer_from_the_help_centre_links_its_section(  # type: ignore[no-untyped-def]
    base_url: str, browser
) -> None:
    page = browser.new_page(viewport={"width": 900, "height": 760})
    page.set_default_timeout(LIMIT_MS)
    _start(page, base_url, USER)
    page.fill("#text", QUESTION)
    page.click("#send")
    link = page.locator(".msg.bot .citations a").first
    link.wait_for()
    answer = page.locator(".msg.bot").last
    expect(answer.locator("p")).to_contain_text("$125")
    expect(link).to_contain_text("Travelling with pets")
    href = str(link.get_attribute("href"))
    assert href.startswith("/help/airline/travelling-with-pets#"), href
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener"
    assert _serious(page) == []
    page.screenshot(path=str(DOCS / "chat-knowledge.png"))
    with page.context.expect_page() as opened:
        link.click()
    help_page = opened.value
    help_page.wait_for_load_state()
    assert help_page.url == f"{base_url}{href}"
    anchor = href.split("#", 1)[1]
    expect(help_page.locator(f"[id='{anchor}']")).to_be_visible()
    help_page.close()
    page.close()
