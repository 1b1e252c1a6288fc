"""``WARMLINE_AFFECT_SCREEN`` reaches the affect detector the server loads: on by default, and
``false`` has the tail read every turn."""

from __future__ import annotations

from typing import Any

import pytest

from warmline.nlu.affect import AffectConfig
from warmline.services import runtime
from warmline.settings import Settings


class _Stop(Exception):
    """Raised by the stand-in loader once it has seen the configuration."""


async def _config_loaded(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AffectConfig:
    seen: list[AffectConfig] = []

    def loader(encoder: Any, config: AffectConfig) -> None:
        seen.append(config)
        raise _Stop

    monkeypatch.setattr(runtime, "load_affect", loader)
    with pytest.raises(_Stop):
        await runtime.load_packs(settings, encoder=object())  # type: ignore[arg-type]
    return seen[0]


async def test_the_screen_is_on_unless_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARMLINE_AFFECT_SCREEN", raising=False)
    assert (await _config_loaded(Settings(), monkeypatch)).screen is True
    monkeypatch.setenv("WARMLINE_AFFECT_SCREEN", "false")
    assert (await _config_loaded(Settings(), monkeypatch)).screen is False
