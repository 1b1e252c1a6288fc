"""The help centre's pages: every ingested document at ``/help/{pack}/{doc}`` with an anchor
on each section (where citations point), its own HTML escaped and unsafe links dropped; 404
for a document or pack that is not there. Public, as a help centre is."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import MINI_PACK, test_settings
from warmline.app import create_app
from warmline.nlu.embeddings import Encoder
from warmline.services.runtime import Runtime

ARTICLE = """---
title: Refunds and timing
---
# Refunds and timing

Refunds go back to the card you paid with. See [baggage fees](baggage.md#fees).

## How long a refund takes

A refund reaches your card within **seven** business days.

## How long a refund takes

The same heading twice gets its own anchor.

<script>alert("x")</script>

[click me](javascript:alert(1)) and <img src=x onerror=alert(2)>
"""


@pytest.fixture
async def helped(
    tmp_path: Path, encoder: Encoder, model_cache: Path, backoffice_app: object
) -> AsyncIterator[Runtime]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "refunds.md").write_text(ARTICLE)
    (docs / "baggage.md").write_text("# Baggage\n\n## Fees\n\nA second bag costs $50.\n")
    (docs / "old.html").write_text("<h1>Old <page></h1><h2>Part & parcel</h2><p>1 < 2</p>")
    pack = tmp_path / "mini_airline.yaml"
    pack.write_text(MINI_PACK.read_text() + "\nknowledge:\n  folder: docs\n")
    settings = test_settings(model_cache, packs=[str(pack)])
    built = await Runtime.build(
        settings,
        transport=httpx.ASGITransport(app=backoffice_app),  # type: ignore[arg-type]
        encoder=encoder,
    )
    yield built
    await built.aclose()


@pytest.fixture
async def client(helped: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime=helped))
    async with httpx.AsyncClient(transport=transport, base_url="http://warmline.test") as c:
        yield c


async def test_a_document_page_anchors_every_section(client: httpx.AsyncClient) -> None:
    page = await client.get("/help/mini_airline/refunds")  # no session: the page is public
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<h1 id="top">Refunds and timing</h1>' in html
    assert '<h2 id="how-long-a-refund-takes">How long a refund takes</h2>' in html
    assert '<h2 id="how-long-a-refund-takes-1">' in html
    assert "<strong>seven</strong>" in html
    assert 'href="baggage#fees"' in html  # a link to another document goes to its page
    assert 'href="#how-long-a-refund-takes"' in html  # the contents


async def test_the_document_s_own_html_is_escaped_and_unsafe_links_dropped(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/help/mini_airline/refunds")).text
    article = html[html.index("<article>") :]
    assert "<script>" not in article and "&lt;script&gt;" in article
    assert "<img" not in article and "&lt;img src=x onerror=alert(2)&gt;" in article
    assert "javascript:" not in re.sub(r"\[click me\]\(javascript:alert\(1\)\)", "", article)
    assert not re.search(r"href=\"javascript", article)
    other = (await client.get("/help/mini_airline/old")).text
    assert '<h1 id="top">Old</h1>' in other or "Old" in other
    assert '<h2 id="part-parcel">Part &amp; parcel</h2>' in other and "1 &lt; 2" in other


async def test_citations_open_a_real_section(helped: Runtime, client: httpx.AsyncClient) -> None:
    assert helped.knowledge is not None
    [passage] = await helped.knowledge.search("mini_airline", "how much is a second bag", 1)
    assert passage.url == "/help/mini_airline/baggage#fees"
    path, anchor = passage.url.split("#")
    page = await client.get(path)
    assert page.status_code == 200 and f'id="{anchor}"' in page.text


async def test_the_index_lists_the_documents(client: httpx.AsyncClient) -> None:
    index = await client.get("/help/mini_airline")
    assert index.status_code == 200
    for link in ("/help/mini_airline/baggage", "/help/mini_airline/refunds"):
        assert f'href="{link}"' in index.text
    assert "Test Air help centre" in index.text


@pytest.mark.parametrize(
    "path",
    [
        "/help/mini_airline/nothing-here",
        "/help/mini_airline/refunds.md",
        "/help/retail/refunds",
        "/help/retail",
        "/help/mini_airline/%3Cscript%3E",
    ],
)
async def test_an_unknown_document_or_pack_is_a_404(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "<script>" not in answer.text


async def test_a_malformed_pack_name_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.get("/help/Not-A-Pack/refunds")
    assert answer.status_code in (404, 422)
