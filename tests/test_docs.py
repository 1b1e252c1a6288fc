"""Documentation is tested: every setting and every CLI command appears in the docs."""

from __future__ import annotations

from pathlib import Path

from warmline.cli import app
from warmline.settings import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text("utf-8")
    missing = [n for n in Settings.model_fields if f"WARMLINE_{n.upper()}" not in text]
    assert missing == []


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text("utf-8")
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    for group in app.registered_groups:
        assert group.typer_instance is not None
        names += [f"{group.name} {c.name}" for c in group.typer_instance.registered_commands]
    assert any(n.startswith("nlu ") for n in names)
    assert names and [n for n in names if f"`warmline {n}" not in text] == []


def test_readme_opens_with_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text("utf-8")
    block = readme.split("```sh", 1)[1].split("```", 1)[0].strip().splitlines()
    assert [line.split()[:2] for line in block] == [["make", "demo"], ["make", "test"]]
