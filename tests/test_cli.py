"""The ``fihris`` command as a user runs it: build, analyse, search, update, exit statuses."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FR_SEED = "000_e39b19ec1737aeb7.txt"
AR_SEED = "001_67a435615c650090.txt"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus, indexed by the CLI exactly as `make index` does."""
    where = tmp_path_factory.mktemp("cli") / "index"
    result = run("index", "build", "--corpus", str(ROOT / "corpus"), "--index", str(where))
    assert result.returncode == 0, result.stderr
    assert "added 602" in result.stdout and "failed 0" in result.stdout
    return where


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("traite des êtres humains", FR_SEED),  # the Done-when query, French
        ("الاتجار بالبشر", AR_SEED),  # the Done-when query, Arabic
        ("الإتجار بالبشَر", AR_SEED),  # hamza on the alef and a vowel mark change nothing
        ("TRAITE DES ETRES HUMAINS", FR_SEED),  # case and accents change nothing
    ],
)
def test_search_finds_the_seed_first_with_a_highlight(
    index_dir: Path, query: str, first: str
) -> None:
    result = run("search", "--index", str(index_dir), "--json", "--no-cross-language", query)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total"] >= 1
    hit = data["hits"][0]
    assert hit["id"] == first
    assert {"id", "lang", "title", "date", "score", "snippets"} <= set(hit)
    assert any("<mark>" in s["html"] for s in hit["snippets"])


def test_readable_search_output(index_dir: Path) -> None:
    result = run("search", "--index", str(index_dir), "traite des êtres humains")
    assert result.returncode == 0, result.stderr
    assert FR_SEED in result.stdout and "[traite]" in result.stdout  # marks shown as [..]


def test_analyze_shows_each_stage_with_offsets() -> None:
    result = run("analyze", "--json", "l’enfant والأطفال")
    tokens = json.loads(result.stdout)
    assert [(t["surface"], t["term"]) for t in tokens] == [
        ("enfant", "enfant"),
        ("والأطفال", "اطفال"),
    ]
    assert tokens[0]["start"] == 2  # the elided l’ is not part of the word


def test_update_reports_counts_and_exit_status(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / FR_SEED, corpus / FR_SEED)
    index = tmp_path / "index"
    assert run("index", "build", "--corpus", str(corpus), "--index", str(index)).returncode == 0
    (corpus / "bad.jsonl").write_text('{"id": "x", "text": "ok"}\n{broken\n', "utf-8")
    result = run("index", "update", "--corpus", str(corpus), "--index", str(index))
    assert result.returncode == 1  # done, with a skipped line
    assert "added 1" in result.stdout and "unchanged 1" in result.stdout
    assert "bad.jsonl:2" in result.stderr and "invalid JSON" in result.stderr


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        # no index built there yet
        (("search", "--index", "/nonexistent/index", "x"), 3, "no index at /nonexistent/index"),
        # a corpus folder that does not exist
        (
            ("index", "build", "--corpus", "/nonexistent/corpus", "--index", "/tmp/x"),
            3,
            "corpus folder not found",
        ),
        # an invalid parameter is named with what is accepted
        (("search", "--size", "500", "x"), 2, "500"),
        (("search", "--lang", "en", "x"), 2, "'en'"),
    ],
)
def test_errors_are_one_clear_line(args: tuple[str, ...], status: int, message: str) -> None:
    result = run(*args)
    assert result.returncode == status, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("search", "traite des êtres humains"),  # readable list, many lines
        ("search", "--json", "الاتجار بالبشر"),  # JSON, one long document
        ("analyze", "traite des êtres humains " * 400),  # a table longer than a pipe buffer
    ],
)
def test_output_piped_into_head_ends_quietly(index_dir: Path, args: tuple[str, ...]) -> None:
    # `fihris search … | head -1`: the reader closes the pipe early; no traceback
    extra = ("--index", str(index_dir)) if args[0] == "search" else ()
    command = [sys.executable, "-m", "web.cli", args[0], *extra, *args[1:]]
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "Error" not in err, err
