"""A hostile corpus: every bad document fails alone, and the good ones around it are indexed.

Each case puts one bad thing beside good documents (in the same file when it
is a line), builds a real index with ``index build`` and searches it: the good
documents are found, the bad one is reported with its path, line and reason,
and nothing stops the run. The gzip bomb runs the real command under an
address-space limit smaller than its one line.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from index import IndexRunError, IndexStore, build_index, update_index
from search import SearchEngine, validate_request

ROOT = Path(__file__).resolve().parents[1]
GOOD = "Le conseil municipal de Rabat a examiné le budget de la voirie."


def line(doc_id: str, text: str = GOOD, **extra: Any) -> str:
    return json.dumps({"id": doc_id, "lang": "fr", "text": text, **extra}) + "\n"


def good_jsonl(name: str) -> Callable[[Path], None]:
    """A file of two good documents, so every case also has good neighbours in files."""

    def write(root: Path) -> None:
        (root / name).write_text(line("neighbour-1") + line("neighbour-2"), "utf-8")

    return write


def ids_in(index_dir: Path) -> set[str]:
    ix, _ = IndexStore(index_dir).open()
    with ix.searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


def write_bytes(name: bytes, data: bytes) -> Callable[[Path], None]:
    def write(root: Path) -> None:
        path = os.path.join(os.fsencode(root), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)

    return write


def write_text(name: str, text: str) -> Callable[[Path], None]:
    return write_bytes(name.encode("utf-8"), text.encode("utf-8"))


SURROGATE_LINE = '{"id": "x", "lang": "fr", "text": "x \\ud800 budget"}\n'
SURROGATE_ID = '{"id": "id-\\udfff", "lang": "fr", "text": "budget"}\n'
SURROGATE_KEY = '{"id": "k", "text": "budget", "note\\ud83d": "\\ud83d"}\n'
PAIR_LINE = '{"id": "pair", "text": "budget \\ud83d\\ude00"}\n'  # a valid pair: left alone
_GZ = gzip.compress((line("gz-1") + line("gz-2") + line("gz-3")).encode(), mtime=0)

#: (case, files to write, ids expected in the index, (path, line, words of the reason) reported)
CASES: list[tuple[str, Callable[[Path], None], set[str], tuple[str, int | None, str] | None]] = [
    # valid JSON, invalid Unicode: repaired to U+FFFD with a warning naming path:line
    (
        "lone surrogate in text",
        write_text("s.jsonl", line("a") + SURROGATE_LINE + line("b")),
        {"a", "x", "b"},
        ("s.jsonl", 2, "lone surrogate"),
    ),
    # in the id too: the id is what links a document to its updates, it must encode
    (
        "lone surrogate in id",
        write_text("s.jsonl", line("a") + SURROGATE_ID),
        {"a", "id-\ufffd"},
        ("s.jsonl", 2, "lone surrogate"),
    ),
    # metadata keys end up stored: repaired as well
    (
        "lone surrogate in a metadata key",
        write_text("s.jsonl", SURROGATE_KEY + line("b")),
        {"k", "b"},
        ("s.jsonl", 1, "lone surrogate"),
    ),
    # a surrogate pair is an ordinary emoji: no warning at all
    ("surrogate pair", write_text("s.jsonl", PAIR_LINE), {"pair"}, None),
    # POSIX names are bytes: the undecodable byte is percent-escaped in the id
    (
        "file name not UTF-8",
        write_bytes(b"\xff.txt", b"Titre\n\nbudget de la voirie\n"),
        {"%FF.txt"},
        ("%FF.txt", None, "not valid UTF-8"),
    ),
    # a folder name in Latin-1 (an old archive): every document below it keeps a stable id
    (
        "folder name not UTF-8",
        write_bytes(b"d\xe9p\xeaches/a.jsonl", line("in-latin1-folder").encode()),
        {"in-latin1-folder"},
        ("d%E9p%EAches/a.jsonl", None, "not valid UTF-8"),
    ),
    # a truncated gzip: the lines before the break are kept
    (
        "broken gzip",
        write_bytes(b"t.jsonl.gz", _GZ[: len(_GZ) - 12]),
        {"gz-1", "gz-2"},
        ("t.jsonl.gz", 3, "stream broken after line 2"),
    ),
    # a line over --max-document-bytes (4 KiB here) is skipped, its neighbours are not
    (
        "oversized line",
        write_text("big.jsonl", line("small-1") + line("huge", "budget " * 2000) + line("small-2")),
        {"small-1", "small-2"},
        ("big.jsonl", 2, "over the limit of 4 KiB"),
    ),
    # the last line, oversized and without a newline
    (
        "oversized last line",
        write_text("big.jsonl", line("small-1") + line("huge", "budget " * 2000).rstrip()),
        {"small-1"},
        ("big.jsonl", 2, "over the limit"),
    ),
    # a text dispatch over the limit is one oversized document
    (
        "oversized text file",
        write_text("long.txt", "Titre\n\n" + "budget " * 2000),
        set(),
        ("long.txt", None, "over the limit"),
    ),
    # 3,000 nested arrays: json.loads raises RecursionError, not JSONDecodeError
    (
        "deeply nested JSON",
        write_text("deep.jsonl", line("a") + "[" * 3000 + "\n" + line("b")),
        {"a", "b"},
        ("deep.jsonl", 2, "RecursionError"),
    ),
    # a NUL byte inside a JSON string escape is fine; raw invalid UTF-8 falls back to cp1252
    (
        "line not UTF-8",
        write_bytes(b"l.jsonl", b'{"id": "latin", "text": "budget \xe9t\xe9"}\n'),
        {"latin"},
        ("l.jsonl", 1, "not UTF-8"),
    ),
]


@pytest.mark.parametrize(
    ("setup", "expected", "reported"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_bad_document_fails_alone(
    tmp_path: Path,
    setup: Callable[[Path], None],
    expected: set[str],
    reported: tuple[str, int | None, str] | None,
) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    good_jsonl("good.jsonl")(corpus)
    setup(corpus)
    stats = build_index(corpus, index_dir, max_document_bytes=4096)
    assert ids_in(index_dir) == expected | {"neighbour-1", "neighbour-2"}
    problems = [(p["path"], p["line"], p["reason"]) for p in stats.problems]
    if reported is None:
        assert problems == []
    else:
        path, lineno, words = reported
        assert any(p == path and n == lineno and words in r for p, n, r in problems), problems
    # the status shows the same (what `fihris status` and /api/status read)
    status = IndexStore(index_dir).read_status()
    assert [(p["path"], p["line"]) for p in status["problems"]] == [(p, n) for p, n, _ in problems]
    # an update over the same corpus changes nothing and loses nothing
    again = update_index(corpus, index_dir, max_document_bytes=4096)
    assert (again.added, again.updated, again.deleted) == (0, 0, 0)
    assert ids_in(index_dir) == expected | {"neighbour-1", "neighbour-2"}


def test_repaired_text_is_searchable_with_its_replacement_character(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "s.jsonl").write_text(SURROGATE_LINE, "utf-8")
    build_index(corpus, tmp_path / "index")
    engine = SearchEngine(tmp_path / "index")
    try:
        request = validate_request(
            q="budget", lang="", page="1", size="10", sort="relevance",
            date_from="", date_to="", cross="false",
        )  # fmt: skip
        results = engine.search(request)
        assert [hit.id for hit in results.hits] == ["x"]
        assert engine.document("x").text == "x \ufffd budget"
    finally:
        engine.close()


def test_the_cli_reports_bad_documents_and_goes_on(tmp_path: Path) -> None:
    """The issue's reproduction: a surrogate line and a non-UTF-8 name, through the command."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "s.jsonl").write_text(line("a") + SURROGATE_LINE + line("b"), "utf-8")
    write_bytes(b"\xff.txt", b"Titre\n\nbudget\n")(corpus)
    write_text("big.jsonl", line("huge", "budget " * 2000))(corpus)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "web.cli", "index", "build", "--corpus", str(corpus)),
            *("--index", str(tmp_path / "index"), "--max-document-bytes", "4K"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr  # done, some lines skipped
    assert "Traceback" not in result.stderr
    assert "warning: s.jsonl:2: 1 lone surrogate(s)" in result.stderr
    assert "warning: %FF.txt: file name is not valid UTF-8" in result.stderr
    assert "error: big.jsonl:1: document of 13.7 KiB is over the limit of 4 KiB" in result.stderr
    assert "added 4" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "web.cli", "index", "build", "--max-document-bytes", "lots"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "--max-document-bytes" in bad.stderr and "'lots'" in bad.stderr and "16M" in bad.stderr


def test_a_writer_failing_mid_document_costs_that_document_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Analysis fails on a document's title, after its body's postings were pooled.

    The document is reported and its number used up as a deleted document: the
    body words it left in the pool match nothing, and the next document is whole.
    """
    from index.fields import AnalyzedText

    original = AnalyzedText.index_into

    def failing(self: AnalyzedText, value: str, docnum: int, table: dict[str, Any]) -> Any:
        if value == "EXPLODING TITLE":
            raise RuntimeError("analysis bug")
        return original(self, value, docnum, table)

    monkeypatch.setattr(AnalyzedText, "index_into", failing)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = line("a") + line("bad", "zanzibar budget", title="EXPLODING TITLE") + line("c")
    (corpus / "s.jsonl").write_text(rows, "utf-8")
    stats = build_index(corpus, tmp_path / "index", procs=1)
    assert stats.added == 2
    assert [(p["path"], p["line"]) for p in stats.problems] == [("s.jsonl", 2)]
    assert "RuntimeError: analysis bug" in stats.problems[0]["reason"]
    assert ids_in(tmp_path / "index") == {"a", "c"}
    engine = SearchEngine(tmp_path / "index")
    try:
        for q, expected in (("zanzibar", []), ("rabat", ["a", "c"])):
            request = validate_request(
                q=q, lang="", page="1", size="10", sort="relevance",
                date_from="", date_to="", cross="false",
            )  # fmt: skip
            assert sorted(hit.id for hit in engine.search(request).hits) == expected
    finally:
        engine.close()


def test_a_run_that_cannot_finish_records_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MemoryError at commit: exit 3 (IndexRunError), the failure in the status, old index live."""
    from index.writer import FihrisWriter

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "s.jsonl").write_text(line("a"), "utf-8")
    build_index(corpus, tmp_path / "index")

    def out_of_memory(self: FihrisWriter, *args: Any, **kwargs: Any) -> None:
        raise MemoryError()

    monkeypatch.setattr(FihrisWriter, "commit", out_of_memory)
    (corpus / "s.jsonl").write_text(line("a") + line("b"), "utf-8")
    with pytest.raises(IndexRunError, match=r"could not finish.*MemoryError.*previous index"):
        update_index(corpus, tmp_path / "index")
    status = IndexStore(tmp_path / "index").read_status()
    assert "MemoryError" in status["error"]
    assert any("MemoryError" in p["reason"] for p in status["problems"])
    assert ids_in(tmp_path / "index") == {"a"}  # the previous generation stays live

    from web.services import store_summary

    summary = store_summary(tmp_path / "index")
    assert "MemoryError" in summary["last_run"]["error"]


BOMB_SCRIPT = """
import resource, sys
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from web.cli import main
sys.exit(main(["index", "build", "--corpus", sys.argv[1], "--index", sys.argv[2], "--procs", "1"]))
"""


def test_a_gzip_bomb_is_read_through_under_a_memory_limit(tmp_path: Path) -> None:
    """A 2 MB .jsonl.gz whose second line inflates to 2 GiB, built under a 1.5 GB address space.

    The line is read through in 1 MiB pieces and reported; the lines around it are indexed.
    Before bounded reading this ended with MemoryError and no index at all.
    """
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    block = gzip.compress(b"a" * (64 << 20), compresslevel=9, mtime=0)
    with (corpus / "bomb.jsonl.gz").open("wb") as out:
        out.write(gzip.compress((line("before") + '{"id": "bomb", "text": "').encode(), mtime=0))
        for _ in range(32):  # 32 gzip members of 64 MiB each: one 2 GiB line
            out.write(block)
        out.write(gzip.compress(('"}\n' + line("after")).encode(), mtime=0))
    assert (corpus / "bomb.jsonl.gz").stat().st_size < 3 << 20
    limit = 1536 << 20
    result = subprocess.run(
        [sys.executable, "-c", BOMB_SCRIPT, str(corpus), str(tmp_path / "index"), str(limit)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stderr[-2000:]  # done, one line skipped
    assert "error: bomb.jsonl.gz:2: document of 2.0 GiB is over the limit of 16 MiB" in (
        result.stderr
    )
    assert ids_in(tmp_path / "index") == {"before", "after"}
