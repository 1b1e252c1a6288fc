"""Shared fixtures: one encoder per session, the small test pack, an in-memory runtime that
reaches the reference back office in-process, and an HTTP client on the app."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from warmline.app import create_app
from warmline.demo.backoffice.app import create_app as create_backoffice
from warmline.domain.pack import DomainPack
from warmline.domain.pack_loader import load_pack
from warmline.nlu.embeddings import Encoder, load_encoder
from warmline.nlu.engine import NluEngine
from warmline.services.runtime import Runtime
from warmline.settings import Settings, get_settings

FIXTURES = Path(__file__).parent / "fixtures"
MINI_PACK = FIXTURES / "mini_airline.yaml"
POSTGRES_URL = os.environ.get("WARMLINE_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return load_encoder()


@pytest.fixture(scope="session")
def mini_pack() -> DomainPack:
    return load_pack(MINI_PACK)


@pytest.fixture(scope="session")
def mini_nlu(mini_pack: DomainPack, encoder: Encoder, model_cache: Path) -> NluEngine:
    """The mini pack's NLU, trained once: runtimes built later read it from ``model_cache``."""
    return NluEngine.train(mini_pack, encoder, cache_dir=model_cache)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of this test run's own on the PostgreSQL server of
    ``WARMLINE_TEST_POSTGRES_URL``, dropped at the end: runs side by side never meet."""
    import asyncpg
    from sqlalchemy.engine import make_url

    if not POSTGRES_URL:
        pytest.skip("WARMLINE_TEST_POSTGRES_URL not set")
    server = make_url(POSTGRES_URL)
    name = f"warmline_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def run(statement: str) -> None:  # in a thread of its own: a test's loop may be running
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, execute(statement)).result()

    run(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


def test_settings(model_cache: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": "sqlite+aiosqlite:///:memory:",
        "packs": [str(MINI_PACK)],
        "default_pack": "mini_airline",
        "backoffice_url": "http://backoffice.test",
        "model_dir": model_cache,
        "environment": "test",
        # tests start conversations for a customer id, as the demo's picker does; the identity
        # tests (test_identity.py) turn it off
        "customer_picker": True,
        # a busy test machine may take seconds over a loopback call: slowness must not open a
        # breaker in tests that are not about it (tests/test_connector_backoffice.py sets its own)
        "backoffice_slow_call_s": 120.0,
    }
    values.update(overrides)
    return get_settings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]


async def sign_in(
    client: httpx.AsyncClient, name: str = "ana", password: str = "agent", **form: str
) -> httpx.Response:
    """Sign ``name`` in to the console as a browser does: read the sign-in page's CSRF token,
    post the form with it; on success the client sends the session's token as
    ``X-CSRF-Token`` from then on (as htmx does)."""
    client.headers.pop("X-CSRF-Token", None)  # a previous session's
    page = await client.get("/console/signin")
    token = csrf_from(page.text)
    response = await client.post(
        "/console/signin",
        data={"name": name, "password": password, "csrf_token": token, **form},
    )
    if response.status_code == 303:
        session = await client.get("/api/agent/session")
        client.headers["X-CSRF-Token"] = session.json()["csrf_token"]
    return response


def csrf_from(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def backoffice_app():  # type: ignore[no-untyped-def]
    return create_backoffice()


@pytest.fixture
async def runtime(encoder: Encoder, model_cache: Path, backoffice_app) -> AsyncIterator[Runtime]:  # type: ignore[no-untyped-def]
    built = await Runtime.build(
        test_settings(model_cache),
        transport=httpx.ASGITransport(app=backoffice_app),
        encoder=encoder,
    )
    yield built
    await built.aclose()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://warmline.test"
    ) as c:
        yield c


async def empty_postgres(engine: AsyncEngine) -> None:
    """Empty the session's PostgreSQL database of every table (whatever the migrations
    added) and of Alembic's version, so the next upgrade builds the schema from nothing."""
    async with engine.begin() as connection:
        await connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        await connection.exec_driver_sql("CREATE SCHEMA public")
