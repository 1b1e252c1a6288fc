"""The embeddable widget: ``/widget.js``, one script tag on another site's page that adds a
launcher button opening the chat in an iframe (``static/widget.js``; docs/widget.md).

The script is served to any origin (``Access-Control-Allow-Origin: *``,
``Cross-Origin-Resource-Policy: cross-origin``): it holds nothing secret. Which sites may frame
the chat and start conversations from their pages is ``WARMLINE_EMBED_ORIGINS``
(``api/headers.py``, ``api/origin.py``)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)

HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Cache-Control": "public, max-age=300",
}


@cache
def _script() -> bytes:
    return resources.files("warmline.web").joinpath("static", "widget.js").read_bytes()


@router.get("/widget.js")
async def widget_script() -> Response:
    """The launcher script for host pages."""
    return Response(_script(), media_type="text/javascript; charset=utf-8", headers=HEADERS)
