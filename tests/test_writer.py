"""The fast writer writes exactly the segment Whoosh's own writer writes.

``index.writer.FihrisWriter`` replaces Whoosh's posting pool and document
loop for speed. If it ever wrote something else, searches would silently
miss or misrank documents, so each case writes the same documents through
Whoosh's ``SegmentWriter`` and through ``FihrisWriter`` (same codec, no
compound file) and compares every segment file byte for byte.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from index import Document, IndexStorageError, IndexStore, build_index
from index.codec import FihrisCodec, _hapax_info, _inlined_info
from index.fields import encode_positions
from index.schema import document_fields, make_schema
from index.writer import FihrisWriter

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

TRICKY = [
    # the seed story in both languages, with harakat, elisions and a mixed run
    ("fr", "La traite des êtres humains", "L’Observatoire a publié jusqu’à 12,5 % de cas."),
    ("ar", "مكافحة الاتجار بالبشر", "مُكَافَحَة الاتِّجار بالبَشَر في المغرب والرباطFrance"),
    ("fr", "Enfant enfant", "Enfant enfant ENFANT enfants: one term, several positions"),
    ("fr", "", "le le le la la"),  # stop words only: empty title, exact positions only
    ("ar", "عنوان", ""),  # empty body
]


def _documents(extra: int) -> list[Document]:
    """The tricky rows, then ``extra`` real FLORES documents (terms shared across documents)."""
    docs = []
    for n, (lang, title, text) in enumerate(TRICKY):
        docs.append(
            Document(
                id=f"t{n}",
                text=text,
                title=title,
                lang=lang,
                date="2024-07-26" if n % 2 else None,
                source="seed",
                path=f"tricky.jsonl:{n + 1}",
            )
        )
    with gzip.open(CORPUS / "flores200-devtest" / "docs.ar.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for _, line in zip(range(extra), f, strict=False)]
    for row in rows:
        docs.append(
            Document(
                id=row["id"],
                text=row["text"],
                title=row.get("title") or "",
                lang="ar",
                path="flores.jsonl",
            )
        )
    return docs


def _segment_files(folder: Path) -> dict[str, bytes]:
    """Each segment file's bytes by the name after its random segment id (``.trm``, ``id.col``)."""
    files = {}
    for path in folder.glob("MAIN_*.*"):
        files[path.name.split(".", 1)[1]] = path.read_bytes()
    return files


def _write(folder: Path, writer_class: Any, batches: list[list[Document]], **kwargs: Any) -> None:
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), make_schema())
    for k, batch in enumerate(batches):
        writer = writer_class(ix, codec=FihrisCodec(), compound=False, **kwargs)
        if k:
            writer.delete_by_term("id", batch[0].id)  # an update replaces a document
        for doc in batch:
            writer.add_document(**document_fields(doc))
        # the last commit folds every earlier segment in (Whoosh's add_reader path)
        writer.commit(optimize=k == len(batches) - 1 and k > 0)


CASES = [
    pytest.param([slice(0, 60)], id="one-segment"),
    # three commits, the last one merging the earlier segments into the new one:
    # merged postings come through Whoosh's add_reader and are numbered after
    # the new documents
    pytest.param([slice(0, 25), slice(20, 45), slice(40, 60)], id="merged-segments"),
]


@pytest.mark.parametrize("parts", CASES)
def test_fihris_writer_writes_whoosh_segment_bytes(tmp_path: Path, parts: list[slice]) -> None:
    docs = _documents(55)
    batches = [docs[part] for part in parts]
    _write(tmp_path / "whoosh", SegmentWriter, batches)
    _write(tmp_path / "fihris", FihrisWriter, batches)
    expected = _segment_files(tmp_path / "whoosh")
    assert {"trm", "pst", "_stored.col", "_body_len.col", "id.col"} <= set(expected)
    assert _segment_files(tmp_path / "fihris") == expected


def _contents(folder: Path) -> dict[str, Any]:
    """What a search can read of an index: term statistics, postings, lengths, stored fields."""
    ix = whoosh_index.open_dir(str(folder))
    with ix.reader() as reader:
        terms = {}
        for field, term in reader.all_terms():
            info = reader.term_info(field, term)
            matcher = reader.postings(field, term)
            rows = []
            while matcher.is_active():
                rows.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length())
            terms[(field, term)] = (stats, info.max_weight(), rows)
        docs = list(reader.all_doc_ids())
        lengths = {
            (n, field): reader.doc_field_length(n, field)
            for n in docs
            for field in ("title", "body", "body_exact")
        }
        return {"terms": terms, "lengths": lengths, "stored": list(reader.all_stored_fields())}


def test_a_pool_spilled_to_runs_writes_the_same_index(tmp_path: Path) -> None:
    # a pool limit of ~30 KB spills dozens of sorted runs that the commit merges.
    # Compared by content, not bytes: a value read back from a run is a new
    # bytes object, and the block pickles share equal objects, not equal values
    docs = _documents(55)
    _write(tmp_path / "whoosh", SegmentWriter, [docs])
    _write(tmp_path / "fihris", FihrisWriter, [docs], limitmb=0.03)
    expected = _contents(tmp_path / "whoosh")
    assert len(expected["terms"]) > 3000
    assert _contents(tmp_path / "fihris") == expected


def _postings(index_dir: Path) -> dict[tuple[str, str], list[tuple[str, float, bytes]]]:
    """Every field's terms and their postings, keyed by document id (docnums differ)."""
    folder = next(p for p in index_dir.iterdir() if p.name.startswith("gen-"))
    ix = whoosh_index.open_dir(str(folder))
    found: dict[tuple[str, str], list[tuple[str, float, bytes]]] = {}
    with ix.reader() as reader:
        ids = {n: reader.stored_fields(n)["id"] for n in reader.all_doc_ids()}
        for field in ("title", "body", "body_exact", "lang"):
            for term in reader.lexicon(field):
                matcher = reader.postings(field, term)
                rows = []
                while matcher.is_active():
                    rows.append((ids[matcher.id()], matcher.weight(), matcher.value()))
                    matcher.next()
                found[(field, term.decode("utf-8"))] = sorted(rows)
    return found


def _corpus(tmp_path: Path) -> tuple[Path, list[Document]]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    docs = [doc for doc in _documents(400) if doc.text]  # the loader rejects an empty text
    with (corpus / "docs.jsonl").open("w", encoding="utf-8") as out:
        for doc in docs:
            row = {"id": doc.id, "text": doc.text, "title": doc.title, "lang": doc.lang}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return corpus, docs


def test_parallel_build_indexes_what_one_process_indexes(tmp_path: Path) -> None:
    # two writer processes, a segment each: same terms, same postings per document
    corpus, docs = _corpus(tmp_path)
    one = build_index(corpus, tmp_path / "one", procs=1)
    two = build_index(corpus, tmp_path / "two", procs=2, expected=10**6)
    assert one.documents == two.documents == len(docs)
    parallel = _postings(tmp_path / "two")
    assert len(parallel) > 1000
    assert parallel == _postings(tmp_path / "one")


def test_a_writer_process_that_dies_leaves_the_previous_index_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whoosh's parallel writer commits the segments of the processes that
    # finished; without the count check, a dead process's documents vanish
    corpus, docs = _corpus(tmp_path)
    build_index(corpus, tmp_path / "ix", procs=1)
    live = IndexStore(tmp_path / "ix").current_dir()
    victim = docs[150].id
    add_document = FihrisWriter.add_document

    def dies_on_the_victim(self: FihrisWriter, **fields: Any) -> None:
        if fields["id"] == victim:
            raise MemoryError("simulated: the writer process runs out of memory")
        add_document(self, **fields)

    monkeypatch.setattr(FihrisWriter, "add_document", dies_on_the_victim)  # forked writers see it
    with pytest.raises(IndexStorageError, match=f"where {len(docs)} were written"):
        build_index(corpus, tmp_path / "ix", procs=2, expected=10**6)
    assert IndexStore(tmp_path / "ix").current_dir() == live
    assert ids_in(tmp_path / "ix") == {doc.id for doc in docs}


def ids_in(index_dir: Path) -> set[str]:
    ix, _ = IndexStore(index_dir).open()
    with ix.searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


@pytest.mark.parametrize(
    "docnum",
    [0, 255, 256, 65535, 65536, 2**31 - 1],  # each width of pickle's integer opcodes
)
@pytest.mark.parametrize(
    ("weight", "value", "length"),
    [
        (1.0, encode_positions([0]), 12),  # the usual exact-field hapax
        (2.0, encode_positions([3, 9]), 300),  # a title hapax seen twice, long text
        (1.0, b"\x00\x00\x00\x01", 1),  # a frequency-field value
        (0.1, b"", None),  # a weight not exact in 32 bits, no value, no length
        (3.0, encode_positions([70000]), 10**6),  # a position past the shared values
    ],
)
def test_a_one_posting_term_info_is_the_pickled_one(
    docnum: int, weight: float, value: bytes, length: int | None
) -> None:
    expected = _inlined_info((docnum,), (weight,), (value,), (length,))
    assert _hapax_info(docnum, weight, value, length) == expected
    assert _hapax_info(docnum, weight, value, length) == expected  # from the cached tail
