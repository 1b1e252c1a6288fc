"""The back office's circuit breakers in the console, in real Chromium against the real server
and the reference back office: the back office slows down (its latency switch), a customer's
cancellation takes longer than the slow-call limit, and the signed-in agent's console home
shows, without a reload, the reads and the cancellation's writes paused and when their calls
resume."""

# ruff: noqa: F811 (the browser fixture, imported, is a parameter of the tests)
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .live import free_port, live_stack
from .test_browser import DOCS, _page, browser, pytestmark  # noqa: F401 (fixture, marks)

CANCEL = "write:airline.cancel_reservation"
SLOW = {
    # one slow call opens a breaker, for ten minutes (no wait here depends on it closing);
    # a call is slow past 1.5 s, and the back office is made to take 3 s
    "WARMLINE_BACKOFFICE_CIRCUIT_THRESHOLD": "1",
    "WARMLINE_BACKOFFICE_CIRCUIT_OPEN_S": "600",
    "WARMLINE_BACKOFFICE_SLOW_CALL_S": "1.5",
    "WARMLINE_BACKOFFICE_TIMEOUT_S": "30",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """warmline's URL and the back office's (the test flips its switches)."""
    port = free_port()
    with live_stack(tmp_path_factory.mktemp("live"), extra_env=SLOW, backoffice_port=port) as url:
        yield url, f"http://127.0.0.1:{port}"


def _agent(browser, base_url: str):  # type: ignore[no-untyped-def]
    page = _page(browser, viewport={"width": 1100, "height": 760})
    page.goto(base_url + "/console")
    page.fill("#agent-name", "sam")
    page.fill("#agent-password", "agent")
    page.click("#signin")
    page.wait_for_selector("#backoffice")
    return page


def test_a_slow_back_office_shows_in_the_console_as_paused_operations(  # type: ignore[no-untyped-def]
    stack: tuple[str, str], browser
) -> None:
    base_url, backoffice = stack
    agent = _agent(browser, base_url)
    assert "every breaker closed" in agent.inner_text("#backoffice")
    with httpx.Client(base_url=base_url, timeout=120) as customer:
        started = customer.post("/api/conversations", json={"customer_id": "chen_jackson_3290"})
        assert started.status_code == 201, started.text
        cid = started.json()["conversation_id"]
        switched = httpx.put(f"{backoffice}/_admin/switches", json={"latency_ms": 3000})
        switched.raise_for_status()
        try:
            turn = customer.post(
                f"/api/conversations/{cid}/messages",
                json={"text": "please cancel reservation 4WQ150, my plans changed"},
            )
            assert turn.status_code == 200, turn.text
        finally:
            httpx.put(f"{backoffice}/_admin/switches", json={"latency_ms": 0}).raise_for_status()
    write = agent.locator(f'li.breaker[data-operation="{CANCEL}"][data-state="open"]')
    write.wait_for()  # the line refreshes itself
    text = " ".join((write.text_content() or "").split())  # as a screen reader reads it
    assert text.startswith("open: writes to cancel_reservation (airline) paused"), text
    assert "calls resume at" in text and "UTC" in text
    read = agent.locator('li.breaker[data-operation="read"]')
    assert read.get_attribute("data-state") == "open"
    assert "reads (accounts, records, previews) paused" in read.inner_text()
    assert agent.locator("#backoffice-ok").count() == 0
    DOCS.mkdir(exist_ok=True)
    agent.screenshot(path=str(DOCS / "console-breakers.png"), full_page=True)
    agent.close()
