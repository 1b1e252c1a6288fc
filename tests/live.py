"""Real processes on loopback for integration tests: the reference back office and warmline."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 900.0) -> None:
    """Wait until ``url`` answers 200. The limit only guards against a hang: a first start
    trains both demo packs, which takes minutes on a small busy machine."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


@contextmanager
def live_stack(
    workdir: Path,
    packs: str = '["airline", "retail"]',
    default_pack: str = "airline",
    model_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    backoffice_port: int | None = None,
) -> Iterator[str]:
    """Start the back office and `warmline serve`; yield warmline's base URL. ``extra_env``
    adds or overrides settings (``WARMLINE_EMBED_ORIGINS`` for a host page, say); a test that
    reads the back office's state itself chooses its ``backoffice_port``."""
    bo_port, port = backoffice_port or free_port(), free_port()
    env = {
        **os.environ,
        "WARMLINE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/live.db",
        "WARMLINE_BACKOFFICE_URL": f"http://127.0.0.1:{bo_port}",
        "WARMLINE_MODEL_DIR": str(model_dir or workdir / "models"),
        "WARMLINE_PACKS": packs,
        "WARMLINE_DEFAULT_PACK": default_pack,
        "WARMLINE_LOG_LEVEL": "warning",
        "WARMLINE_ENVIRONMENT": "test",
        "WARMLINE_CUSTOMER_PICKER": "1",
        # one test client is one address: limits a real customer would never meet
        "WARMLINE_START_LIMIT": "10000/minute",
        "WARMLINE_MESSAGE_LIMIT": "100000/minute",
        **(extra_env or {}),
    }
    backoffice = subprocess.Popen(
        [sys.executable, "-m", "warmline.demo.backoffice", "--port", str(bo_port)], env=env
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "warmline.cli", "serve", "--port", str(port)], env=env
    )
    try:
        wait_for(f"http://127.0.0.1:{bo_port}/_health", backoffice)
        wait_for(f"http://127.0.0.1:{port}/healthz", server)
        yield f"http://127.0.0.1:{port}"
    finally:
        for proc in (server, backoffice):
            proc.terminate()
        for proc in (server, backoffice):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
