"""Layering: ``web`` → ``search`` → ``index``, never backwards (checked on the imports)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Which project packages each layer may import.
ALLOWED = {
    "index": {"index"},
    "search": {"search", "index"},
    "web": {"web", "search", "index"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_only_import_downwards(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no modules found in {layer}/"
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[layer])
        for path in files
        if imported_packages(path) - ALLOWED[layer]
    }
    assert wrong == {}


def test_the_checker_sees_a_backwards_import(tmp_path: Path) -> None:
    # guards the guard: a module of index importing search must be caught
    bad = tmp_path / "bad.py"
    bad.write_text("from search.engine import SearchEngine\nimport web.app\n", "utf-8")
    assert imported_packages(bad) - ALLOWED["index"] == {"search", "web"}


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for layer in ALLOWED
        for path in sorted((ROOT / layer).rglob("*.py"))
        if "os.environ" in path.read_text("utf-8") or "getenv(" in path.read_text("utf-8")
    ]
    # index/native.py reads FIHRIS_PURE, the switch between compiled and Python
    # analysis: it must be read when the index package is imported, below web/
    assert readers == ["index/native.py", "web/settings.py"]
