"""Problem responses (RFC 9457) for every error. Clients never see a stack trace or ``str(exc)``
of an error that is not marked public."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from warmline.errors import WarmlineError

log = logging.getLogger("warmline.api")
PROBLEM = "application/problem+json"


class Problem(BaseModel):
    """An error, as every route answers it (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="stable machine-readable code, e.g. conversation_closed")
    errors: list[dict[str, Any]] | None = Field(None, description="each invalid field (422)")


def documented(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problem statuses a router can answer, with their media
    type, so the document declares every status the API returns."""
    schema = Problem.model_json_schema()
    return {
        status: {"description": text, "content": {PROBLEM: {"schema": schema}}}
        for status, text in descriptions.items()
    }


def problem(
    status: int,
    title: str,
    detail: str,
    code: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": f"https://warmline.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
            "message": err.get("msg", ""),
        }
        for err in exc.errors()
    ]


def install(app: FastAPI) -> None:
    @app.exception_handler(WarmlineError)
    async def _warmline(request: Request, exc: WarmlineError) -> JSONResponse:
        if exc.status >= 500:
            log.warning("%s on %s %s: %s", exc.code, request.method, request.url.path, exc.message)
        headers = getattr(exc, "headers", None)  # Retry-After of a 429
        return problem(exc.status, exc.title, exc.public_detail(), exc.code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return problem(
                400, "Malformed JSON", "the request body is not valid JSON", "malformed_json"
            )
        return problem(
            422,
            "Invalid request",
            "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            "invalid_request",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Request too large"}
        title = titles.get(exc.status_code, "HTTP error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem(exc.status_code, title, detail, title.lower().replace(" ", "_"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(
            500,
            "Internal error",
            "something went wrong on our side; it has been logged",
            "internal",
        )
