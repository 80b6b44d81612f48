"""The compiled analysis: the hot rule modules built with mypyc, used only while they match.

Analysis is all of ``analyze`` and most of indexing, and it is plain typed
Python: mypyc compiles these modules to C unchanged and they run about 1.7
times faster (``fihris native status`` and ``make bench`` say which ran). :func:`build` writes the
compiled modules into the environment, beside the interpreter they were
built for, never into the source tree, together with a copy of the sources
they were built from. :func:`activate` puts them in front of the package's
own modules only while those copies equal the sources: an edited rule is
never shadowed by a stale build, it runs as Python (same results, slower)
until the next ``make install`` (or ``fihris native build``).

``FIHRIS_PURE=1`` in the environment always runs the Python modules (the
tests compare both).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Final

#: The compiled modules, in dependency order; everything they import is among them.
MODULES: Final = ("text", "arabic", "french", "tokens")
#: Name of the shared library mypyc builds for the group (``index/compiled__mypyc…so``).
GROUP: Final = "index.compiled"
#: Environment variable that turns the compiled modules off.
PURE_ENV: Final = "FIHRIS_PURE"

_PACKAGE: Final = Path(__file__).resolve().parent

#: Why the compiled modules are not in use, or ``None`` when they are.
reason: str | None = "not activated"


def native_dir() -> Path:
    """Where this interpreter's compiled modules live: inside its environment."""
    return Path(sys.prefix) / "fihris-native" / sys.implementation.cache_tag


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in MODULES:
        digest.update((folder / f"{name}.py").read_bytes())
    return digest.hexdigest()


def _stale_reason(where: Path) -> str | None:
    """Why the build in ``where`` cannot be used, or ``None`` when it can."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    missing = [n for n in MODULES if not (where / "index" / f"{n}{suffix}").exists()]
    if missing:
        return f"no compiled build in {where} (run `make install`)"
    try:
        built = _digest(where / "sources")
    except OSError:
        return f"the build in {where} has no copy of its sources (run `make install`)"
    if built != _digest(_PACKAGE):
        return "the rule modules changed since the compiled build (run `make install`)"
    return None


def activate(package_path: list[str]) -> bool:
    """Put the compiled modules first on ``package_path`` (``index.__path__``) if they match.

    Must run before any of :data:`MODULES` is imported; later imports of
    ``index.text`` and the others then load the compiled ones.
    """
    global reason
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        reason = f"{PURE_ENV} is set"
        return False
    where = native_dir()
    reason = _stale_reason(where)
    if reason is not None:
        return False
    package_path.insert(0, str(where / "index"))
    return True


def active() -> bool:
    """Whether the analysis running in this process is the compiled one."""
    from index import tokens

    return reason is None and Path(tokens.__file__ or "").suffix != ".py"


_SETUP: Final = """
import sys
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="fihris-native",
    ext_modules=mypycify(sys.argv[2:], group_name={group!r}, opt_level="3"),
    script_args=["build_ext", "--build-lib", sys.argv[1], "--build-temp", "tmp"],
)
"""

_MYPY_INI: Final = "[mypy]\nignore_missing_imports = True\nstrict = True\n"


def build(force: bool = False) -> str:
    """Compile :data:`MODULES` into :func:`native_dir`; returns what was done.

    A no-op when the build there already matches the sources. Needs mypyc
    (the ``mypy`` package of the test extras), setuptools and a C compiler;
    raises :class:`RuntimeError` with the compiler's output when the build fails.
    """
    where = native_dir()
    if not force and _stale_reason(where) is None:
        return f"compiled analysis up to date in {where}"
    with tempfile.TemporaryDirectory(prefix="fihris-native-") as tmp:
        work = Path(tmp)
        (work / "index").mkdir()
        (work / "index" / "__init__.py").write_text("")
        for name in MODULES:
            shutil.copy2(_PACKAGE / f"{name}.py", work / "index" / f"{name}.py")
        (work / "mypy.ini").write_text(_MYPY_INI)
        (work / "setup.py").write_text(_SETUP.format(group=GROUP))
        out = work / "out"
        paths = [f"index/{name}.py" for name in MODULES]
        done = subprocess.run(
            [sys.executable, "setup.py", str(out), *paths],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"mypyc build failed:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
        staging = where.with_name(where.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(out, staging)
        shutil.copytree(work / "index", staging / "sources", ignore=shutil.ignore_patterns("__*"))
        shutil.rmtree(where, ignore_errors=True)
        staging.rename(where)
    return f"compiled {', '.join(MODULES)} into {where}"
