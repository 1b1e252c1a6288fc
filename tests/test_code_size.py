"""House rules on size that keep the code readable (docs/architecture.md): no function over 60
lines in the package, the scripts or the benchmarks, no module of services/ or policy/ over 400
lines, the conversation service an orchestrator you can read in one screen."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "src" / "warmline"
TOOLING = (REPO / "scripts", REPO / "benchmarks")
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400
MAX_ORCHESTRATOR_LINES = 200


def long_functions(root: Path = PACKAGE, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > limit:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({lines})")
    return found


def long_modules(root: Path = PACKAGE, limit: int = MAX_MODULE_LINES) -> list[str]:
    return [
        f"{path.relative_to(root)} ({n})"
        for layer in ("services", "policy")
        for path in sorted((root / layer).rglob("*.py"))
        if (n := len(path.read_text("utf-8").splitlines())) > limit
    ]


def test_no_function_is_longer_than_a_screen() -> None:
    assert long_functions() == []
    assert [f"{root.name}/{found}" for root in TOOLING for found in long_functions(root)] == []


def test_no_module_of_services_or_policy_is_over_400_lines() -> None:
    assert long_modules() == []


def test_the_conversation_service_reads_in_one_screen() -> None:
    lines = (PACKAGE / "services" / "conversations.py").read_text("utf-8").splitlines()
    assert len(lines) < MAX_ORCHESTRATOR_LINES


def test_the_checks_catch_what_they_name(tmp_path: Path) -> None:
    (tmp_path / "services").mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "services" / "big.py").write_text(f"def f():\n{body}\n" + "\n" * 400)
    assert long_functions(tmp_path) == [f"services/big.py:1 f ({MAX_FUNCTION_LINES + 1})"]
    assert long_modules(tmp_path) == [f"services/big.py ({MAX_FUNCTION_LINES + 401})"]
