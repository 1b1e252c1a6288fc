"""The API's own page, ``/docs`` (Swagger UI), served with no internet.

Swagger UI's script and style come from the ``fastapi-offline`` package (its copy of the
Swagger UI bundle, Apache-2.0), mounted at ``/static/api-docs``; the page starts it from
``/static/api-docs.js``, a file of this package, so no inline script is needed and the page
keeps a strict Content-Security-Policy (``api/headers.py``). ReDoc is not offered: its bundle
fetches its logo from a CDN."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

ASSETS_URL = "/static/api-docs"
router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("warmline.web").joinpath("templates")))


def assets() -> StaticFiles:
    """Swagger UI's files, for ``app.mount(ASSETS_URL, ...)``."""
    return StaticFiles(directory=str(Path(fastapi_offline.__file__).parent / "static"))


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return templates.TemplateResponse(
        request,
        "api_docs.html",
        {
            "title": f"{request.app.title} API",
            "openapi_url": f"{root}{request.app.openapi_url}",
            "assets": f"{root}{ASSETS_URL}",
            "root": root,
        },
    )
