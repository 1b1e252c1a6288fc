"""A serving process multiplies a turn's rows on one BLAS thread (``services/runtime.py``,
``one_blas_thread``): OpenBLAS's pool spins on every core for a product that one thread does
in a tenth of the CPU."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from warmline.nlu.embeddings import Encoder
from warmline.services import runtime as runtime_module
from warmline.services.runtime import Runtime, one_blas_thread


def blas_threads() -> set[int]:
    return {int(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_one_blas_thread_leaves_numpy_one_thread() -> None:
    with threadpool_limits(limits=2, user_api="blas"):  # restored after the test
        one_blas_thread()
        assert blas_threads() <= {1}


async def test_a_runtime_serves_on_one_blas_thread_once_its_packs_are_trained(
    model_cache: Path, encoder: Encoder, backoffice_app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import test_settings

    calls: list[bool] = []
    monkeypatch.setattr(runtime_module, "one_blas_thread", lambda: calls.append(True))
    built = await Runtime.build(
        test_settings(model_cache),
        transport=httpx.ASGITransport(app=backoffice_app),  # type: ignore[arg-type]
        encoder=encoder,
    )
    try:
        assert calls == [True]
    finally:
        await built.aclose()
