"""The rollout of writes in real Chromium, against the real server and the reference back
office: a supervisor puts the airline's cancellation in supervised, then in shadow, from the
console's approvals page; a verified customer asks for it in the chat page and says yes; the
page says a colleague is checking (or will complete it); the agent approves, rejects or
executes it on the approvals page and the customer's page shows the outcome live; the back
office shows the write applied once, or not at all."""

# ruff: noqa: F811 (the browser fixture, imported, is a parameter of the tests)
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .live import free_port, live_stack
from .test_browser import DOCS, _page, browser, pytestmark  # noqa: F401 (fixture, marks)

CANCEL = "/airline/reservations/4WQ150/cancel"
ROW = 'tr[data-action="airline.cancel_reservation"]'


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """warmline's URL and the back office's (the tests read its state and reset it)."""
    port = free_port()
    fresh = {"WARMLINE_ACCOUNT_TTL_S": "0"}  # the back office is reset between the cases
    with live_stack(tmp_path_factory.mktemp("live"), extra_env=fresh, backoffice_port=port) as url:
        yield url, f"http://127.0.0.1:{port}"


def _backoffice(stack: tuple[str, str], method: str, path: str) -> Any:
    answer = httpx.request(method, stack[1] + path, timeout=30)
    answer.raise_for_status()
    return answer.json()


def _applied(stack: tuple[str, str]) -> int:
    report = _backoffice(stack, "GET", "/_admin/writes")
    return int(report.get("by_path", {}).get(CANCEL, {}).get("applied", 0))


def _agent(browser, base_url: str):  # type: ignore[no-untyped-def]
    page = _page(browser, viewport={"width": 1280, "height": 900})
    page.goto(base_url + "/console")
    page.fill("#agent-name", "sam")
    page.fill("#agent-password", "agent")
    page.click("#signin")
    page.wait_for_selector("#approvals-link")
    return page


def _set_mode(agent, base_url: str, mode: str, why: str) -> None:  # type: ignore[no-untyped-def]
    agent.goto(base_url + "/console/approvals")
    row = agent.locator(ROW)
    row.locator("select[name=mode]").select_option(mode)
    row.locator("input[name=why]").fill(why)
    row.locator("button", has_text="Change").click()
    agent.wait_for_selector(".notice")
    assert f"cancel_reservation is now {mode}" in agent.inner_text(".notice")
    assert agent.locator(ROW).locator("td.mode").inner_text().startswith(mode)


def _customer_says_yes(browser, base_url: str):  # type: ignore[no-untyped-def]
    """A verified customer asks to cancel 4WQ150 and says yes; the page, and the bot's last
    words."""
    page = _page(browser, viewport={"width": 900, "height": 900})
    page.goto(base_url + "/?customer=chen_jackson_3290")
    page.click("#start")
    page.wait_for_selector(".msg.bot")
    page.fill("#text", "please cancel reservation 4WQ150, my plans changed")
    page.click("#send")
    page.locator(".msg.bot").nth(1).wait_for()
    assert "yes or no" in page.locator(".msg.bot").last.inner_text()
    page.fill("#text", "yes")
    page.click("#send")
    page.locator(".msg.bot").nth(2).wait_for()
    return page, page.locator(".msg.bot").last.inner_text()


def _waiting(agent, base_url: str, mode: str):  # type: ignore[no-untyped-def]
    agent.goto(base_url + "/console/approvals")
    item = agent.locator(f'li.approval[data-mode="{mode}"]').last
    assert "cancel reservation" in item.inner_text() and "4WQ150" in item.inner_text()
    return item


def test_a_supervised_write_waits_for_an_agent_who_approves_or_rejects_it(  # type: ignore[no-untyped-def]
    stack: tuple[str, str], browser
) -> None:
    base_url = stack[0]
    _backoffice(stack, "POST", "/_admin/reset")
    agent = _agent(browser, base_url)
    _set_mode(agent, base_url, "supervised", "new fare rules: a person checks each cancellation")
    before = _applied(stack)

    customer, said = _customer_says_yes(browser, base_url)
    assert "colleague is checking" in said and "Nothing has been changed yet" in said
    assert _backoffice(stack, "GET", "/airline/reservations/4WQ150")["status"] != "cancelled"
    item = _waiting(agent, base_url, "supervised")
    assert "held for approval" in item.inner_text()
    item.locator("button.execute").click()
    agent.wait_for_selector(".notice")
    assert "Executed" in agent.inner_text(".notice")
    customer.locator(".msg.bot").nth(3).wait_for()  # live, without a reload
    done = customer.locator(".msg.bot").last.inner_text()
    assert "4WQ150 is cancelled" in done
    assert _backoffice(stack, "GET", "/airline/reservations/4WQ150")["status"] == "cancelled"
    assert _applied(stack) == before + 1  # once
    customer.close()

    _backoffice(stack, "POST", "/_admin/reset")
    before = _applied(stack)
    customer, said = _customer_says_yes(browser, base_url)
    assert "colleague is checking" in said
    item = _waiting(agent, base_url, "supervised")
    item.locator("input[name=note]").fill("the fare rules need a look first")
    item.locator("button.reject").click()
    agent.wait_for_selector(".notice")
    assert "Rejected" in agent.inner_text(".notice")
    customer.locator(".msg.bot").nth(3).wait_for()
    told = customer.locator(".msg.bot").last
    assert "nothing has been changed" in told.inner_text()
    assert "talk to a person" in told.inner_text().lower()  # a person offered
    assert customer.is_visible("#talk-to-person")
    customer.reload()  # the choice the reply carries, as the page renders it
    choice = customer.locator(".msg.bot").last.locator("button.choice")
    assert "person" in choice.first.inner_text().lower()
    assert _backoffice(stack, "GET", "/airline/reservations/4WQ150")["status"] != "cancelled"
    assert _applied(stack) == before
    customer.close()
    agent.close()


def test_a_shadow_write_is_completed_by_a_colleague_and_counts_towards_agreement(  # type: ignore[no-untyped-def]
    stack: tuple[str, str], browser
) -> None:
    base_url = stack[0]
    _backoffice(stack, "POST", "/_admin/reset")
    agent = _agent(browser, base_url)
    _set_mode(agent, base_url, "shadow", "measure the bot's cancellations before they run")
    agreement = agent.locator(ROW).locator("td.agreement").inner_text()
    assert agreement.startswith("0 of 0")
    before = _applied(stack)

    customer, said = _customer_says_yes(browser, base_url)
    assert "colleague from our team will complete this" in said
    assert _backoffice(stack, "GET", "/airline/reservations/4WQ150")["status"] != "cancelled"
    item = _waiting(agent, base_url, "shadow")
    assert "shadow proposal" in item.inner_text()
    agent.screenshot(path=str(DOCS / "console-approvals.png"), full_page=True)
    item.locator("button.execute").click()
    agent.wait_for_selector(".notice")
    customer.locator(".msg.bot").nth(3).wait_for()
    assert "4WQ150 is cancelled" in customer.locator(".msg.bot").last.inner_text()
    assert _backoffice(stack, "GET", "/airline/reservations/4WQ150")["status"] == "cancelled"
    assert _applied(stack) == before + 1
    moved = agent.locator(ROW).locator("td.agreement").inner_text()
    assert moved.startswith("1 of 1 (100%)"), moved
    assert agent.locator("#no-approvals").is_visible()
    customer.close()
    agent.close()
