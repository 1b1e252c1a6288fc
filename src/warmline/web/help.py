"""The help centre's pages: ``/help/{pack}`` lists a pack's ingested documents and
``/help/{pack}/{doc}`` shows one, rendered from its Markdown with an anchor on every section,
so the citation under a knowledge answer (``Passage.url``) opens the very section it quotes.
Public, as a company's help centre is; the article's own HTML is escaped, never passed through
(``knowledge/rendering.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from warmline.api.deps import RuntimeDep
from warmline.errors import NotFound
from warmline.services.knowledge import KnowledgeBase
from warmline.services.runtime import Runtime
from warmline.web.pages import templates

router = APIRouter(include_in_schema=False)
PackName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
DocId = Annotated[str, Path(min_length=1, max_length=512)]
HEADERS = {"Cache-Control": "public, max-age=60"}


def _knowledge(runtime: Runtime, pack: str) -> KnowledgeBase:
    knowledge = runtime.knowledge
    if knowledge is None or pack not in knowledge.packs():
        raise NotFound(f"no help centre for '{pack}'")
    return knowledge


@router.get("/help/{pack}", response_class=HTMLResponse)
async def help_index(request: Request, pack: PackName, runtime: RuntimeDep) -> Response:
    """The pack's documents, by title."""
    knowledge = _knowledge(runtime, pack)
    documents = sorted(
        (await knowledge.repository.documents(pack)).values(), key=lambda d: d.title.lower()
    )
    company = runtime.packs.resolve(pack).pack.persona.company
    context = {"pack": pack, "company": company, "documents": documents}
    return templates.TemplateResponse(request, "help_index.html", context, headers=HEADERS)


@router.get("/help/{pack}/{doc:path}", response_class=HTMLResponse)
async def help_page(request: Request, pack: PackName, doc: DocId, runtime: RuntimeDep) -> Response:
    """One document, its sections anchored (``#section-slug``)."""
    page = await _knowledge(runtime, pack).page(pack, doc)
    company = runtime.packs.resolve(pack).pack.persona.company
    context = {"page": page, "company": company}
    return templates.TemplateResponse(request, "help.html", context, headers=HEADERS)
