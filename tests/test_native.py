"""The compiled analysis (mypyc, ``index.native``): in use after ``make install``, same results.

The compiled modules are only worth having if they are really the ones that
run (a missing compiler or a skipped build step would silently cost a third
of the analysis speed) and if they analyse exactly as the Python sources do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index import native

ROOT = Path(__file__).resolve().parents[1]

#: Analyses every word of the bundled corpus and prints a digest of the tokens
#: and of the index postings, with the flag saying which analysis ran.
DIGEST = """
import gzip, hashlib, json, pathlib, sys
from index import native
from index.analysis import tokenize, word_positions
digest = hashlib.sha256()
for path in sorted(pathlib.Path("corpus").rglob("*.jsonl.gz")):
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            text = json.loads(line)["text"]
            digest.update(repr(tokenize(text)).encode())
            digest.update(repr(word_positions(text)).encode())
print(json.dumps({"native": native.active(), "digest": digest.hexdigest()}))
"""


def _digest(pure: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    done = subprocess.run(
        [sys.executable, "-c", DIGEST], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_compiled_analysis_is_in_use_after_make_install() -> None:
    # make install builds it (Makefile); a stale or missing build says why
    if os.environ.get(native.PURE_ENV, "") not in ("", "0"):
        pytest.skip(f"{native.PURE_ENV} is set: the pure-Python analysis was asked for")
    assert native.active(), native.reason


def test_compiled_and_pure_analysis_give_the_same_tokens_and_postings() -> None:
    compiled, pure = _digest(pure=False), _digest(pure=True)
    assert (compiled["native"], pure["native"]) == (native.active(), False)
    assert compiled["digest"] == pure["digest"]


def test_edited_sources_are_never_shadowed_by_a_stale_build(tmp_path: Path) -> None:
    # a build whose copy of the sources differs from the package's is not used
    if not native.active():
        pytest.skip(f"no compiled build: {native.reason}")
    stale = tmp_path / "build"
    for sub in ("index", "sources"):
        (stale / sub).mkdir(parents=True)
    built = native.native_dir()
    for path in (built / "index").iterdir():
        (stale / "index" / path.name).symlink_to(path)
    for path in (built / "sources").iterdir():
        text = path.read_text("utf-8")
        if path.name == "arabic.py":
            text += "\n# edited\n"
        (stale / "sources" / path.name).write_text(text, "utf-8")
    assert native._stale_reason(stale) == (
        "the rule modules changed since the compiled build (run `make install`)"
    )
    assert native._stale_reason(built) is None
