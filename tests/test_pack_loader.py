"""A malformed pack names the file, the line and the field; a valid one loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from warmline.domain.pack_loader import load_pack, parse_pack
from warmline.errors import PackError

from .conftest import MINI_PACK


def _issues(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(PackError) as caught:
        parse_pack(text, "pack.yaml")
    return [(i.line, i.field, i.message) for i in caught.value.issues]


def test_the_test_pack_loads_with_the_builtin_intents() -> None:
    pack = load_pack(MINI_PACK)
    assert {"reservation_status", "cancel_reservation", "human_agent", "affirm"} <= set(
        pack.intents
    )


def test_a_wrong_type_names_line_and_field() -> None:
    text = MINI_PACK.read_text() + "thresholds:\n  confident: high\n"
    issues = _issues(text)
    line = text.count("\n")  # the last line of the file
    assert (
        line,
        "thresholds.confident",
        "Input should be a valid number, unable to parse string as a number",
    ) in issues


def test_an_unknown_template_is_located() -> None:
    text = MINI_PACK.read_text().replace("response: baggage_allowance", "response: nowhere")
    issues = _issues(text)
    expected_line = text.splitlines().index("    response: nowhere") + 1
    assert (
        expected_line,
        "intents.baggage_allowance.response",
        "unknown template 'nowhere'",
    ) in issues


def test_yaml_syntax_error_has_a_line() -> None:
    issues = _issues("pack: x\npersona: [unclosed\n")
    assert issues[0][1] == "(yaml)" and issues[0][0] is not None


def test_duplicate_keys_are_reported() -> None:
    text = MINI_PACK.read_text() + "description: again\n"
    issues = _issues(text)
    assert any(field == "description" and msg == "duplicate key" for _, field, msg in issues)


def test_greeting_must_disclose_ai() -> None:
    text = MINI_PACK.read_text().replace("Test Air's AI assistant", "Test Air's helper")
    issues = _issues(text)
    assert any(f == "persona.greeting" and "AI" in m for _, f, m in issues)


def test_destructive_action_needs_confirmation_wording() -> None:
    lines = MINI_PACK.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("confirm: >-"))
    kept = lines[:start] + lines[start + 3 :]
    issues = _issues("\n".join(kept) + "\n")
    assert any(f == "actions.cancel_reservation" and "confirm" in m for _, f, m in issues)


def test_non_utf8_file_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"pack: ok\n\ndescription: caf\xe9\n")
    with pytest.raises(PackError) as caught:
        load_pack(bad)
    issue = caught.value.issues[0]
    assert (issue.file, issue.line, issue.message) == (str(bad), 3, "not valid UTF-8")


def test_missing_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(PackError) as caught:
        load_pack(tmp_path / "nope.yaml")
    assert caught.value.issues[0].field == "(file)"
