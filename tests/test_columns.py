"""index.columns reads whole text columns past Whoosh's per-document reader: the
oracle is Whoosh's own column reader, on real on-disk indexes of several segments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.columns import CompressedBytesColumn
from whoosh.fields import ID, NUMERIC, Schema

from index import column_texts


def _schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        file=ID(sortable=True),
        packed=ID(sortable=CompressedBytesColumn()),  # another column kind: Whoosh's path
        n=NUMERIC(sortable=True),
    )


def _oracle(reader: Any, name: str) -> list[str]:
    """Whoosh's reader, one document at a time, per segment ("" where it has no column)."""
    out: list[str] = []
    for sub, _ in reader.leaf_readers():
        if not sub.has_column(name):
            out.extend("" for _ in range(sub.doc_count_all()))
            continue
        column = sub.column_reader(name)
        for n in range(sub.doc_count_all()):
            value = column[n]
            out.append(value.decode("utf-8") if isinstance(value, bytes) else str(value))
    return out


SEGMENTS: list[list[dict[str, Any]]] = [
    # plain ASCII ids, every field present
    [{"id": "a1", "file": "x.jsonl", "packed": "p", "n": 1}, {"id": "a2", "file": "x.jsonl"}],
    # Arabic and accented ids (multi-byte UTF-8), an empty value between two others
    [{"id": "خبر-١", "file": "é.jsonl"}, {"id": "b2", "file": ""}, {"id": "ç3", "file": "z"}],
    # a segment where no document has "file" or "packed": Whoosh writes no column for them
    [{"id": "c1"}, {"id": "c2"}],
]


@pytest.mark.parametrize("name", ["id", "file", "packed", "n"])
def test_whole_columns_equal_whooshs_reader(tmp_path: Path, name: str) -> None:
    ix = whoosh_index.create_in(str(tmp_path), _schema())
    for docs in SEGMENTS:  # one commit each, no merge: several segments
        writer = ix.writer()
        for doc in docs:
            writer.add_document(**doc)
        writer.commit(merge=False)
    writer = ix.writer()
    writer.delete_by_term("id", "b2")  # a deleted document keeps its number
    writer.commit(merge=False)
    with ix.reader() as reader:
        assert len(list(reader.leaf_readers())) == 3
        found = column_texts(reader, name)
        assert found == _oracle(reader, name)
        assert len(found) == reader.doc_count_all() == 7
    if name == "id":
        assert found[2] == "خبر-١"


def test_a_single_segment_reader(tmp_path: Path) -> None:
    ix = whoosh_index.create_in(str(tmp_path), _schema())
    with ix.writer() as writer:
        for n in range(300):
            writer.add_document(id=f"d{n}", file="" if n % 7 == 0 else f"f{n % 3}")
    with ix.reader() as reader:
        assert column_texts(reader, "file") == _oracle(reader, "file")
