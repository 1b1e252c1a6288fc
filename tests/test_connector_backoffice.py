"""BackOfficeClient: error translation and retries (httpx.MockTransport), plus one loopback run."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from warmline.connectors.backoffice import BackOfficeClient, BackOfficeClientConfig, replayed
from warmline.demo.backoffice import create_app
from warmline.errors import (
    BackOfficeNotFound,
    BackOfficeRejected,
    BackOfficeUnavailable,
    ConnectorError,
)

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that counts calls and answers with a scripted handler."""

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def client_for(handler: Handler, retries: int = 2) -> BackOfficeClient:
    return BackOfficeClient(
        "http://backoffice", 1.0, httpx.MockTransport(handler), retries=retries, backoff_s=0
    )


def raise_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def raise_refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


async def test_timeout_becomes_unavailable() -> None:
    async with client_for(raise_timeout) as client:
        with pytest.raises(BackOfficeUnavailable) as caught:
            await client.get("/airline/users/x")
    assert not isinstance(caught.value, httpx.HTTPError)
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)


async def test_refused_connection_becomes_unavailable() -> None:
    async with client_for(raise_refused) as client:
        with pytest.raises(BackOfficeUnavailable):
            await client.get("/airline/users/x")
        assert await client.health() is False


async def test_503_becomes_unavailable() -> None:
    outage = Recorder(lambda r: httpx.Response(503, json={"error": "outage", "reason": "down"}))
    async with client_for(outage) as client:
        with pytest.raises(BackOfficeUnavailable):
            await client.get("/retail/orders/W1")
    assert len(outage.requests) == 3  # GET: one try and two retries


async def test_404_becomes_not_found_with_the_reason() -> None:
    body = {"error": "not_found", "reason": "There is no reservation ZZZ."}
    async with client_for(lambda r: httpx.Response(404, json=body)) as client:
        with pytest.raises(BackOfficeNotFound) as caught:
            await client.get("/airline/reservations/ZZZ")
    assert caught.value.message == "There is no reservation ZZZ."


async def test_409_becomes_rejected_with_reason_and_rule() -> None:
    body = {"error": "rule_violation", "rule": "baggage_removal", "reason": "Bags cannot go."}
    refusal = Recorder(lambda r: httpx.Response(409, json=body))
    async with client_for(refusal) as client:
        with pytest.raises(BackOfficeRejected) as caught:
            await client.request("POST", "/airline/reservations/A/baggages", json={"n": 1})
    assert caught.value.message == "Bags cannot go."
    assert caught.value.rule == "baggage_removal"  # type: ignore[attr-defined]
    assert caught.value.public_detail() == "Bags cannot go."
    assert len(refusal.requests) == 1


async def test_other_4xx_and_non_json_are_connector_errors() -> None:
    async with client_for(lambda r: httpx.Response(405, text="nope")) as client:
        with pytest.raises(ConnectorError) as caught:
            await client.get("/x")
    assert type(caught.value) is ConnectorError
    async with client_for(lambda r: httpx.Response(200, text="<html>")) as client:
        with pytest.raises(ConnectorError):
            await client.get("/x")


async def test_write_without_idempotency_key_is_never_retried() -> None:
    failing = Recorder(lambda r: httpx.Response(500, json={"reason": "boom"}))
    async with client_for(failing) as client:
        with pytest.raises(BackOfficeUnavailable):
            await client.request("POST", "/airline/reservations/A/cancel", json={"reason": "x"})
    assert len(failing.requests) == 1


async def test_write_with_idempotency_key_is_retried_with_the_same_key() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json={"status": "cancelled"})])
    flaky = Recorder(lambda r: next(answers))
    async with client_for(flaky) as client:
        result = await client.request(
            "POST", "/airline/reservations/A/cancel", json={"reason": "x"}, idempotency_key="k1"
        )
    assert result == {"status": "cancelled"}
    assert [r.headers["idempotency-key"] for r in flaky.requests] == ["k1", "k1"]


async def test_get_is_retried_until_it_succeeds() -> None:
    answers = iter([httpx.Response(500), httpx.Response(200, json={"user_id": "u"})])
    flaky = Recorder(lambda r: next(answers))
    async with client_for(flaky) as client:
        assert await client.get("/airline/users/u") == {"user_id": "u"}
    assert len(flaky.requests) == 2


async def test_hash_in_order_ids_is_sent_as_data() -> None:
    seen = Recorder(lambda r: httpx.Response(200, json={"ok": True}))
    async with client_for(seen) as client:
        await client.get("/retail/orders/#W5918442")
    assert seen.requests[0].url.raw_path == b"/retail/orders/%23W5918442"


async def test_client_against_the_app_in_process() -> None:
    transport = httpx.ASGITransport(app=create_app())
    config = BackOfficeClientConfig(base_url="http://backoffice", timeout_s=60.0, retries=0)
    async with BackOfficeClient.from_config(config, transport) as client:
        assert await client.health() is True
        order = await client.get("/retail/orders/#W5918442")
        assert order["status"] == "pending"
        with pytest.raises(BackOfficeRejected) as caught:
            await client.request(
                "POST", "/airline/reservations/T1QOBS/cancel", json={"reason": "change_of_plan"}
            )
        assert caught.value.rule == "cancellation_not_eligible"  # type: ignore[attr-defined]
        with pytest.raises(BackOfficeRejected) as invalid:
            await client.request("POST", "/airline/reservations/T1QOBS/cancel", json={})
        assert invalid.value.rule == "invalid_request"  # type: ignore[attr-defined]


async def test_an_answer_replayed_under_its_key_is_marked_so() -> None:
    transport = httpx.ASGITransport(app=create_app())
    config = BackOfficeClientConfig(base_url="http://backoffice", timeout_s=60.0, retries=0)
    body = {"item_ids": ["6384525445"], "ttl_s": 60}
    async with BackOfficeClient.from_config(config, transport) as client:
        first = await client.request("POST", "/retail/holds", json=body, idempotency_key="k1")
        again = await client.request("POST", "/retail/holds", json=body, idempotency_key="k1")
        other = await client.request("POST", "/retail/holds", json=body, idempotency_key="k2")
    assert not replayed(first) and not replayed(other)
    assert replayed(again) and again == first  # the same answer, told apart as a replay
    assert other["hold_id"] != first["hold_id"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_real_service_over_loopback() -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "warmline.demo.backoffice",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        # generous limits: they guard against a hang on a busy machine, not measure speed
        async with BackOfficeClient(f"http://127.0.0.1:{port}", timeout_s=60.0) as client:
            deadline = time.monotonic() + 180
            while not await client.health():
                assert process.returncode is None, "back office exited at start-up"
                assert time.monotonic() < deadline, "back office did not start in 180 s"
                await asyncio.sleep(0.05)
            reservation = await client.get("/airline/reservations/4WQ150")
            assert reservation["user_id"] == "chen_jackson_3290"
            with pytest.raises(BackOfficeNotFound):
                await client.get("/airline/reservations/NOPE00")
    finally:
        if process.returncode is None:
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_the_circuit_opens_after_failures_and_fails_fast() -> None:
    from warmline.errors import BackOfficeCircuitOpen, BackOfficeUnavailable

    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, json={"detail": "down"})

    client = BackOfficeClient(
        "http://bo.test",
        transport=httpx.MockTransport(handler),
        retries=0,
        backoff_s=0,
        circuit_threshold=2,
        circuit_open_s=60,
    )
    for _ in range(2):
        with pytest.raises(BackOfficeUnavailable):
            await client.get("/airline/flights/HAT170")
    with pytest.raises(BackOfficeCircuitOpen, match="circuit open"):
        await client.get("/airline/flights/HAT170")
    assert calls == 2  # the open circuit never reached the back office
    await client.aclose()


async def test_refusals_and_missing_records_never_open_the_circuit() -> None:
    from warmline.errors import BackOfficeNotFound

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "no such flight"})

    client = BackOfficeClient(
        "http://bo.test", transport=httpx.MockTransport(handler), circuit_threshold=1
    )
    for _ in range(3):
        with pytest.raises(BackOfficeNotFound):
            await client.get("/airline/flights/NOPE")
    await client.aclose()


def _down(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, json={"reason": "down"})


def _breaker_client(handler: Handler, **options: object) -> BackOfficeClient:
    settings: dict[str, object] = {"retries": 0, "backoff_s": 0, "circuit_threshold": 2}
    settings.update(options)
    return BackOfficeClient(
        "http://bo.test",
        transport=httpx.MockTransport(handler),
        **settings,  # type: ignore[arg-type]
    )


async def test_reads_and_writes_have_breakers_of_their_own() -> None:
    from warmline.errors import BackOfficeCircuitOpen

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return _down(request)
        return httpx.Response(200, json={"ok": True})

    async with _breaker_client(handler, circuit_open_s=60) as client:
        for _ in range(2):
            with pytest.raises(BackOfficeUnavailable):
                await client.request("POST", "/airline/reservations/A/cancel", json={})
        with pytest.raises(BackOfficeCircuitOpen):
            await client.request("POST", "/airline/reservations/B/cancel", json={})
        assert await client.get("/airline/reservations/A") == {"ok": True}  # reads go on
        assert await client.circuit_open("write") and not await client.circuit_open("read")
        states = await client.breaker_states()
    assert states["write"].state == "open" and states["write"].threshold == 2
    assert states["write"].opened_at is not None
    assert states["read"].state == "closed" and states["read"].failures == 0


async def test_a_named_operation_opens_alone() -> None:
    from warmline.errors import BackOfficeCircuitOpen

    async with _breaker_client(_down, circuit_threshold=2, circuit_open_s=60) as client:
        for _ in range(2):
            with pytest.raises(BackOfficeUnavailable):
                await client.request("POST", "/x", json={}, operation="write:air.cancel")
        with pytest.raises(BackOfficeCircuitOpen, match=r"write:air\.cancel"):
            await client.request("POST", "/x", json={}, operation="write:air.cancel")
        with pytest.raises(BackOfficeUnavailable) as other:
            await client.request("POST", "/y", json={}, operation="write:air.book")
        states = await client.breaker_states()
    assert not isinstance(other.value, BackOfficeCircuitOpen)
    assert states["write:air.book"].state == "closed" and states["write:air.book"].failures == 1


async def test_slow_calls_open_the_breaker_and_their_answers_are_still_used() -> None:
    from warmline.errors import BackOfficeCircuitOpen

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.06)
        return httpx.Response(200, json={"ok": True})

    async with _breaker_client(slow, slow_call_s=0.03, circuit_open_s=60) as client:
        assert await client.get("/airline/flights/HAT170") == {"ok": True}
        assert await client.get("/airline/flights/HAT170") == {"ok": True}
        with pytest.raises(BackOfficeCircuitOpen):
            await client.get("/airline/flights/HAT170")
        assert (await client.breaker_states())["read"].state == "open"


async def test_without_a_slow_limit_slow_calls_never_open_it() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.02)
        return httpx.Response(200, json={"ok": True})

    async with _breaker_client(slow, slow_call_s=None, circuit_threshold=1) as client:
        for _ in range(3):
            assert await client.get("/airline/flights/HAT170") == {"ok": True}
        assert (await client.breaker_states())["read"].state == "closed"


async def test_after_its_pause_one_call_goes_through_and_a_success_closes_it() -> None:
    answers = iter([_down, lambda r: httpx.Response(200, json={"ok": True})])
    current: list[Handler] = [next(answers)]

    async with _breaker_client(
        lambda r: current[0](r), circuit_threshold=1, circuit_open_s=0.05
    ) as client:
        with pytest.raises(BackOfficeUnavailable):
            await client.get("/x")
        current[0] = next(answers)
        await asyncio.sleep(0.06)  # longer than the pause: half-open
        assert (await client.breaker_states())["read"].state == "half-open"
        assert await client.get("/x") == {"ok": True}
        assert (await client.breaker_states())["read"].state == "closed"


REDIS_URL = os.environ.get("WARMLINE_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="WARMLINE_TEST_REDIS_URL is not set")
async def test_two_workers_share_one_breaker_through_redis() -> None:
    from warmline.errors import BackOfficeCircuitOpen

    prefix = f"warmline-test-{uuid.uuid4().hex}:"
    calls: list[str] = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return _down(request)

    options = {"circuit_open_s": 60, "redis_url": REDIS_URL, "redis_prefix": prefix}
    async with (
        _breaker_client(down, **options) as first,
        _breaker_client(down, **options) as second,
    ):
        with pytest.raises(BackOfficeUnavailable):
            await first.request("POST", "/a", json={}, operation="write:air.cancel")
        assert (await second.breaker_states())["write:air.cancel"].failures == 1
        with pytest.raises(BackOfficeUnavailable):
            await second.request("POST", "/b", json={}, operation="write:air.cancel")
        with pytest.raises(BackOfficeCircuitOpen):
            await first.request("POST", "/c", json={}, operation="write:air.cancel")
        assert await second.circuit_open("write:air.cancel")
        assert (await first.breaker_states())["write:air.cancel"].state == "open"
        assert first.breakers.shared
        redis = first.breakers.factory.uow.contexts.redis  # type: ignore[attr-defined]
        await redis.delete([f"{prefix}breaker:write:air.cancel", f"{prefix}breakers"])
    assert calls == ["/a", "/b"]  # the open circuit was shared: /c never left


async def test_an_unreachable_redis_leaves_each_worker_its_own_breakers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from warmline.errors import BackOfficeCircuitOpen

    options = {"circuit_open_s": 60, "redis_url": f"redis://127.0.0.1:{_free_port()}/0"}
    async with _breaker_client(_down, **options) as client:
        for _ in range(2):
            with pytest.raises(BackOfficeUnavailable):
                await client.get("/x")
        with pytest.raises(BackOfficeCircuitOpen):
            await client.get("/x")
        assert (await client.breaker_states())["read"].state == "open"
    assert "Redis failed" in caplog.text
