"""The pack's console section: profile rules and saved replies, their templates, and the errors
a malformed one gives (file, line and field, like every pack error)."""

from __future__ import annotations

from pathlib import Path

import pytest

from warmline.domain.console import ConsoleSpec, fill, placeholders
from warmline.domain.pack_loader import load_pack, parse_pack
from warmline.errors import PackError

PACKS = Path(__file__).resolve().parent.parent / "src" / "warmline" / "demo" / "packs"
MINIMAL = """\
pack: tiny
persona:
  name: Kit
  company: Tiny
  greeting: Hi, I'm Kit, an AI assistant. Ask for a person any time.
intents:
  hello:
    examples: [hello there, hi you, good morning]
    escalate: true
console:
  profile:
    - label: Name
      value: "{name.first_name} {name.last_name}"
"""


def test_both_demo_packs_declare_a_profile_and_saved_replies() -> None:
    for name in ("airline", "retail"):
        console = load_pack(PACKS / f"{name}.yaml").console
        labels = [rule.label for rule in console.profile]
        assert "Name" in labels and "Address" in labels, name
        assert any(rule.status for rule in console.profile), name  # a list with its status
        assert "/greet" in [macro.shortcut for macro in console.macros], name


def test_a_pack_without_a_console_section_has_an_empty_one() -> None:
    pack = parse_pack(MINIMAL.split("console:")[0])
    assert pack.console == ConsoleSpec()


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        ('      value: "{name.first_name"', "console.profile.1.value", "unbalanced brace"),
        ('      value: "{first name}"', "console.profile.1.value", "not a placeholder"),
        ("      items: orders[0]", "console.profile.1.items", "dotted path"),
        ('      value: "{a}"\n      items: orders', "console.profile.1", "either a value or"),
        ("      items: o\n      request: users/{x}", "console.profile.1.request", "path starting"),
    ],
)
def test_a_malformed_profile_rule_names_the_file_line_and_field(
    rule: str, field: str, words: str
) -> None:
    text = MINIMAL + "    - label: Broken\n" + rule + "\n"
    with pytest.raises(PackError) as caught:
        parse_pack(text, "tiny.yaml")
    issue = caught.value.issues[0]
    assert (issue.file, issue.field) == ("tiny.yaml", field)
    assert words in issue.message
    assert issue.line is not None and issue.line >= 14  # the broken rule's lines, not the top


def test_a_malformed_macro_is_reported_and_shortcuts_are_unique() -> None:
    bad = MINIMAL + '  macros:\n    - name: hi\n      shortcut: greet\n      text: "Hi {x"\n'
    with pytest.raises(PackError) as caught:
        parse_pack(bad, "tiny.yaml")
    fields = {issue.field: issue.line for issue in caught.value.issues}
    assert fields == {"console.macros.0.shortcut": 16, "console.macros.0.text": 17}
    twice = MINIMAL + "  macros:\n" + "    - {name: a, shortcut: /hi, text: Hi}\n" * 2
    with pytest.raises(PackError, match="two macros have the name a"):
        parse_pack(twice)


def test_templates_fill_dotted_paths_with_fallbacks_and_tidy_what_is_missing() -> None:
    account = {"name": {"first_name": "Mia"}, "address": {"city": "Austin", "zip": "78750"}}

    def lookup(path: str) -> object:
        value: object = account
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    assert placeholders("{a.b|x} {c}") == [("a.b", "x"), ("c", None)]
    assert fill("{address.address1}, {address.city} {address.zip}", lookup) == (
        "Austin 78750",
        2,
    )
    assert fill("Hi {name.first_name|there}!", lookup) == ("Hi Mia!", 1)
    assert fill("Hi {name.last_name|there}!", lookup) == ("Hi there!", 0)
    assert fill("Anything else, {name.last_name|}?", lookup) == ("Anything else?", 0)
