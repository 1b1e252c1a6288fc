"""Choices on a message that reaches the chat page live (server-sent events), in real Chromium
against the real server: the bot's reply to a message sent from elsewhere (the API, as a second
device would) shows its choice buttons without a reload, drawn as the page draws them, and a
choice chosen with the keyboard is sent as the customer's answer."""

# ruff: noqa: F811 (the fixtures, imported, are parameters of the tests)
from __future__ import annotations

import json

from .test_chat_page_browser import (  # noqa: F401 (fixtures, marks)
    _page,
    _start,
    base_url,
    browser,
    host,
    pytestmark,
)

DESCRIBE = """group => ({
  role: group.getAttribute("role"),
  label: group.getAttribute("aria-label"),
  forms: Array.from(group.querySelectorAll("form")).map(f => ({
    method: f.getAttribute("method"), action: f.getAttribute("action"),
    post: f.getAttribute("hx-post"), target: f.getAttribute("hx-target"),
    swap: f.getAttribute("hx-swap"), cls: f.className,
    fields: Array.from(f.querySelectorAll("input")).map(i => [i.type, i.name]),
    text: f.querySelector("input[name=text]").value,
    key: /^[0-9a-f-]{32,36}-\\d+$/.test(f.querySelector("input[name=idempotency_key]").value),
    button: [f.querySelector("button").type, f.querySelector("button").className,
             f.querySelector("button").textContent.trim()],
  })),
})"""


def test_a_live_reply_shows_its_choices_and_a_keyboard_choice_is_sent(  # type: ignore[no-untyped-def]
    base_url: str, browser
) -> None:
    page = _page(browser, viewport={"width": 900, "height": 900})
    cid = _start(page, base_url)
    sent = page.request.post(  # from elsewhere: the page learns of the reply live only
        f"{base_url}/api/conversations/{cid}/messages",
        data=json.dumps({"text": "I want to check my booking"}),
        headers={"content-type": "application/json"},
    )
    assert sent.ok, sent.text()
    assert sent.json()["replies"][-1]["choices"], sent.text()
    live = page.locator(".msg.bot").nth(1)
    live.wait_for()
    assert live.locator("button.choice").count() == len(sent.json()["replies"][-1]["choices"])
    drawn = live.locator(".choices").evaluate(DESCRIBE)

    other = browser.new_context(storage_state=page.context.storage_state())
    again = other.new_page()  # the same conversation, rendered by the server
    again.goto(f"{base_url}/chat/{cid}")
    assert again.locator(".msg.bot").last.locator(".choices").evaluate(DESCRIBE) == drawn
    other.close()
    assert all(form["key"] for form in drawn["forms"])

    page.evaluate("window.stayed = true")  # sent by the page's script, not a page load
    chosen = live.locator("button.choice:has-text('DDHPNX')")
    chosen.focus()
    page.keyboard.press("Enter")
    page.locator(".msg.bot").nth(2).wait_for()
    assert page.locator(".msg.customer p").last.inner_text().startswith("DDHPNX")
    assert page.evaluate("window.stayed === true")
    assert live.locator(".choices").count() == 0  # an earlier message's choices go
    events = page.request.get(f"{base_url}/api/conversations/{cid}/events").json()
    said = [e["event"]["text"] for e in events if e["event"]["kind"] == "message_received"]
    assert said[0] == "I want to check my booking" and said[-1].startswith("DDHPNX"), said
    assert len(said) == 2
    page.close()
