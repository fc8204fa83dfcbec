"""The house rules of docs/architecture.md, checked on the tree: every module of the
product, the benchmarks and the tests is at most 400 lines (data tables apart) and every
function at most 60 lines. The import layers are checked by ``lint-imports``, the complexity
budget by ruff (both configured in pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("wallboard", "streams", "dashboard", "alerts", "schemas", "infra", "prometheus",
            "bench", "tests")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Data tables, not logic: the board's texts in every language.
DATA_TABLES = {"dashboard/i18n.py"}


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_tree_has_modules_to_check():
    assert len(_modules()) > 50


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_module_is_small(path):
    if _name(path) in DATA_TABLES:
        return
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{_name(path)}: {lines} lines (at most {MAX_MODULE_LINES})"


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_functions_are_short(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{_name(path)}: " + "; ".join(long)


TOP_PACKAGES = {"wallboard", "streams", "dashboard", "alerts", "schemas", "infra"}


def test_no_private_name_is_imported_across_packages():
    crossing = []
    for path in _modules():
        top = path.relative_to(ROOT).parts[0]
        if top not in TOP_PACKAGES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                source = node.module.split(".")[0]
                private = [a.name for a in node.names if a.name.startswith("_")]
                if source in TOP_PACKAGES and source != top and private:
                    crossing.append(f"{_name(path)}: {node.module} {private}")
    assert not crossing, crossing
