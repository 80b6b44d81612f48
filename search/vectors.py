"""Sparse score vectors (sorted docnums, scores) and the operations the evaluator needs.

Why sparse pairs and not a dense array of every document: most clauses match a
small share of the collection, and the engine wants the matching documents in
order anyway. Sums over many vectors (an ``Or``, a PSQ term, the clauses of a
best match) are one ``bincount`` over the concatenated vectors: dense when the
postings cover a good share of the documents, through ``np.unique`` otherwise.
``bincount`` adds in input order, so concatenating in the order the dictionary
evaluator added gives the same floating-point sums.

Every function returns fresh arrays or its unchanged input; none changes an
array in place (the postings arrays are shared by every search of a generation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, cast

import numpy as np
import numpy.typing as npt

from search.scoring import Floats, Ints, frozen

Scores = tuple[Ints, Floats]

EMPTY: Final[Scores] = (frozen(np.zeros(0, np.int64)), frozen(np.zeros(0, np.float64)))
#: Summing densely (arrays as long as the highest docnum) when the postings are at least
#: this share of it; below, sorting the postings is cheaper.
DENSE_SHARE: Final = 1 / 32


def group_sum(docs: Ints, columns: Sequence[Floats]) -> tuple[Ints, list[Floats]]:
    """The distinct ``docs`` (ascending) and, per column, the sum of its values per doc."""
    if not len(docs):
        return docs, [c[:0] for c in columns]
    size = int(docs.max()) + 1
    if len(docs) >= size * DENSE_SHARE:
        distinct = np.flatnonzero(np.bincount(docs, minlength=size))
        return distinct, [cast(Floats, np.bincount(docs, c, size)[distinct]) for c in columns]
    distinct, inverse = np.unique(docs, return_inverse=True)
    return distinct, [cast(Floats, np.bincount(inverse, c, len(distinct))) for c in columns]


def union_sum(parts: Sequence[Scores]) -> Scores:
    """Every document of ``parts`` with the sum of its scores (added in ``parts`` order)."""
    if len(parts) == 1:
        return parts[0]
    docs, (sums,) = group_sum(
        np.concatenate([p[0] for p in parts]), [np.concatenate([p[1] for p in parts])]
    )
    return docs, sums


def locate(docs: Ints, within: Ints) -> tuple[Ints, npt.NDArray[np.bool_]]:
    """For each of ``docs``: its index in the sorted ``within``, and whether it is there."""
    if not len(within):
        return np.zeros(len(docs), np.int64), np.zeros(len(docs), bool)
    at = np.minimum(np.searchsorted(within, docs), len(within) - 1)
    return at, within[at] == docs


def intersect(a: Scores, b: Scores) -> Scores:
    """Documents in both, scored ``a + b`` (the smaller side is looked up in the larger)."""
    if len(a[0]) <= len(b[0]):
        at, found = locate(a[0], b[0])
        return a[0][found], a[1][found] + b[1][at[found]]
    at, found = locate(b[0], a[0])
    return b[0][found], a[1][at[found]] + b[1][found]


def add_where(out: Scores, extra: Scores) -> Scores:
    """``out`` with ``extra``'s score added where ``extra`` matches too (``AndMaybe``)."""
    if not len(extra[0]) or not len(out[0]):
        return out
    at, found = locate(extra[0], out[0])
    scores = out[1].copy()
    scores[at[found]] += extra[1][found]
    return out[0], scores


def and_not(out: Scores, excluded: Ints) -> Scores:
    """``out`` without the ``excluded`` documents."""
    if not len(excluded) or not len(out[0]):
        return out
    _, found = locate(out[0], excluded)
    keep = ~found
    return out[0][keep], out[1][keep]


def from_dict(scores: dict[int, float]) -> Scores:
    """A vector from ``{docnum: score}`` (Whoosh's matcher fallback)."""
    if not scores:
        return EMPTY
    docs = np.fromiter(scores, np.int64, len(scores))
    values = np.fromiter(scores.values(), np.float64, len(scores))
    order = np.argsort(docs, kind="stable")
    return docs[order], values[order]
