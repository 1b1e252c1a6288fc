"""The back-office client's HTTP session: no cookies kept between calls, and the pool's limits
(a burst of calls opens what it needs; the pool keeps at most ``POOL_LIMITS`` idle ones)."""

from __future__ import annotations

import asyncio

import httpx

from warmline.connectors.backoffice import POOL_LIMITS, BackOfficeClient
from warmline.services import telemetry


async def test_a_cookie_set_for_one_call_is_never_sent_with_the_next() -> None:
    sent: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("cookie"))
        return httpx.Response(
            200, json={"ok": True}, headers={"Set-Cookie": "session=customer-a; Path=/"}
        )

    transport = httpx.MockTransport(handler)
    async with BackOfficeClient("http://backoffice", transport=transport) as client:
        await client.get("/airline/users/customer_a")
        await client.get("/airline/users/customer_b")
        await client.request("POST", "/airline/reservations/X/cancel", json={"reason": "x"})
    assert sent == [None, None, None]


class CountingServer:
    """A loopback HTTP/1.1 server that answers every request after ``delay_s`` with a JSON
    object and counts the connections opened and those still open."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.opened = 0
        self.open = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        self.open += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                await asyncio.sleep(self.delay_s)
                body = b'{"ok": true}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def _burst(transport: httpx.AsyncBaseTransport | None, calls: int) -> tuple[int, int]:
    """Connections opened by ``calls`` calls at once, and those still open after them."""
    server = CountingServer(delay_s=0.5)  # long enough for all calls to be in flight at once
    url = await server.start()
    try:
        async with BackOfficeClient(url, timeout_s=30.0, transport=transport) as client:
            await asyncio.gather(*(client.get(f"/airline/users/u{n}") for n in range(calls)))
            for _ in range(100):  # the server sees the closed connections' ends
                if server.open <= POOL_LIMITS.max_keepalive_connections:
                    break
                await asyncio.sleep(0.02)
            return server.opened, server.open
    finally:
        await server.close()


async def test_a_burst_opens_what_it_needs_and_the_pool_keeps_ten_idle_connections() -> None:
    assert POOL_LIMITS.max_keepalive_connections == 10
    assert POOL_LIMITS.max_connections == 100  # as httpx: a burst never waits for the pool
    for transport in (None, telemetry.backoffice_transport(None)):  # as tests, as the server
        opened, still_open = await _burst(transport, calls=30)
        assert opened == 30
        assert still_open == 10


async def test_a_connection_idle_for_over_two_seconds_is_not_reused() -> None:
    assert POOL_LIMITS.keepalive_expiry == 2.0
    server = CountingServer(delay_s=0)
    url = await server.start()
    try:
        async with BackOfficeClient(url, timeout_s=30.0) as client:
            await client.get("/airline/users/a")
            await asyncio.sleep(1.0)
            await client.get("/airline/users/b")  # idle 1 s: the same connection
            assert server.opened == 1
            await asyncio.sleep(2.2)
            await client.get("/airline/users/c")  # idle 2.2 s: a new one
            assert server.opened == 2
    finally:
        await server.close()


async def test_each_call_goes_to_the_url_httpx_would_join() -> None:
    paths = [
        "/airline/reservations/4WQ150",
        "airline/users/mia_li_3668",
        "/retail/orders/#W5918442",
        "/airline/flights/days?origin=JFK&destination=SEA&days=21",
        "/retail/users?email=a b@é.com&zip=1",
        "/a:b@c/[x]/%7B%7D",
        "//double/leading",
    ]
    bases = ["http://bo.test", "http://bo.test:8080/api", "http://bo.test/api/", "http://[::1]:9"]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"ok": True})

    for base in bases:
        seen.clear()
        async with BackOfficeClient(base, transport=httpx.MockTransport(handler)) as client:
            for path in paths:
                await client.get(path)
        joined = httpx.AsyncClient(base_url=base)  # never sends: builds the requests only
        expected = [
            str(joined.build_request("GET", p.replace("#", "%23")).url)
            for p in (p if p.startswith("/") else f"/{p}" for p in paths)
        ]
        assert seen == expected
