"""A turn through the embeddable widget, as a customer feels it: real Chromium opens a shop's
page on another origin, the widget's launcher opens the chat, and each message is typed and sent;
the time runs from the click on Send until the bot's reply is in the page's log (the page's
post, the server's turn, the back office and the HTML swap), measured inside the framed page
with ``performance.now()`` so the driver's own overhead is not counted::

    .venv/bin/python benchmarks/widget_turns.py --turns 60 [--json OUT]

One warmline server (the embedded default: SQLite) and the reference back office on loopback,
started as ``tests/live.py`` starts them, the airline pack, a verified customer (an identity
token signed with the server's secret, as a shop's page would pass it). Turns are sent one after
another in one conversation per eight turns; a conversation's first turn after the launcher is
not timed separately. Prints p50, p90 and max in milliseconds of the time on screen and of the
post alone on the wire (the framed page's resource timing: the server's turn plus loopback).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.http_turns import CUSTOMERS  # noqa: E402
from benchmarks.http_turns import TURNS as HTTP_TURNS  # noqa: E402
from tests.live import free_port, live_stack  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SECRET = "widget-turns-benchmark-identity-secret-0123456789"
CUSTOMER = CUSTOMERS[0]
TURNS = HTTP_TURNS[1:]  # the HTTP benchmark's turns, without its opening "hello"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _host_page(folder: Path, base_url: str) -> None:
    who, _, _ = CUSTOMER
    token = jwt.encode({"sub": who, "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")
    (folder / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Shop</title></head>"
        "<body><h1>Shop</h1>"
        f"<script src='{base_url}/widget.js' data-pack='airline' "
        f"data-identity-token='{token}'></script></body></html>",
        "utf-8",
    )


WATCH = """() => {
  const log = document.getElementById("log");
  document.getElementById("send").addEventListener("click", () => {
    window.__sent = performance.now(); window.__shown = 0;
  }, true);
  new MutationObserver(() => {
    const bots = log.querySelectorAll(".msg.bot").length;
    if (window.__sent && !window.__shown && bots > (window.__bots || 0)) {
      window.__shown = performance.now();
    }
    window.__bots = bots;
  }).observe(log, {childList: true, subtree: true});
  window.__bots = log.querySelectorAll(".msg.bot").length;
}"""
"""Marks, inside the framed page, the click on Send and the moment a new bot message is in the
log: the time on screen without the driver's own overhead."""


def _chat(page):  # type: ignore[no-untyped-def]
    return next(f for f in page.frames if f is not page.main_frame)


def _shown_ms(page) -> float:  # type: ignore[no-untyped-def]
    return float(_chat(page).evaluate("window.__shown - window.__sent"))


def _post_ms(page) -> float:  # type: ignore[no-untyped-def]
    """How long the last message post took on the wire, from the framed page's resource
    timing (request sent to response read: the server's turn plus loopback)."""
    return float(
        _chat(page).evaluate(
            "performance.getEntriesByType('resource').filter(e => e.name.includes('/messages'))"
            ".map(e => e.responseEnd - e.requestStart).pop() || 0"
        )
    )


def _conversation(page, origin: str, turns: int, posts: list[float]) -> list[float]:  # type: ignore[no-untyped-def]
    """One conversation through the widget: the time of each turn in ms (and, into
    ``posts``, each post's time on the wire)."""
    _, reservation, flight = CUSTOMER
    page.goto(origin + "/index.html")
    page.click("#warmline-launcher")
    frame = page.frame_locator("#warmline-frame")
    frame.locator(".msg.bot").first.wait_for()
    _chat(page).evaluate(WATCH)
    times: list[float] = []
    for i in range(turns):
        text = TURNS[i % len(TURNS)].format(reservation=reservation, flight=flight)
        bots = frame.locator(".msg.bot").count()
        frame.locator("#text").fill(text)
        frame.locator("#send").click()
        frame.locator(".msg.bot").nth(bots).wait_for()
        times.append(_shown_ms(page))
        posts.append(_post_ms(page))
        if i == 0:  # the customer is verified: the reservation is read, not asked for
            reply = frame.locator(".msg.bot").nth(bots).inner_text()
            assert reservation in reply and "DFW" in reply, reply
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        work, site = Path(tmp) / "live", Path(tmp) / "site"
        work.mkdir()
        site.mkdir()
        server = ThreadingHTTPServer(("127.0.0.1", free_port()), partial(_Quiet, directory=site))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://localhost:{server.server_address[1]}"
        env = {"WARMLINE_EMBED_ORIGINS": json.dumps([origin]), "WARMLINE_IDENTITY_SECRET": SECRET}
        trained = ROOT / "var" / "models"
        with live_stack(
            work, model_dir=trained if trained.is_dir() else None, extra_env=env
        ) as url:
            _host_page(site, url)
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
                )
                page = browser.new_page(viewport={"width": 1100, "height": 800})
                page.set_default_timeout(120_000)
                _conversation(page, origin, 3, [])  # warm the browser and the server's caches
                times: list[float] = []
                posts: list[float] = []
                while len(times) < args.turns:
                    times += _conversation(page, origin, min(8, args.turns - len(times)), posts)
                browser.close()
        server.shutdown()
    result = {"turns": len(times), "on_screen": _figures(times), "post": _figures(posts)}
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps({**result, "times_ms": times, "posts_ms": posts}, indent=1))


def _figures(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(values), 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }


if __name__ == "__main__":
    main()
