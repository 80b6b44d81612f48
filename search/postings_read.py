"""A term's postings in one segment, read from Whoosh's W3 postings file in one go.

Why: a query's first sight of a common word costs its postings read, and at
100,000 documents and more that read is most of a query. Whoosh's
``W3LeafMatcher`` reads a block at a time through its file object (a seek, a
4-byte read and a pickle read per block) and expands the delta-coded ids with
a Python generator, one posting at a time. Here the term's whole extent is one
read; each block is cut from it, its data unpickled (as Whoosh does) and its
ids summed with numpy. The file format is Whoosh's (``index.codec`` writes it,
``W3LeafMatcher`` reads it); ``tests/test_postings_read.py`` compares both on
real indexes (the oracle). Anything else (another codec, inlined postings of a
layout not known here) returns None and the caller reads through Whoosh.
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC as _W3_MAGIC
from whoosh.codec.whoosh3 import W3TermsReader

#: ``W3LeafMatcher``'s block header: a big-endian int (negative: the last block).
_INT: Final = struct.Struct("!i")


Postings = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], list[Any] | None]


def read_term(reader: Any, field: str, btext: bytes, values: bool) -> Postings | None:
    """``(docnums, weights, values)`` of one term in one segment reader, deletions
    removed, docnums local to the segment; None when this reader is not one this
    module can read (the caller then uses Whoosh's matcher)."""
    terms: Any = getattr(reader, "_terms", None)
    if type(terms) is not W3TermsReader:  # exactly Whoosh's: a subclass may read otherwise
        return None
    info = terms.term_info(field, btext)
    fixed = reader.schema[field].format.fixed_value_size()
    if info.is_inlined():
        ids_, ws_, vs_ = info.inlined_postings()
        ids = np.asarray(ids_, dtype=np.int64)
        ws = np.asarray(ws_, dtype=np.float64)
        vs = list(vs_) if values else None
    else:
        offset, length = info.extent()
        if isinstance(length, tuple):  # W3TermInfo.from_bytes keeps unpack_int's tuple
            length = length[0]
        try:
            found = _blocks(terms._postfile.get(offset, length), fixed, values)
        except (struct.error, zlib.error, pickle.UnpicklingError, ValueError, EOFError):
            found = None  # not the layout read here: Whoosh's matcher reads it
        if found is None:
            return None
        ids, ws, vs = found
    if reader.has_deletions():
        deleted = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
        keep = ~np.isin(ids, deleted)
        if not keep.all():
            ids, ws = ids[keep], ws[keep]
            if vs is not None:
                vs = [v for v, k in zip(vs, keep.tolist(), strict=True) if k]
    return ids, ws, vs


def _blocks(buf: bytes, fixed: int | None, values: bool) -> Postings | None:
    """Every block of one term's extent (Whoosh's ``W3LeafMatcher`` layout)."""
    if buf[: len(_W3_MAGIC)] != _W3_MAGIC:
        return None
    stream = io.BytesIO(buf)
    pos = len(_W3_MAGIC)
    ids: list[npt.NDArray[np.int64]] = []
    weights: list[npt.NDArray[np.float64]] = []
    vs: list[Any] | None = [] if values else None
    while True:
        (size,) = _INT.unpack_from(buf, pos)
        last = size < 0
        end = pos + _INT.size + abs(size)
        stream.seek(pos + _INT.size)
        count, _maxid, _maxweight, compressed, _mn, _mx = pickle.load(stream)
        data = buf[stream.tell() : end]
        if compressed:
            data = zlib.decompress(data)
        deltas, block_weights, block_values = pickle.loads(data)
        ids.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
        if block_weights is None:
            weights.append(np.ones(count, dtype=np.float64))
        elif isinstance(block_weights, float):
            weights.append(np.full(count, block_weights, dtype=np.float64))
        else:
            weights.append(np.asarray(block_weights, dtype=np.float64))
        if vs is not None:
            vs.extend(_values(block_values, fixed, count))
        if last or end >= len(buf):
            break
        pos = end
    return np.concatenate(ids), np.concatenate(weights), vs


def _values(block: Any, fixed: int | None, count: int) -> list[Any]:
    """As ``W3LeafMatcher._read_values``."""
    if fixed is None or fixed < 0:
        return list(block)
    if fixed == 0:
        return [None] * count
    return [block[i : i + fixed] for i in range(0, len(block), fixed)]
