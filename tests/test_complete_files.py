"""Completions mined at build time (search/complete_files.py): the same table, read back.

The index is built as ``fihris index build`` builds it (with
``prepare_generation``), so the completions file is written before the
generation is published; the server reads it instead of mining the collection.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from index import IndexStore, build_index, update_index
from index.store import open_generation
from search import SearchEngine, prepare_generation
from search.complete_files import COMPLETIONS_FILE, mine_index, read_completions

ROOT = Path(__file__).resolve().parents[1]

#: What a user types: phrases, titles, Arabic, a finished word, the last word completed.
TYPED = ["trai", "etre", "traite ", "الاتج", "الاتجار ب", "santé", "Le port", "lutte contre la s"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("complete") / "index"
    build_index(ROOT / "corpus", where, prepare=prepare_generation)
    return where


def _served(index: Path) -> list[list[str]]:
    engine = SearchEngine(index)
    try:
        assert engine.completions_ready(timeout=120)
        return [engine.complete(typed) for typed in TYPED]
    finally:
        engine.close()


def test_the_file_holds_the_table_mined_from_the_index(index: Path) -> None:
    gen = IndexStore(index).current_dir()
    assert (gen / COMPLETIONS_FILE).exists()
    with open_generation(gen).reader() as reader:
        mined = mine_index(reader)
        read = read_completions(gen, reader)
    assert read is not None
    assert mined.phrases.size > 1000 and mined.titles.size > 10
    for part in ("phrases", "titles"):
        for ours, theirs in zip(
            getattr(read, part).arrays(), getattr(mined, part).arrays(), strict=True
        ):
            assert np.array_equal(ours, theirs)
    assert [read.complete(t) for t in TYPED] == [mined.complete(t) for t in TYPED]


def test_served_completions_are_the_same_with_and_without_the_file(index: Path) -> None:
    with_file = _served(index)
    assert all(with_file[:5]), with_file  # every common prefix completes
    gen = IndexStore(index).current_dir()
    (gen / COMPLETIONS_FILE).rename(gen / "saved.npz")
    try:
        assert _served(index) == with_file  # mined by the server in the background
    finally:
        (gen / "saved.npz").rename(gen / COMPLETIONS_FILE)


def _rewritten(saved: bytes, **changes: object) -> bytes:
    """The saved file with some arrays replaced (a stale stamp, offsets that overrun)."""
    with np.load(io.BytesIO(saved), allow_pickle=False) as arrays:
        content = {name: arrays[name] for name in arrays.files}
    meta = json.loads(bytes(content["meta"]).decode())
    for name, value in changes.items():
        if name in meta:
            meta[name] = value
        else:
            content[name] = value
    content["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    out = io.BytesIO()
    np.savez(out, **content)
    return out.getvalue()


def _shifted(saved: bytes) -> bytes:
    with np.load(io.BytesIO(saved), allow_pickle=False) as arrays:
        at = arrays["phrases_key_bytes_at"]
    return _rewritten(saved, phrases_key_bytes_at=np.concatenate([[1], at[1:]]))


def _first_format(saved: bytes) -> bytes:
    """The file as the first version wrote it: offsets in characters, not bytes."""
    with np.load(io.BytesIO(saved), allow_pickle=False) as arrays:
        content = {name: arrays[name] for name in arrays.files}
    for part in ("phrases", "titles"):
        for name in ("key", "surface"):
            raw = content[f"{part}_{name}s"].tobytes()
            at = content.pop(f"{part}_{name}_bytes_at")
            values = [raw[a : b - 1].decode("utf-8") for a, b in itertools.pairwise(at)]
            chars = np.zeros(len(values) + 1, dtype=np.int64)
            np.cumsum([len(v) + 1 for v in values], out=chars[1:])
            content[f"{part}_{name}_at"] = chars
    out = io.BytesIO()
    np.savez(out, **content)
    return out.getvalue()


def test_a_file_of_the_first_format_gives_the_same_completions(index: Path) -> None:
    gen = IndexStore(index).current_dir()
    path = gen / COMPLETIONS_FILE
    saved = path.read_bytes()
    with open_generation(gen).reader() as reader:
        mapped = read_completions(gen, reader)
        assert mapped is not None and mapped.phrases.mapped and mapped.nbytes == 0
        expected = [mapped.complete(t) for t in TYPED]
        try:
            path.write_bytes(_first_format(saved))
            converted = read_completions(gen, reader)
        finally:
            path.write_bytes(saved)
    assert converted is not None and not converted.phrases.mapped
    assert [converted.complete(t) for t in TYPED] == expected
    assert any("ê" in s or "ا" in s for row in expected for s in row)  # multi-byte letters


@pytest.mark.parametrize(
    "damage",
    [
        lambda saved: b"",  # empty
        lambda saved: b"PK\x03\x04\x14\x00garbage",  # a zip header and nothing after
        lambda saved: saved[: len(saved) // 2],  # cut short
        lambda saved: _rewritten(saved, documents=3),  # another generation's (an update links it)
        lambda saved: _rewritten(saved, version=0),  # mined by another version of the rules
        # offsets past the end of the strings: would cut entries at random
        lambda saved: _rewritten(saved, phrases_key_bytes_at=np.arange(3, dtype=np.int64) * 10**9),
        # offsets of the right length that do not start at 0 (a shifted table)
        lambda saved: _shifted(saved),
        # strings stored as another type than bytes: never decoded as if they were
        lambda saved: _rewritten(saved, titles_keys=np.zeros(4, dtype=np.int64)),
    ],
)
def test_a_bad_or_stale_file_is_ignored(index: Path, damage: object) -> None:
    gen = IndexStore(index).current_dir()
    path = gen / COMPLETIONS_FILE
    saved = path.read_bytes()
    try:
        path.write_bytes(damage(saved))  # type: ignore[operator]
        with open_generation(gen).reader() as reader:
            assert read_completions(gen, reader) is None
        # and the server mines them instead: the same completions
        engine = SearchEngine(index)
        try:
            assert engine.completions_ready(timeout=120)
            assert "traite des êtres humains" in engine.complete("trai")
        finally:
            engine.close()
    finally:
        path.write_bytes(saved)


def _bundled_docs() -> list[dict[str, object]]:
    docs = []
    for path in sorted((ROOT / "corpus").glob("*/docs.*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            docs.extend(json.loads(line) for line in stream)
    return docs


def _write(docs: list[dict[str, object]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "docs.jsonl").open("w", encoding="utf-8") as out:
        for doc in docs:
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")


def _same_tables(read: object, mined: object, surfaces: bool) -> None:
    for part in ("phrases", "titles"):
        ours, theirs = getattr(read, part).arrays(), getattr(mined, part).arrays()
        # keys, their offsets and the ranks; the surface forms and their offsets
        for n in (0, 1, 4, 2, 3) if surfaces else (0, 1, 4):
            assert np.array_equal(np.asarray(ours[n]), np.asarray(theirs[n])), (part, n)


def _completions(index: Path) -> tuple[object, object]:
    gen = IndexStore(index).current_dir()
    with open_generation(gen).reader() as reader:
        return read_completions(gen, reader), mine_index(reader)


def test_an_update_continues_the_counts_and_gets_what_mining_gets(tmp_path: Path) -> None:
    """An update's completions come from the previous generation's counts, its removed
    and changed documents taken off and its new ones added: the table mining the whole
    new generation gives (the collection is small: the bounded counting forgot nothing).
    Only additions: the very same table. With removals: the same entries and ranks; a
    surface form (``الإثنين`` or ``الاثنين``) may be the one a removed document showed
    first (mining too keeps whichever it meets first)."""
    docs = _bundled_docs()
    for n, doc in enumerate(docs[:10]):
        doc["title"] = f"Dépêche retirée numéro {n}"  # titled, then removed below
    keep = docs[: len(docs) * 8 // 10]
    corpus = tmp_path / "corpus"
    _write(keep, corpus)
    index = tmp_path / "index"
    build_index(corpus, index, prepare=prepare_generation)
    grown = docs[: len(docs) * 9 // 10]
    _write(grown, corpus)  # 10% new documents
    updated = update_index(corpus, index, prepare=prepare_generation)
    assert updated.derived is not None and updated.derived["completions_continued"] is True
    read, mined = _completions(index)
    assert read is not None
    _same_tables(read, mined, surfaces=True)
    assert read.complete("depeche retiree")  # before they are removed
    # then 10% new, 10 removed, 5 changed (a new title and text)
    after = [dict(d) for d in grown[10:]] + docs[len(grown) :]
    for doc in after[:5]:
        doc["title"] = f"Bilan révisé {doc['id']}"
        doc["text"] = str(doc["text"])[::-1]
    _write(after, corpus)
    updated = update_index(corpus, index, prepare=prepare_generation)
    assert updated.derived is not None and updated.derived["completions_continued"] is True
    read, mined = _completions(index)
    assert read is not None
    _same_tables(read, mined, surfaces=False)
    assert read.complete("bilan rév")[0].startswith("Bilan révisé")  # a changed title's words
    assert mined.complete("depeche retiree") == []
    assert read.complete("depeche retiree") == []  # the removed documents' words are gone
