"""Imports flow one way (docs/architecture.md). This test fails the build when one flows upward."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "warmline"
LEAVES = {"types", "errors", "settings"}

# For each layer, the warmline layers it may import (besides itself and the leaves).
ALLOWED: dict[str, set[str]] = {
    "types": set(),
    "errors": set(),
    "settings": set(),
    "domain": set(),
    "nlu": {"domain"},
    "policy": {"domain"},
    "knowledge": {"domain", "nlu"},
    "analytics": {"domain"},
    "storage": {"domain"},
    "connectors": {"domain"},
    "privacy": {"domain"},
    "services": {
        "domain",
        "nlu",
        "policy",
        "knowledge",
        "analytics",
        "storage",
        "connectors",
        "privacy",
    },
    "api": {"services", "domain", "privacy"},
    "web": {"services", "domain", "api", "privacy"},  # api/deps.py: the typed dependencies
    "app": {"api", "web", "services"},  # app.py assembles api/ and web/ into one app
    "cli": {"services", "domain", "app", "demo", "privacy"},
    "demo": set(),
}


def _layer(path: Path, root: Path) -> str:
    return path.relative_to(root).parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("warmline.")]
        elif isinstance(node, ast.ImportFrom) and node.module == "warmline":
            found += [(node.lineno, f"warmline.{a.name}") for a in node.names]
        elif (
            isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("warmline.")
        ):
            found.append((node.lineno, node.module))
    return found


def violations(root: Path = PACKAGE) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        layer = _layer(path, root)
        if layer == "__init__":
            continue
        allowed = ALLOWED.get(layer)
        if allowed is None:
            problems.append(f"{path}: layer '{layer}' is not in docs/architecture.md")
            continue
        for lineno, module in _imports(path):
            target = module.split(".")[1]
            if target == layer:
                continue
            if target in LEAVES and (layer not in LEAVES or layer == "settings"):
                continue
            if target not in allowed:
                problems.append(f"{path.relative_to(root)}:{lineno} {layer} imports {module}")
    return problems


def test_imports_flow_one_way() -> None:
    assert violations() == []


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    fake = tmp_path / "warmline"
    (fake / "domain").mkdir(parents=True)
    (fake / "domain" / "bad.py").write_text("from warmline.services.runtime import Runtime\n")
    assert violations(fake) == ["domain/bad.py:1 domain imports warmline.services.runtime"]


@pytest.mark.parametrize(
    ("line", "module"),
    [
        ("from warmline.web.console import router", "warmline.web.console"),
        ("import warmline.web.pages", "warmline.web.pages"),
        ("from warmline import web", "warmline.web"),
    ],
)
def test_the_check_catches_an_api_to_web_import(tmp_path: Path, line: str, module: str) -> None:
    """``web/`` imports ``api/deps.py``; ``api/`` importing ``web/`` back would be a cycle."""
    fake = tmp_path / "warmline"
    (fake / "api").mkdir(parents=True)
    (fake / "api" / "bad.py").write_text(f"def create_app() -> None:\n    {line}\n")
    assert violations(fake) == [f"api/bad.py:2 api imports {module}"]


@pytest.mark.parametrize("leaf", ["types.py", "errors.py"])
def test_leaves_import_nothing_of_warmline(leaf: str) -> None:
    assert _imports(PACKAGE / leaf) == []
