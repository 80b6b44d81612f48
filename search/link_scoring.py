"""Cosines of many lead vectors at once: sparse products with numpy.

Why arrays: story links and related dispatches compare every document with the
others sharing a term with it. Done one dictionary lookup at a time (the first
version) this was most of a build at 30,000 documents and grew with exponent
~1.4. Here a block of query vectors is expanded against the postings of their
terms in a few numpy calls (``repeat``/``cumsum`` to expand the posting slices,
one sort to add up the products per pair), so the work per pair is a few array
operations in C, and only pairs at or above a minimum cosine are kept.

Scores are rounded to :data:`DIGITS` decimals: the cosine of a pair computed
from either side (an update scores new documents against old ones, and the old
ones' earlier scores are kept) must compare equal, whatever the order the terms
were added up in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

#: Decimals kept of a cosine (see the module doc).
DIGITS: Final = 12
#: Posting entries expanded at once (memory of a block: ~40 bytes each).
BLOCK: Final = 2_000_000

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Csr:
    """Sparse unit vectors, one row per document: term ids and weights per row."""

    indptr: Ints
    terms: Ints
    weights: Floats

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[Ints, Floats]]) -> Csr:
        """Stack per-document (term ids, weights) arrays."""
        lengths = np.fromiter((len(t) for t, _ in rows), dtype=np.int64, count=len(rows))
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        terms = np.concatenate([t for t, _ in rows]) if rows else np.zeros(0, np.int64)
        weights = np.concatenate([w for _, w in rows]) if rows else np.zeros(0)
        return cls(indptr, terms.astype(np.int64, copy=False), weights.astype(np.float64))

    def __len__(self) -> int:
        return len(self.indptr) - 1


class Postings:
    """The documents of a :class:`Csr` per term (an inverted index in three arrays)."""

    def __init__(self, vectors: Csr, vocabulary: int) -> None:
        rows = np.repeat(np.arange(len(vectors), dtype=np.int64), np.diff(vectors.indptr))
        order = np.argsort(vectors.terms, kind="stable")
        self.docs = rows[order]
        self.weights = vectors.weights[order]
        counts = np.bincount(vectors.terms, minlength=vocabulary)
        self.offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.offsets[1:])
        self.size = len(vectors)


def products(
    queries: Csr, rows: Ints, postings: Postings, least: float
) -> Iterator[tuple[Ints, Ints, Floats]]:
    """(query row, document, cosine) of the ``rows`` of ``queries`` with every document
    of ``postings`` sharing a term, cosine at or above ``least``; in blocks."""
    starts, ends = queries.indptr[rows], queries.indptr[rows + 1]
    lengths = ends - starts
    # (query, term) entries of the rows, in row order
    entry_row = np.repeat(rows, lengths)
    entry_pos = np.arange(int(lengths.sum()), dtype=np.int64)
    entry_pos += np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    terms = queries.terms[entry_pos]
    known = terms < len(postings.offsets) - 1
    entry_row, terms, qweights = entry_row[known], terms[known], queries.weights[entry_pos][known]
    lo, hi = postings.offsets[terms], postings.offsets[terms + 1]
    spans = hi - lo
    done = np.cumsum(spans)
    first = 0
    while first < len(terms):
        # entries up to BLOCK expanded postings, whole query rows only
        last = int(np.searchsorted(done, (done[first - 1] if first else 0) + BLOCK, "right"))
        last = max(last, first + 1)
        if last < len(terms):
            last = _row_end(entry_row, last, first)
        yield _block(entry_row[first:last], qweights[first:last], lo[first:last],
                     spans[first:last], postings, least)  # fmt: skip
        first = last


def _row_end(entry_row: Ints, last: int, first: int) -> int:
    """Move a block end back to a row boundary (or forward when one row is the block)."""
    row = entry_row[last]
    back = int(np.searchsorted(entry_row[first:last], row, "left")) + first
    if back > first:
        return back
    return int(np.searchsorted(entry_row, row, "right"))


def _block(
    rows: Ints, qweights: Floats, lo: Ints, spans: Ints, postings: Postings, least: float
) -> tuple[Ints, Ints, Floats]:
    total = int(spans.sum())
    if total == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0)
    pos = np.arange(total, dtype=np.int64) + np.repeat(lo - (np.cumsum(spans) - spans), spans)
    docs = postings.docs[pos]
    products = postings.weights[pos] * np.repeat(qweights, spans)
    keys = np.repeat(rows, spans) * max(postings.size, 1) + docs
    pairs, inverse = np.unique(keys, return_inverse=True)
    scores = np.round(np.bincount(inverse.ravel(), products), DIGITS)
    keep = scores >= least
    pairs = pairs[keep].astype(np.int64)
    size = max(postings.size, 1)
    kept: Floats = scores[keep].astype(np.float64)
    return pairs // size, pairs % size, kept


def best_per_row(
    rows: Ints, others: Ints, scores: Floats, rank: Ints, k: int
) -> tuple[Ints, Ints, Floats]:
    """The ``k`` best (row, other, score) of each row: highest score, then lowest ``rank``."""
    order = np.lexsort((rank[others], -scores, rows))
    rows, others, scores = rows[order], others[order], scores[order]
    if len(rows) == 0:
        return rows, others, scores
    start = np.r_[True, rows[1:] != rows[:-1]]
    index = np.arange(len(rows))
    first = np.maximum.accumulate(np.where(start, index, 0))
    keep = index - first < k
    return rows[keep], others[keep], scores[keep]
