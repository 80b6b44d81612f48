"""An update that passes over unchanged corpus files gives what reading every file gives.

Each case builds an index of ``before``, changes the corpus to ``after`` and
updates it twice: once as ``fihris index update`` does (files whose digest was
recorded are not parsed) and once with the record removed (every file read).
The documents, the run's counts and its reported problems must be the same,
and the documents those of a fresh build.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from index import IndexStore, build_index, update_index
from index.corpus_files import FILES_FILE, load_records
from index.store import open_generation

DEFAULT_LIMIT = 16 * 1024 * 1024


def _line(doc_id: str, text: str, lang: str = "fr") -> bytes:
    record = {"id": doc_id, "lang": lang, "title": f"Titre {doc_id}", "text": text}
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def _jsonl(*ids: str) -> bytes:
    text = "Le conseil de {} a voté le budget annuel de la ville."
    return b"".join(_line(i, text.format(i)) for i in ids)


BEFORE = {
    "b.jsonl": _jsonl("b1", "b2", "b3"),
    "c.jsonl": _jsonl("c1", "c2"),
    "d/note.txt": "Rabat\nLa mairie de Rabat ouvre un nouveau marché.".encode(),
    "e.txt": "برقية\nوافق المجلس البلدي في الرباط على الميزانية.".encode(),
}


#: ``BEFORE`` and a text file in Windows-1252 (decoded with a warning).
LEGACY = {**BEFORE, "w.txt": "Fès\nLe café de la médina à Fès.".encode("cp1252")}


def _same_size_other_bytes(data: bytes) -> bytes:
    return data.replace(b"budget", b"BUDGET", 1)


@pytest.mark.parametrize(
    ("after", "limit", "passed_over"),
    [
        # a new file: the four others are not parsed
        ({**BEFORE, "f.jsonl": _jsonl("f1")}, None, 4),
        # a line appended to one file: that file is read, the three others are not
        ({**BEFORE, "c.jsonl": BEFORE["c.jsonl"] + _jsonl("c3")}, None, 3),
        # the same size, another content, and the old modification time put back
        # (below): a size + time check would miss it, the digest does not
        ({**BEFORE, "b.jsonl": _same_size_other_bytes(BEFORE["b.jsonl"])}, None, 3),
        # a file removed: its documents go, the others stay unread
        ({k: v for k, v in BEFORE.items() if k != "c.jsonl"}, None, 3),
        # a new file before b.jsonl in the walk holds b2: the full read reports b.jsonl's
        # copy as the duplicate, so b.jsonl must be read, not passed over
        ({**BEFORE, "a.jsonl": _jsonl("b2")}, None, 3),
        # a new file after c.jsonl holds c1: its copy is the duplicate, reported as
        # "first seen in c.jsonl:1" although c.jsonl was not parsed
        ({**BEFORE, "z.jsonl": _jsonl("c1", "z1")}, None, 4),
        # a file decoded with a warning (Windows-1252) is never recorded: read every time,
        # so its warning is reported by every run, as a full read does
        ({**LEGACY, "f.jsonl": _jsonl("f1")}, None, 4),
        # a smaller document size limit: every file is read again (b's lines are now too
        # long: reported, and their documents kept, as by any update)
        (BEFORE, 1024, 0),
    ],
)
def test_passing_over_unchanged_files_equals_reading_them(
    tmp_path: Path, after: dict[str, bytes], limit: int | None, passed_over: int
) -> None:
    if limit is not None:  # lines over the limit: padded to ~2 KB
        after = {**after, "b.jsonl": _jsonl(*(f"b{n}{'x' * 2000}" for n in (1, 2, 3)))}
        before = {**BEFORE, "b.jsonl": after["b.jsonl"]}
    else:
        before = LEGACY if "w.txt" in after else BEFORE
    corpus = tmp_path / "corpus"
    _write(corpus, before)
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    build_index(corpus, fast)
    shutil.copytree(fast, slow)
    (IndexStore(slow).current_dir() / FILES_FILE).unlink()  # this one reads every file
    _write(corpus, after)
    kwargs: dict[str, Any] = {} if limit is None else {"max_document_bytes": limit}
    runs = [update_index(corpus, where, **kwargs) for where in (fast, slow)]
    assert _report(runs[0]) == _report(runs[1])
    assert runs[0].warnings == ("w.txt" in after)
    assert _documents(fast) == _documents(slow)
    fresh = tmp_path / "fresh"
    build_index(corpus, fresh, **kwargs)
    # an update keeps the documents of a file it could not read whole (oversized lines)
    assert (_documents(fast) == _documents(fresh)) is (limit is None)
    assert (runs[0].files_passed_over, runs[1].files_passed_over) == (passed_over, 0)
    # what the next update may pass over: every file read without a problem (a run
    # that changed nothing publishes nothing and leaves the build's record)
    gen = IndexStore(fast).current_dir()
    clean = set(after) - {p["path"].split(":")[0] for p in runs[0].problems}
    if runs[0].generation == 2:
        assert set(load_records(gen, limit or DEFAULT_LIMIT)) == clean
    else:
        assert set(load_records(gen, DEFAULT_LIMIT)) == set(before)
        assert load_records(gen, 1024) == {}  # recorded under another limit: unused


def _write(corpus: Path, files: dict[str, bytes]) -> None:
    """Make ``corpus`` hold exactly ``files``; a file rewritten with the same size keeps
    its modification time (as ``cp -p`` or ``rsync -t`` would leave it)."""
    for old in [p for p in corpus.rglob("*") if p.is_file()]:
        if old.relative_to(corpus).as_posix() not in files:
            old.unlink()
    for rel, data in files.items():
        path = corpus / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.read_bytes() == data:
            continue
        times = path.stat() if path.exists() and path.stat().st_size == len(data) else None
        path.write_bytes(data)
        if times is not None:
            os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))


def _documents(index: Path) -> dict[str, tuple[str, str]]:
    with open_generation(IndexStore(index).current_dir()).reader() as reader:
        out = {}
        for n in reader.all_doc_ids():
            stored = reader.stored_fields(n)
            out[stored["id"]] = (stored["fingerprint"], stored.get("title", ""))
        return out


def _report(stats: Any) -> dict[str, Any]:
    data = stats.to_dict()
    wanted = ("added", "updated", "deleted", "unchanged", "failed", "warnings", "documents")
    return {**{k: data[k] for k in wanted}, "problems": data["problems"]}


def test_a_record_of_another_generation_is_not_used(tmp_path: Path) -> None:
    """An update of an older version hard-links the file along without rewriting it:
    its generation number then names another generation, and it is ignored."""
    corpus = tmp_path / "corpus"
    _write(corpus, BEFORE)
    build_index(corpus, tmp_path / "index")
    gen = IndexStore(tmp_path / "index").current_dir()
    assert set(load_records(gen, DEFAULT_LIMIT)) == set(BEFORE)
    moved = gen.parent / "gen-000002"
    shutil.copytree(gen, moved)
    assert load_records(moved, DEFAULT_LIMIT) == {}
    (gen / FILES_FILE).write_text("{not json", "utf-8")  # damaged: every file read
    assert load_records(gen, DEFAULT_LIMIT) == {}
