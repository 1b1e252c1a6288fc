"""The runtime's warm-up (``services/runtime.py``): once a runtime is built, nothing is loaded
on a customer's turn (the documents' answer check included), and all that was loaded is kept
out of the garbage collector's full collections, which otherwise walk every object of the
models and packs (a pause of 0.3-0.8 s for whichever turn sets one off)."""

from __future__ import annotations

import gc
from pathlib import Path

import httpx

from tests.conftest import MINI_PACK, test_settings
from warmline.knowledge import answer_check
from warmline.nlu.embeddings import Encoder
from warmline.services.runtime import Runtime, warm


def collected(thing: object) -> bool:
    """Whether the garbage collector's generations hold ``thing`` (a frozen one they do not)."""
    return any(o is thing for o in gc.get_objects())


def test_the_warm_up_freezes_what_is_loaded_and_only_once_per_process() -> None:
    gc.unfreeze()  # a runtime built earlier in this process froze what it had loaded
    try:
        loaded = {"model": [object()]}
        warm({})  # type: ignore[arg-type]  # no packs: the freezing alone
        assert gc.get_freeze_count() > 0
        assert not collected(loaded)
        made_later = {"state": [object()]}
        warm({})  # type: ignore[arg-type]  # a second runtime in the process freezes nothing
        assert collected(made_later)
    finally:
        gc.unfreeze()


async def test_a_runtime_with_documents_loads_the_answer_check_before_the_first_question(
    tmp_path: Path, encoder: Encoder, model_cache: Path, backoffice_app: object
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "baggage.md").write_text("# Baggage\n\n## Fees\n\nA second bag costs $50.\n")
    pack = tmp_path / "mini_airline.yaml"
    pack.write_text(MINI_PACK.read_text() + "\nknowledge:\n  folder: docs\n")
    answer_check._loaded.cache_clear()
    built = await Runtime.build(
        test_settings(model_cache, packs=[str(pack)]),
        transport=httpx.ASGITransport(app=backoffice_app),  # type: ignore[arg-type]
        encoder=encoder,
    )
    try:
        assert built.knowledge is not None
        assert answer_check._loaded.cache_info().currsize == 1
    finally:
        await built.aclose()
