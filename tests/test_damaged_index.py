"""A damaged index: the largest segment file of the live generation truncated, on disk.

What it must give: a clear error naming the file and the fix wherever the
index is read (store, engine, CLI, HTTP), a real server that stays up (503 for
searches, 503 "degraded" for /healthz, /api/status still answering), and an
``index update`` that rebuilds into fresh files (never hard links of the
damaged ones) after which searches work again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import free_port

from index import IndexDamagedError, IndexStore, build_index, update_index
from search import SearchEngine, validate_request

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


def request(q: str = "santé") -> object:
    return validate_request(
        q=q, lang="", page="1", size="10", sort="relevance",
        date_from="", date_to="", cross="false",
    )  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of the bundled corpus, built once; each test damages its own copy."""
    where = tmp_path_factory.mktemp("damaged") / "index"
    build_index(CORPUS, where)
    return where


@pytest.fixture
def index_dir(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(built, copy)
    return copy


def largest_segment(index_dir: Path) -> Path:
    gen = IndexStore(index_dir).current_dir()
    return max(gen.glob("*.seg"), key=lambda p: p.stat().st_size)


def truncate(index_dir: Path, keep: float = 0.5) -> Path:
    seg = largest_segment(index_dir)
    os.truncate(seg, int(seg.stat().st_size * keep))
    return seg


@pytest.mark.parametrize(
    "keep",
    [
        0.5,  # the table of contents at the end is gone: EOFError from Whoosh
        0.999,  # a few bytes short: the header still points past the end
        0.0,  # empty: too short even for the segment header
    ],
)
def test_opening_a_damaged_generation_names_the_file_and_the_fix(
    index_dir: Path, keep: float
) -> None:
    seg = truncate(index_dir, keep)
    store = IndexStore(index_dir)
    assert seg.name in (store.check() or "")
    with pytest.raises(IndexDamagedError, match=rf"{seg.name}.*fihris index build"):
        store.open()
    engine = SearchEngine(index_dir)
    try:
        with pytest.raises(IndexDamagedError, match="fihris index build"):
            engine.search(request())  # type: ignore[arg-type]
    finally:
        engine.close()


def test_generations_without_sizes_are_checked_by_the_segment_header(index_dir: Path) -> None:
    """A manifest written before sizes were recorded: the compound header still tells."""
    gen = IndexStore(index_dir).current_dir()
    manifest = gen / "fihris.json"

    data = json.loads(manifest.read_text("utf-8"))
    del data["files"]
    manifest.write_text(json.dumps(data), "utf-8")
    assert IndexStore(index_dir).check() is None
    seg = truncate(index_dir, 0.999)
    assert f"{seg.name} is" in (IndexStore(index_dir).check() or "")


def test_a_segment_truncated_under_an_open_engine_gives_an_error_not_a_crash(
    index_dir: Path,
) -> None:
    """Read without mmap: a short read, mapped to IndexDamagedError (mmap gave SIGBUS)."""
    engine = SearchEngine(index_dir)
    try:
        assert engine.search(request("port")).total > 0  # type: ignore[arg-type]
        truncate(index_dir)
        with pytest.raises(IndexDamagedError, match="damaged"):
            engine.search(request("vaccin"))  # type: ignore[arg-type]
    finally:
        engine.close()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FIHRIS_")}
    clean["FIHRIS_ENCODER"] = "off"  # words only (the semantic layer has its own tests)
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_cli_says_damaged_and_update_rebuilds_with_fresh_files(index_dir: Path) -> None:
    seg = truncate(index_dir)
    damaged_inode = seg.stat().st_ino
    status = cli("status", "--index", str(index_dir))
    assert status.returncode == 3, status.stdout + status.stderr
    assert f"{seg.name} is" in status.stderr and "fihris index build" in status.stderr
    search = cli("search", "--index", str(index_dir), "santé")
    assert search.returncode == 3
    assert "Traceback" not in search.stderr and "damaged" in search.stderr
    update = cli("index", "update", "--corpus", str(CORPUS), "--index", str(index_dir))
    assert update.returncode == 0, update.stderr
    assert "rebuilt the whole index: the index was damaged" in update.stdout
    gen = IndexStore(index_dir).current_dir()
    assert all(p.stat().st_ino != damaged_inode for p in gen.iterdir())  # no hard link
    assert IndexStore(index_dir).check() is None
    assert cli("status", "--index", str(index_dir)).returncode == 0
    assert cli("search", "--index", str(index_dir), "santé").returncode == 0


def test_update_in_process_rebuilds_a_damaged_index(index_dir: Path) -> None:
    truncate(index_dir)
    stats = update_index(CORPUS, index_dir)
    assert stats.rebuilt_because is not None and "damaged" in stats.rebuilt_because
    assert stats.documents > 0 and IndexStore(index_dir).check() is None


SERVER = """
import uvicorn
from web.app import create_app
from web.settings import Settings
settings = Settings.from_env()
uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
"""


@pytest.fixture
def server(index_dir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FIHRIS_")}
    clean["FIHRIS_ENCODER"] = "off"  # words only (the semantic layer has its own tests)
    env = {**clean, "FIHRIS_INDEX": str(index_dir), "FIHRIS_PORT": str(port)}
    env["FIHRIS_CORPUS"] = str(CORPUS)
    proc = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/healthz", timeout=2)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the server did not start") from None
            time.sleep(0.2)
    yield base, proc
    proc.terminate()
    proc.wait(10)


def test_a_real_server_survives_a_segment_truncated_under_it(
    server: tuple[str, subprocess.Popen[bytes]], index_dir: Path
) -> None:
    base, proc = server
    assert httpx.get(f"{base}/api/search", params={"q": "port"}, timeout=30).status_code == 200
    seg = truncate(index_dir)
    # a word never searched: its postings must be read from the truncated file
    answer = httpx.get(f"{base}/api/search", params={"q": "vaccin", "cross": "false"}, timeout=30)
    assert proc.poll() is None, "the server died"
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "index_damaged"
    assert seg.name in error["message"] and "fihris index build" in error["message"]
    health = httpx.get(f"{base}/healthz", timeout=10)
    assert health.status_code == 503
    assert health.json()["error"]["message"].startswith("degraded: ")
    status = httpx.get(f"{base}/api/status", timeout=10)
    assert status.status_code == 200 and seg.name in status.json()["damaged"]
    page = httpx.get(f"{base}/", params={"q": "vaccin"}, timeout=30)
    assert page.status_code == 503 and "fihris index build" in page.text
    # the next update (cron, systemd or the server's own timer) repairs it
    update_index(CORPUS, index_dir)
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    again = httpx.get(f"{base}/api/search", params={"q": "vaccin", "cross": "false"}, timeout=30)
    assert again.status_code == 200 and again.json()["total"] > 0
    assert proc.poll() is None
