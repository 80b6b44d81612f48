"""Each document's best match in the other language and its related dispatches, updatable.

What is computed per document (its *row*: cosines with every other document
sharing a term, :mod:`search.link_scoring`):

- ``best``: its best match in the other language within the date window
  (:data:`search.linking.MAX_DAYS`), cosine at least the link threshold, ties to
  the smaller id. Two documents are linked when each is the other's ``best``
  (mutual best match, :mod:`search.linking`);
- ``related``: its :data:`RELATED` closest other documents, either language, no
  date window, cosine at least :data:`RELATED_MIN`, ties to the smaller id.

Why this can be updated instead of recomputed: with the vectors fixed (idf frozen,
:mod:`search.link_state`), the cosine of two unchanged documents does not change.
So an update computes the rows of the new and changed documents only; each
unchanged document keeps its ``best`` and ``related`` and merges in its cosines
with the new documents (read from their rows: a cosine is the same from either
side). One exception: when a document its lists named was removed or changed,
the next one down is unknown, so its row is computed again (a few documents).
The result is exactly what a computation from scratch gives over the same vectors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from search.link_scoring import Csr, Floats, Ints, Postings, best_per_row, products
from search.linking import MAX_DAYS

#: Related dispatches kept per document.
RELATED: Final = 5
#: The least cosine of a related dispatch (below, two leads share little but common words).
RELATED_MIN: Final = 0.1
#: Day ordinal bounds of an undated document (compatible with every date).
UNDATED: Final = (-(10**9), 10**9)

Pair = tuple[str, float]


@dataclass(frozen=True, slots=True)
class Item:
    """A document as the graph sees it: vectors over one term numbering."""

    id: str
    lang: str  # "fr" or "ar"
    key: bytes  # changes when anything its row depends on changes
    span: tuple[int, int]  # first and last day (ordinals); UNDATED when unknown
    own: tuple[Ints, Floats]  # its lead in its language's space
    cross: tuple[Ints, Floats] | None = None  # French: its translation in the Arabic space
    linkable: bool = True  # False: declared pair, never linked by similarity


@dataclass(slots=True)
class Graph:
    """Per document: its key, best cross-language match and related dispatches."""

    keys: dict[str, bytes] = field(default_factory=dict)
    best: dict[str, Pair] = field(default_factory=dict)
    related: dict[str, tuple[Pair, ...]] = field(default_factory=dict)

    def links(self) -> list[tuple[str, str, float]]:
        """(French id, Arabic id, cosine) of the mutual best matches (French side first)."""
        out = []
        for doc, (other, score) in self.best.items():
            back = self.best.get(other)
            if back is not None and back[0] == doc and doc < other:
                out.append((doc, other, score))
        return out


def update(
    items: Sequence[Item], vocabulary: int, prior: Graph | None, threshold: float
) -> tuple[Graph, dict[str, int]]:
    """The graph of ``items``: computed whole, or from ``prior`` (see the module doc)."""
    prior = prior or Graph()
    gone = {d for d, key in prior.keys.items()}
    changed: list[int] = []
    for n, item in enumerate(items):
        if prior.keys.get(item.id) == item.key:
            gone.discard(item.id)
        else:
            changed.append(n)
    stale = {
        n
        for n, item in enumerate(items)
        if item.id in prior.keys
        and item.id not in gone
        and (
            prior.best.get(item.id, ("", 0.0))[0] in gone
            or any(other in gone for other, _ in prior.related.get(item.id, ()))
        )
    }
    todo = np.asarray(sorted(set(changed) | stale), dtype=np.int64)
    rows = _Rows(items, vocabulary, threshold)
    graph = Graph(keys={item.id: item.key for item in items})
    fresh = np.zeros(len(items), dtype=bool)
    fresh[changed] = True
    redo = np.zeros(len(items), dtype=bool)
    redo[todo] = True
    extra_best: dict[int, list[Pair]] = defaultdict(list)
    extra_related: dict[int, list[Pair]] = defaultdict(list)
    for q, o, s, cross in rows.scored(todo):
        _fill(graph, items, rows, q, o, s, cross)
        # the new documents' cosines with the unchanged ones, for those to merge
        merge = fresh[q] & ~redo[o] & ((s >= RELATED_MIN) | (cross == 1))
        for a, b, score, is_cross in zip(
            o[merge].tolist(), q[merge].tolist(), s[merge].tolist(), cross[merge].tolist(),
            strict=True,
        ):  # fmt: skip
            other = items[b].id
            if score >= RELATED_MIN:
                extra_related[a].append((other, score))
            if is_cross and score >= threshold and rows.compatible(a, b):
                extra_best[a].append((other, score))
    for n, item in enumerate(items):
        if redo[n]:
            continue
        old = prior.related.get(item.id, ())
        pool = list(old) + extra_related.get(n, [])
        if pool:
            graph.related[item.id] = tuple(sorted(pool, key=_order)[:RELATED])
        best = [prior.best[item.id]] if item.id in prior.best else []
        best += extra_best.get(n, [])
        if best:
            graph.best[item.id] = min(best, key=_order)
    return graph, {"rows": len(todo), "merged": len(extra_related), "changed": len(changed)}


def _order(pair: Pair) -> tuple[float, str]:
    return (-pair[1], pair[0])


def _fill(
    graph: Graph, items: Sequence[Item], rows: _Rows, q: Ints, o: Ints, s: Floats, cross: Ints
) -> None:
    """Best and related of the rows ``q`` from their scored pairs (global positions)."""
    near = s >= RELATED_MIN
    rq, ro, rs = best_per_row(q[near], o[near], s[near], rows.rank, RELATED)
    for a, b, score in zip(rq.tolist(), ro.tolist(), rs.tolist(), strict=True):
        doc = items[a].id
        graph.related[doc] = (*graph.related.get(doc, ()), (items[b].id, score))
    ok = cross.astype(bool) & (s >= rows.threshold) & rows.compatible_many(q, o)
    bq, bo, bs = best_per_row(q[ok], o[ok], s[ok], rows.rank, 1)
    for a, b, score in zip(bq.tolist(), bo.tolist(), bs.tolist(), strict=True):
        graph.best[items[a].id] = (items[b].id, score)


class _Rows:
    """The spaces of a collection and the rows of chosen documents in them."""

    def __init__(self, items: Sequence[Item], vocabulary: int, threshold: float) -> None:
        self.threshold = threshold
        ids = np.asarray([item.id for item in items], dtype=object)
        self.rank = np.empty(len(items), dtype=np.int64)
        self.rank[np.argsort(ids.astype(str), kind="stable")] = np.arange(len(items))
        self.lo = np.asarray([item.span[0] for item in items], dtype=np.int64)
        self.hi = np.asarray([item.span[1] for item in items], dtype=np.int64)
        self.linkable = np.asarray([item.linkable for item in items], dtype=bool)
        self.ar = np.asarray([n for n, it in enumerate(items) if it.lang == "ar"], np.int64)
        self.fr = np.asarray([n for n, it in enumerate(items) if it.lang == "fr"], np.int64)
        self.local = np.full(len(items), -1, dtype=np.int64)
        self.local[self.ar] = np.arange(len(self.ar))
        self.local[self.fr] = np.arange(len(self.fr))
        self.arabic = Csr.from_rows([items[n].own for n in self.ar])
        self.french = Csr.from_rows([items[n].own for n in self.fr])
        empty = (np.zeros(0, np.int64), np.zeros(0))
        self.translated = Csr.from_rows([items[n].cross or empty for n in self.fr])
        self.p_arabic = Postings(self.arabic, vocabulary)
        self.p_french = Postings(self.french, vocabulary)
        self.p_translated = Postings(self.translated, vocabulary)
        self.langs = np.zeros(len(items), dtype=bool)  # True: Arabic
        self.langs[self.ar] = True

    def scored(self, todo: Ints) -> list[tuple[Ints, Ints, Floats, Ints]]:
        """(row, other, cosine, across languages) of every ``todo`` row, in global positions."""
        least = min(RELATED_MIN, self.threshold)
        out = []
        todo_ar = self.local[todo[self.langs[todo]]]
        todo_fr = self.local[todo[~self.langs[todo]]]
        plans = [
            (self.arabic, todo_ar, self.p_arabic, self.ar, self.ar, RELATED_MIN, 0),
            (self.arabic, todo_ar, self.p_translated, self.ar, self.fr, least, 1),
            (self.french, todo_fr, self.p_french, self.fr, self.fr, RELATED_MIN, 0),
            (self.translated, todo_fr, self.p_arabic, self.fr, self.ar, least, 1),
        ]
        for queries, local, postings, q_map, o_map, floor, cross in plans:
            if not len(local) or not postings.size:
                continue
            for q, o, s in products(queries, local, postings, floor):
                q, o = q_map[q], o_map[o]
                keep = q != o
                out.append((q[keep], o[keep], s[keep], np.full(int(keep.sum()), cross)))
        if not out:
            z = np.zeros(0, np.int64)
            return [(z, z, np.zeros(0), z)]
        merged = [np.concatenate(parts) for parts in zip(*out, strict=True)]
        return [(merged[0], merged[1], merged[2], merged[3])]

    def compatible_many(self, a: Ints, b: Ints) -> npt.NDArray[np.bool_]:
        """Whether each pair may be linked: both linkable, dates within the window."""
        gap = np.maximum(np.maximum(self.lo[b] - self.hi[a], self.lo[a] - self.hi[b]), 0)
        ok: npt.NDArray[np.bool_] = (gap <= MAX_DAYS) & self.linkable[a] & self.linkable[b]
        return ok

    def compatible(self, a: int, b: int) -> bool:
        return bool(self.compatible_many(np.asarray([a]), np.asarray([b]))[0])
