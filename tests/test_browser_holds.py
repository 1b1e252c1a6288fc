"""Anomaly holds in real Chromium, against the real server and the reference back office: a
burst of cancellations through the API (the airline pack with small anomaly settings) puts
the write on hold; a customer who asks for it is told it is paused for a check; a supervisor
sees it on the console's home page and on /console/holds, releases it with a click, and the
next customer can cancel again."""

# ruff: noqa: F811 (the browser fixture, imported, is a parameter of the tests)
from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import httpx
import pytest
import yaml

from .live import live_stack
from .test_browser import DOCS, _page, browser, pytestmark  # noqa: F401 (fixture, marks)

ASK = "please cancel reservation 4WQ150, my plans changed"
SMALL = {"window_s": 86_400, "baseline_windows": 1, "factor": 3, "min_count": 2}
"""Held at 6 proposals in a day: 3 x the floor of 2 (a day's window, so that a burst of a few
seconds never straddles two windows but at midnight)."""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The stack serving the airline pack with small anomaly settings."""
    workdir = tmp_path_factory.mktemp("live")
    pack = yaml.safe_load(files("warmline.demo.packs").joinpath("airline.yaml").read_text())
    pack["anomaly"] = SMALL
    # the copy lives elsewhere: its help centre is the shipped one, named by its full path
    shipped = files("warmline.demo.packs").joinpath(pack["knowledge"]["folder"])
    pack["knowledge"]["folder"] = str(Path(str(shipped)).resolve())
    path = workdir / "airline.yaml"
    path.write_text(yaml.safe_dump(pack, sort_keys=False))
    with live_stack(workdir, packs=f'["{path}"]') as url:
        yield url


def _burst(base_url: str) -> int:
    """Customers ask to cancel through the API until the write is held; how many asked."""
    with httpx.Client(base_url=base_url, timeout=120) as api:
        for asked in range(1, 21):
            started = api.post("/api/conversations", json={"customer_id": "chen_jackson_3290"})
            assert started.status_code == 201, started.text
            body = started.json()
            auth = {"Authorization": f"Bearer {body['conversation_token']}"}
            turn = api.post(
                f"/api/conversations/{body['conversation_id']}/messages",
                json={"text": ASK},
                headers=auth,
            ).json()
            if turn["decision"]["escalation"] == "action_on_hold":
                return asked
            assert turn["decision"]["kind"] == "confirm", turn
    raise AssertionError("20 proposals and no hold")


def _customer_asks(browser, base_url: str):  # type: ignore[no-untyped-def]
    page = _page(browser, viewport={"width": 900, "height": 900})
    page.goto(base_url + "/?customer=chen_jackson_3290")
    page.click("#start")
    page.wait_for_selector(".msg.bot")
    page.fill("#text", ASK)
    page.click("#send")
    page.locator(".msg.bot").nth(1).wait_for()
    return page, page.locator(".msg.bot").last.inner_text()


def test_a_burst_is_held_shown_to_a_supervisor_and_released_by_a_click(  # type: ignore[no-untyped-def]
    base_url: str, browser
) -> None:
    assert _burst(base_url) == 7  # the 6th proposal reached 3 x the floor: the 7th is held

    customer, said = _customer_asks(browser, base_url)
    assert "paused for a check" in said and "yes or no" not in said
    customer.close()

    supervisor = _page(browser, viewport={"width": 1280, "height": 800})
    supervisor.goto(base_url + "/console")
    supervisor.fill("#agent-name", "sue")
    supervisor.fill("#agent-password", "agent")
    supervisor.click("#signin")
    badge = supervisor.locator("#holds-badge")
    badge.wait_for()
    assert "1 action on hold" in badge.inner_text()
    badge.click()
    row = supervisor.locator('tr[data-hold="airline/cancel_reservation"]')
    row.wait_for()
    cells = row.inner_text()
    assert "cancel_reservation" in cells and "proposed" in cells and "held" in cells
    supervisor.screenshot(path=str(DOCS / "console-holds.png"), full_page=True)
    row.locator("button", has_text="Release").click()
    supervisor.wait_for_selector("#holds-notice")
    assert "runs again for every customer" in supervisor.inner_text("#holds-notice")
    assert supervisor.locator("#no-holds").is_visible()
    supervisor.close()

    customer, said = _customer_asks(browser, base_url)  # released: proposed and run again
    assert "yes or no" in said
    customer.fill("#text", "yes")
    customer.click("#send")
    customer.locator(".msg.bot").nth(2).wait_for()
    assert "4WQ150 is cancelled" in customer.locator(".msg.bot").last.inner_text()
    customer.close()
