"""Documentation is tested: every setting, every CLI command, every reason code and trigger
appears in the docs."""

from __future__ import annotations

import re
from pathlib import Path

from warmline.cli import app
from warmline.domain.reasons import REASON_CODES, TRIGGERS
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


def _documented(section: str) -> set[str]:
    """The codes in the first column of the tables under ``section`` of docs/reasons.md."""
    text = (DOCS / "reasons.md").read_text("utf-8")
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", body, flags=re.M))


def test_every_reason_code_and_trigger_is_documented_and_nothing_else() -> None:
    assert _documented("Triggers") == set(TRIGGERS)
    assert _documented("Reason codes") == set(REASON_CODES)
    assert len(REASON_CODES) == len(set(REASON_CODES))


def test_every_file_the_architecture_names_exists() -> None:
    text = (DOCS / "architecture.md").read_text("utf-8")
    named = set(re.findall(r"`((?:[a-z_]+/)*[a-z_]+\.(?:py|yaml))`", text))
    package, root = DOCS.parent / "src" / "warmline", DOCS.parent
    assert len(named) > 40
    assert sorted(n for n in named if not (package / n).exists() and not (root / n).exists()) == []


def test_the_readme_links_the_architecture() -> None:
    readme = (DOCS.parent / "README.md").read_text("utf-8")
    assert "(docs/architecture.md)" in readme and "(docs/reasons.md)" in readme
