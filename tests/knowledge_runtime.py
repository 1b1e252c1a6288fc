"""A runtime whose pack answers from documents (the mini pack with a ``knowledge`` section over
tests/fixtures/knowledge/), and a scripted OpenAI-compatible chat completions server on
loopback (a real uvicorn server, as an LLM endpoint would be) for the language model path."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.conftest import FIXTURES, MINI_PACK, test_settings
from warmline.demo.backoffice.app import create_app as create_backoffice
from warmline.nlu.embeddings import Encoder
from warmline.services.runtime import Runtime

DOCUMENTS = FIXTURES / "knowledge"


def knowledge_pack(folder: Path, *, llm: bool = False, min_support: float | None = None) -> Path:
    """The mini pack with a knowledge section over the fixture documents, written in
    ``folder``."""
    text = MINI_PACK.read_text("utf-8")
    text += f"knowledge:\n  folder: {DOCUMENTS}\n  llm: {'true' if llm else 'false'}\n"
    if min_support is not None:
        text += f"  min_support: {min_support}\n"
    path = folder / "mini_airline.yaml"
    path.write_text(text, "utf-8")
    return path


@asynccontextmanager
async def knowledge_runtime(
    encoder: Encoder, model_cache: Path, folder: Path, llm: bool | None = None, **settings: Any
) -> AsyncIterator[Runtime]:
    """A runtime over the knowledge pack; its ``knowledge.llm`` is on when ``llm`` says so
    (None: when a language model is set)."""
    pack = knowledge_pack(folder, llm=bool(settings.get("llm_url")) if llm is None else llm)
    built = await Runtime.build(
        test_settings(model_cache, packs=[str(pack)], **settings),
        transport=httpx.ASGITransport(app=create_backoffice()),
        encoder=encoder,
    )
    try:
        yield built
    finally:
        await built.aclose()


@dataclass
class Script:
    """What the scripted server answers next (``reply``: the completion's text; ``status``:
    an error status instead; ``delay_s``: a wait first), and every request body it got."""

    reply: str = "I don't know."
    status: int = 200
    delay_s: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)


def scripted_app(script: Script) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        script.received.append(
            {"body": body, "authorization": request.headers.get("authorization")}
        )
        if script.delay_s:
            await asyncio.sleep(script.delay_s)
        if script.status != 200:
            return JSONResponse({"error": {"message": "scripted failure"}}, script.status)
        return JSONResponse(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": script.reply},
                        "finish_reason": "stop",
                    }
                ],
            }
        )

    return app


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields its base URL
    once it accepts connections."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the scripted server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
