"""The layout's rules: import contracts, no cycles, lazy imports explained."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kiosk", "screens", "db", "central", "assets")


def test_the_import_contracts_in_pyproject_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_no_module_imports_itself_through_others():
    """No import cycles between modules, counting imports inside functions
    (not those made only for type checking)."""
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported == module or imported.startswith(module + "."):
                continue  # a package importing its own submodule
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None and not module.startswith(imported + "."):
                cycles.append(" -> ".join((module, *back)))
    assert cycles == []


def _function_level_imports(path: Path) -> list[int]:
    """Line numbers of imports made inside a function, without a comment on
    their line or on the line above their group of imports."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    unexplained = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            line = node.lineno - 1
            if "#" in lines[line]:
                continue
            above = line - 1
            while above >= 0 and (
                not lines[above].strip()
                or lines[above].strip().startswith(("from ", "import "))
            ):
                above -= 1
            if above >= 0 and lines[above].strip().startswith("#"):
                continue
            unexplained.append(node.lineno)
    return unexplained


def test_imports_inside_functions_say_why():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line in _function_level_imports(path):
                offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == []
