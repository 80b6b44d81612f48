"""Crash safety of the index: kill -9 mid-run, a read-only directory, a full disk.

Each case runs the real ``fihris`` command in a subprocess, breaks it, and then
checks what a reader sees: the previous generation, whole, and a next run that
completes the work.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from index import IndexStore

ROOT = Path(__file__).resolve().parents[1]


def fihris(*args: str, preexec: Callable[[], None] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "web.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )


def doc_count(index_dir: Path) -> int:
    ix, manifest = IndexStore(index_dir).open()
    with ix.searcher() as searcher:
        assert searcher.doc_count() == manifest.documents
        return searcher.doc_count()


def dispatches(prefix: str, n: int) -> str:
    """``n`` generated French dispatches as JSON Lines."""
    return "".join(
        json.dumps(
            {
                "id": f"{prefix}-{i}",
                "lang": "fr",
                "text": f"Dépêche {i} : le conseil municipal de Rabat a examiné le budget, la "
                f"voirie et les transports publics de la ville. " + "Séance ordinaire. " * (i % 7),
            },
            ensure_ascii=False,
        )
        + "\n"
        for i in range(n)
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The bundled corpus plus generated dispatches: a build that takes a second or two."""
    root = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", root)
    (root / "generated.jsonl").write_text(dispatches("gen", 3000), "utf-8")
    return root


@pytest.fixture
def built(corpus: Path, tmp_path: Path) -> tuple[Path, int]:
    index_dir = tmp_path / "index"
    proc = fihris("index", "build", "--corpus", str(corpus), "--index", str(index_dir))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return index_dir, doc_count(index_dir)


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8, 1.5])  # spread over the run's phases
@pytest.mark.parametrize("action", ["build", "update"])
def test_kill_9_leaves_the_previous_index_whole(
    corpus: Path, built: tuple[Path, int], action: str, delay: float
) -> None:
    index_dir, count = built
    if action == "update":  # make the update do real work: 2,000 new documents
        (corpus / "more.jsonl").write_text(dispatches("more", 2000), "utf-8")
    final = count + (2000 if action == "update" else 0)
    before = IndexStore(index_dir).current_name()
    proc = fihris("index", action, "--corpus", str(corpus), "--index", str(index_dir))
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    # the live generation is the previous one or the finished new one, never a partial one,
    # and it opens and holds every document it had
    live = IndexStore(index_dir).current_name()
    assert live is not None and not live.endswith(".partial")
    assert doc_count(index_dir) == (count if live == before else final)
    # and the next run completes the work, leaving no half-written generation behind
    again = fihris("index", "update", "--corpus", str(corpus), "--index", str(index_dir))
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert doc_count(index_dir) == final
    assert not list(index_dir.glob("*.partial"))


def _drop_privileges() -> None:
    """Make file permissions bind, even for root (CI runs as root).

    Root stays root (so it can still run the interpreter under /root) but loses
    the capabilities that bypass permission bits: dropped from the bounding set
    before ``exec``, they are gone from the new program.
    """
    if os.getuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                os._exit(97)


def _tiny_disk() -> None:
    # A "full disk": writes past 64 KiB fail with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


@pytest.mark.parametrize(
    ("preexec", "expected"),
    [
        (_drop_privileges, "cannot write"),  # read-only index directory
        (_tiny_disk, "cannot write"),  # disk full while writing the new generation
    ],
)
def test_unwritable_index_gives_a_clear_error_and_keeps_serving(
    corpus: Path, built: tuple[Path, int], preexec: Callable[[], None], expected: str
) -> None:
    index_dir, count = built
    before = IndexStore(index_dir).current_name()
    if preexec is _drop_privileges:
        for path in [index_dir, *index_dir.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        index_dir.parent.chmod(0o755)
    try:
        proc = fihris(
            "index", "build", "--corpus", str(corpus), "--index", str(index_dir), preexec=preexec
        )
        out, err = proc.communicate(timeout=120)
    finally:
        for path in [index_dir, *index_dir.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert proc.returncode == 3, (out, err)
    assert expected in err and str(index_dir) in err
    assert "Traceback" not in err
    assert IndexStore(index_dir).current_name() == before
    assert doc_count(index_dir) == count
