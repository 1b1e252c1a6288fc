"""The real processes on loopback: `warmline serve` against the reference back office, with the
SSE stream read by a real HTTP client."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from .conftest import MINI_PACK
from .live import live_stack


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_stack(
        tmp_path_factory.mktemp("live"),
        packs=json.dumps([str(MINI_PACK)]),
        default_pack="mini_airline",
    ) as url:
        yield url


# Generous limits: the server is warm once it answers /healthz, but a busy machine may be slow;
# these guard against a hang, they do not measure speed.
LIMIT_S = 120


def test_a_turn_over_real_http_reaches_the_real_back_office(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=LIMIT_S) as client:
        cid = client.post("/api/conversations", json={"customer_id": "chen_jackson_3290"}).json()[
            "conversation_id"
        ]
        reply = client.post(
            f"/api/conversations/{cid}/messages", json={"text": "where is my reservation 4WQ150?"}
        )
        assert reply.status_code == 200 and "HAT170" in reply.json()["replies"][0]["text"]


def test_the_stream_delivers_each_new_message(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=LIMIT_S) as client:
        started = client.post("/api/conversations", json={}).json()
        cid, token = started["conversation_id"], started["conversation_token"]
        seen: list[dict[str, object]] = []
        subscribed = threading.Event()

        def read() -> None:
            with client.stream("GET", f"/api/conversations/{cid}/stream") as stream:
                event = ""
                for line in stream.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "ready":
                        subscribed.set()  # from here on nothing recorded is missed
                    elif line.startswith("data:") and event == "message":
                        seen.append(json.loads(line[5:]))
                        if len(seen) == 2:
                            return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert subscribed.wait(LIMIT_S)
        with httpx.Client(base_url=base_url, timeout=LIMIT_S) as poster:
            poster.post(
                f"/api/conversations/{cid}/messages",
                json={"text": "hello"},
                headers={"authorization": f"Bearer {token}"},
            )
        reader.join(LIMIT_S)
        assert [m["author"] for m in seen] == ["customer", "bot"]
        assert seen[0]["text"] == "hello"


def test_the_page_is_served_with_the_disclosure(base_url: str) -> None:
    page = httpx.get(base_url + "/", timeout=LIMIT_S)
    assert page.status_code == 200 and "AI assistant" in page.text


def test_an_idle_keep_alive_connection_outlives_uvicorns_five_seconds(base_url: str) -> None:
    """A client (or proxy) that reuses a connection after a pause must not find it being closed
    under its request: the server keeps idle connections 75 s by default, not uvicorn's 5 s."""
    import http.client
    import socket
    import time
    from urllib.parse import urlsplit

    address = urlsplit(base_url)
    conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=LIMIT_S)
    try:
        conn.request("GET", "/healthz")
        first = conn.getresponse()
        assert first.status == 200 and first.read()
        sock = conn.sock
        time.sleep(6.5)  # longer than uvicorn's default idle keep-alive
        sock.setblocking(False)
        try:
            closed = sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            closed = False  # nothing to read: still open
        sock.setblocking(True)
        sock.settimeout(LIMIT_S)
        assert not closed, "the server closed an idle keep-alive connection"
        conn.request("GET", "/healthz")  # the same socket: http.client does not reconnect
        second = conn.getresponse()
        assert conn.sock is sock and second.status == 200 and second.read()
    finally:
        conn.close()
