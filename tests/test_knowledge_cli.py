"""``warmline knowledge ingest | list | search``: what changed is said, the documents listed,
the passages shown with their ranks, section paths and links, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import MINI_PACK
from warmline.cli import app

runner = CliRunner()


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "refunds.md").write_text(
        "# Refunds\n\n## Timing\n\nA refund reaches your card within seven business days.\n"
    )
    (docs / "pets.md").write_text("# Pets\n\n## Cabin\n\nSmall cats and dogs fly in the cabin.\n")
    pack = tmp_path / "mini_airline.yaml"
    pack.write_text(MINI_PACK.read_text() + "\nknowledge:\n  folder: docs\n")
    monkeypatch.setenv("WARMLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/k.db")
    monkeypatch.setenv("WARMLINE_PACKS", json.dumps([str(pack)]))
    monkeypatch.setenv("WARMLINE_DEFAULT_PACK", "mini_airline")
    monkeypatch.setenv("WARMLINE_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("WARMLINE_ENCODER_PRECISION", "int8")
    return docs


def _words(output: str) -> str:
    return " ".join(output.split())


def test_ingest_says_what_changed(configured: Path) -> None:
    first = runner.invoke(app, ["knowledge", "ingest"])
    assert first.exit_code == 0, first.output
    assert "mini_airline: 2 added, 0 changed, 0 unchanged, 0 removed; 2 chunks" in first.output
    (configured / "pets.md").unlink()
    (configured / "refunds.md").write_text("# Refunds\n\n## Timing\n\nThree days now.\n")
    (configured / "seats.md").write_text("# Seats\n\nChoose a seat at check-in.\n")
    second = runner.invoke(app, ["knowledge", "ingest", "--pack", "mini_airline"])
    assert second.exit_code == 0, second.output
    assert "1 added, 1 changed, 0 unchanged, 1 removed" in second.output
    for line in ("added seats.md", "changed refunds.md", "removed pets.md"):
        assert line in second.output
    listed = runner.invoke(app, ["knowledge", "list"])
    assert (
        listed.exit_code == 0 and "refunds.md" in listed.output and "pets.md" not in listed.output
    )


def test_search_shows_ranks_sections_and_links(configured: Path) -> None:
    assert runner.invoke(app, ["knowledge", "ingest"]).exit_code == 0
    found = runner.invoke(
        app, ["knowledge", "search", "how long does a refund take", "-k", "2", "--format", "json"]
    )
    assert found.exit_code == 0, found.output
    passages = json.loads(found.output)
    assert len(passages) == 2
    best = passages[0]
    assert best["doc_id"] == "refunds" and best["section_path"] == ["Refunds", "Timing"]
    assert best["url"] == "/help/mini_airline/refunds#timing"
    assert set(best["ranks"]) <= {"bm25", "dense"} and best["ranks"] and best["score"] > 0
    table = runner.invoke(app, ["knowledge", "search", "can my cat fly with me", "-k", "1"])
    assert table.exit_code == 0 and "Pets > Cabin" in _words(table.output)


def test_an_unknown_pack_is_an_error(configured: Path) -> None:
    result = runner.invoke(app, ["knowledge", "search", "refund", "--pack", "retail"])
    assert result.exit_code == 2
    assert "pack 'retail' has no knowledge folder" in _words(result.output)
