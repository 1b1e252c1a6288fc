"""The console's back-office line: each operation's circuit breaker in words, for any signed-in
agent; a write breaker opened by the reference back office's outage switch reads as that write
paused, with when its calls resume."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import sign_in, test_settings
from warmline.app import create_app
from warmline.errors import BackOfficeUnavailable
from warmline.nlu.embeddings import Encoder
from warmline.services.runtime import Runtime
from warmline.web.console_backoffice import describe, lines

CANCEL = "write:mini_airline.cancel_reservation"
THRESHOLD = 2


@pytest.fixture
async def runtime(
    encoder: Encoder, model_cache: Path, backoffice_app: object
) -> AsyncIterator[Runtime]:
    """A runtime whose breakers open after two failed calls and stay open ten minutes (no
    test here waits on them closing)."""
    settings = test_settings(
        model_cache, backoffice_circuit_threshold=THRESHOLD, backoffice_circuit_open_s=600.0
    )
    built = await Runtime.build(
        settings,
        transport=httpx.ASGITransport(app=backoffice_app),  # type: ignore[arg-type]
        encoder=encoder,
    )
    yield built
    await built.aclose()


@pytest.fixture
async def agent(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://warmline.test") as client:
        assert (await sign_in(client, "ana", "agent")).status_code == 303
        yield client


async def _cancel_in_outage(runtime: Runtime) -> None:
    """The back office is down: the cancellation's write fails ``THRESHOLD`` times."""
    await runtime.backoffice.request("PUT", "/_admin/switches", json={"outage": True})
    for n in range(THRESHOLD):
        with pytest.raises(BackOfficeUnavailable):
            await runtime.backoffice.request(
                "POST",
                "/airline/reservations/4WQ150/cancel",
                json={"reason": "change_of_plan"},
                idempotency_key=f"panel-test-{n}",
                operation=CANCEL,
            )
    await runtime.backoffice.request("PUT", "/_admin/switches", json={"outage": False})


async def test_all_closed_is_one_short_line(runtime: Runtime, agent: httpx.AsyncClient) -> None:
    await runtime.backoffice.request("GET", "/airline/reservations/4WQ150")
    panel = await agent.get("/console/backoffice", headers={"HX-Request": "true"})
    assert panel.status_code == 200
    assert 'id="backoffice-ok"' in panel.text and "every breaker closed" in panel.text
    assert "breaker state-" not in panel.text


async def test_an_open_write_breaker_reads_as_that_write_paused_until_a_time(
    runtime: Runtime, agent: httpx.AsyncClient
) -> None:
    await runtime.backoffice.request("GET", "/airline/reservations/4WQ150")  # reads work
    await _cancel_in_outage(runtime)
    assert await runtime.backoffice.circuit_open(CANCEL)
    panel = (await agent.get("/console/backoffice")).text
    assert "backoffice-ok" not in panel
    write = re.search(rf'<li[^>]*data-operation="{CANCEL}" data-state="open">(.*?)</li>', panel)
    assert write, panel
    text = re.sub(r"<[^>]+>", "", write.group(1))
    assert text.startswith("open: writes to cancel_reservation (mini_airline) paused after 2")
    assert re.search(r"calls resume at \d\d:\d\d:\d\d UTC \(in (599|600) s\)", text), text
    read = re.search(r'<li[^>]*data-operation="read" data-state="closed">(.*?)</li>', panel)
    assert read and "reads (accounts, records, previews) working" in read.group(1)
    assert panel.index(CANCEL) < panel.index('data-operation="read"')  # the open one first


async def test_the_console_home_loads_the_line_and_strangers_are_sent_to_sign_in(
    runtime: Runtime, agent: httpx.AsyncClient
) -> None:
    home = await agent.get("/console")
    assert 'hx-get="/console/backoffice"' in home.text
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://warmline.test") as anon:
        answer = await anon.get("/console/backoffice")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/signin"


@dataclass(frozen=True)
class _State:
    state: str
    failures: int = 0
    opened_at: float | None = None
    threshold: int = 5
    open_s: float = 30.0


def test_half_open_and_failing_breakers_are_told_and_ordered() -> None:
    half = describe("read", _State("half-open", opened_at=0.0), now=40.0)
    assert half.words.startswith("half-open: reads (accounts, records, previews) are being tried")
    failing = describe("write:airline.book_reservation", _State("closed", failures=3), now=0.0)
    assert (
        failing.words
        == "closed: writes to book_reservation (airline) working; 3 of 5 failed or slow"
    )
    assert not failing.calm and describe("write", _State("closed"), now=0.0).calm
    opened = describe("write", _State("open", opened_at=100.0), now=110.0)
    assert opened.words.endswith("calls resume at 00:02:10 UTC (in 20 s)")
    states = {"write": _State("closed"), "read": _State("half-open"), "x": _State("closed", 1)}
    assert [line.operation for line in lines(states, now=0.0)] == ["read", "x", "write"]
