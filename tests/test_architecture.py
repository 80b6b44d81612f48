"""Layering: ``web`` → ``search`` → ``index``, never backwards (checked on the imports).

The offline tools (``lab``: lexicon training, evaluations) sit above ``search``
and beside ``web``: they may import ``search`` and ``index``; nothing on the
run-time path imports them, except the ``lexicon`` and ``eval`` commands of
``web/cli.py``, lazily (inside the command functions), so a server never loads
them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Which project packages each layer may import.
ALLOWED = {
    "index": {"index"},
    "search": {"search", "index"},
    "web": {"web", "search", "index"},
    "lab": {"lab", "search", "index"},
}
#: Module-level imports are checked against ALLOWED; these files may also import these
#: packages, but only inside a function body (a lazy import, run by one command).
LAZY_ALLOWED = {"web/cli.py": {"lab"}}


def _imports(node: ast.AST) -> set[str]:
    """The project packages one import statement names (nothing for other nodes)."""
    if isinstance(node, ast.Import):
        return {alias.name.split(".")[0] for alias in node.names} & set(ALLOWED)
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return {node.module.split(".")[0]} & set(ALLOWED)
    return set()


def imported_packages(path: Path, *, lazy: bool = True) -> set[str]:
    """Project packages ``path`` imports; ``lazy=False`` skips imports inside functions."""
    tree = ast.parse(path.read_text("utf-8"))
    if lazy:
        return {name for node in ast.walk(tree) for name in _imports(node)}
    found: set[str] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        found |= _imports(node)
        todo.extend(
            child
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        )
    return found


def disallowed(path: Path, layer: str) -> set[str]:
    """Imports of ``path`` its layer may not make (lazy exceptions of LAZY_ALLOWED allowed)."""
    wrong = imported_packages(path) - ALLOWED[layer]
    lazy_ok = LAZY_ALLOWED.get(str(path.relative_to(ROOT)), set())
    if wrong & lazy_ok:
        wrong = (wrong - lazy_ok) | (imported_packages(path, lazy=False) & lazy_ok)
    return wrong


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_only_import_downwards(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no modules found in {layer}/"
    wrong = {
        str(path.relative_to(ROOT)): sorted(disallowed(path, layer))
        for path in files
        if disallowed(path, layer)
    }
    assert wrong == {}


def test_the_checker_sees_a_backwards_import(tmp_path: Path) -> None:
    # guards the guard: a module of index importing search must be caught
    bad = tmp_path / "bad.py"
    bad.write_text("from search.engine import SearchEngine\nimport web.app\n", "utf-8")
    assert imported_packages(bad) - ALLOWED["index"] == {"search", "web"}


def test_the_checker_sees_lab_imported_outside_a_function(tmp_path: Path) -> None:
    # web/cli.py may import lab in a command function, never at module level
    lazy = "def cmd_eval() -> None:\n    from lab.clir_eval import main_eval\n"
    eager = "from lab.clir_eval import main_eval\n"
    assert imported_packages(_write(tmp_path / "lazy.py", lazy), lazy=False) == set()
    assert imported_packages(_write(tmp_path / "eager.py", eager), lazy=False) == {"lab"}
    assert imported_packages(_write(tmp_path / "both.py", lazy), lazy=True) == {"lab"}
    assert "lab" in set(ALLOWED) - ALLOWED["search"] - ALLOWED["index"] - ALLOWED["web"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def test_the_runtime_never_loads_the_offline_tools() -> None:
    """Importing the app and the CLI (what a server and a search run) loads no ``lab`` module."""
    code = (
        "import sys, web.app, web.cli, search, search.translate, index\n"
        "print(sorted(m for m in sys.modules if m == 'lab' or m.startswith('lab.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


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
