"""A text column of every document at once: ids, fingerprints, files.

Why: an update and story linking read the ``id`` and ``fingerprint`` of every
document. Whoosh's column reader answers one document at a time, each answer a
seek and a read in the compound file (~10 µs); at 300,000 documents and three
columns that is seconds per update. A segment's variable-length byte column is
one contiguous block with its lengths and offsets beside it: it is read here
in one call and cut in Python. Any other column kind (or a layout this code
does not know) is read through Whoosh as before; ``tests/test_columns.py``
compares both with Whoosh's own reader (the oracle).
"""

from __future__ import annotations

import itertools
from typing import Any

from whoosh.columns import VarBytesColumn


def column_texts(reader: Any, name: str) -> list[str]:
    """The column ``name`` of every document number of ``reader`` (deleted ones
    included, as Whoosh numbers them), decoded; "" where a segment has no column."""
    out: list[str] = []
    for sub, _offset in reader.leaf_readers():
        if not sub.has_column(name):
            out.extend(itertools.repeat("", sub.doc_count_all()))
            continue
        column = sub.column_reader(name, translate=False)
        fast = _var_bytes(column)
        if fast is None:  # by number: some Whoosh readers' iteration is wrong (compressed)
            column = sub.column_reader(name)
            out.extend(_text(column[n]) for n in range(sub.doc_count_all()))
        else:
            out.extend(b.decode("utf-8") for b in fast)
    return out


def _var_bytes(column: Any) -> list[bytes] | None:
    """The values of a :class:`VarBytesColumn` reader, its block read once (None: not one)."""
    # exactly this class: a subclass (CompressedBytesColumn's) stores its values otherwise
    if type(column) is not VarBytesColumn.Reader:
        return None
    try:
        lengths, offsets = column._lengths, column._offsets
        base, dbfile = column._basepos, column._dbfile
    except AttributeError:  # another Whoosh release's layout
        return None
    if not len(lengths):
        return []
    end = max(o + n for o, n in zip(offsets, lengths, strict=True))
    block = bytes(dbfile.get(base, end))
    return [block[o : o + n] for o, n in zip(offsets, lengths, strict=True)]


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
