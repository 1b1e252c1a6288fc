"""The back-office client's HTTP stack does not search the import path on every request.

httpcore asks which async library runs each time it takes or closes a pooled connection, by
importing ``sniffio``; without that package installed the import fails, and each failure walks
every ``sys.path`` entry (about 3 % of a worker's CPU under load). ``sniffio`` is a dependency.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import sys

import httpx


class _Spy(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.looked_up: list[str] = []

    def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
        self.looked_up.append(fullname)
        return None  # leave the finding to the real finders


async def _serve_and_ask(requests: int) -> list[int]:
    writers: list[asyncio.StreamWriter] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except asyncio.IncompleteReadError:  # the client closed its connection
            pass

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            return [(await client.get("/")).status_code for _ in range(requests)]
    finally:
        server.close()
        for writer in writers:
            writer.close()
            await writer.wait_closed()
        await server.wait_closed()


def test_requests_through_the_pool_import_nothing() -> None:
    asyncio.run(_serve_and_ask(1))  # whatever the first request imports, once
    spy = _Spy()
    sys.meta_path.insert(0, spy)
    try:
        statuses = asyncio.run(_serve_and_ask(5))
    finally:
        sys.meta_path.remove(spy)
    assert statuses == [200] * 5
    assert "sniffio" not in spy.looked_up, spy.looked_up
