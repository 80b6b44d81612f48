"""Collecting every match once, then facets, filters by language and ranking in Python.

Why one pass without the language filter: the language facet must show what
the other language would give (so the user can switch), while the year facet,
the total and the hits honour every filter. Collecting (docnum, score) for all
matches once and reading the per-generation column arrays (lang, year, date)
answers all of them without a second search. The collection loop checks a
deadline so a pathological query returns partial results instead of hanging.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import query as wq

from search.models import Facets, FacetValue
from search.scoring import Floats, Ints
from search.timeline import Months, timeline

#: The DATETIME column value of a document without a date.
NO_DATE = 2**64 - 1
#: Weight of the other language's normalised scores (see :func:`normalise_per_lang`).
CROSS_DISCOUNT = 0.9


@dataclass
class Matches:
    """Every match of a search: docnums ascending and their scores (numpy arrays)."""

    docnums: Ints
    scores: Floats
    timed_out: bool


@dataclass(frozen=True)
class Codes:
    """A string column of the generation as small integer codes, one per document.

    Why: counting facets and filtering by language over every match is then one
    ``bincount`` or one boolean lookup instead of a Python step per match.
    """

    names: tuple[str, ...]
    codes: npt.NDArray[np.unsignedinteger[Any]]  # the smallest unsigned type that fits

    @classmethod
    def of(cls, values: Iterable[str], count: int | None = None) -> Codes:
        """The codes of ``values`` (``count`` of them when not a sequence).

        One byte per document while the column has fewer than 256 distinct values
        (languages, years, sources): a 300,000-document generation's three columns
        are under a megabyte, where lists of strings were 2.4 MB of pointers alone.
        """
        index: dict[str, int] = {}
        n = len(values) if isinstance(values, Sequence) else count
        if n is None:
            raise TypeError("Codes.of: count is needed for an iterator")
        wide = np.fromiter((index.setdefault(v, len(index)) for v in values), np.uint32, n)
        dtype = np.uint8 if len(index) <= 256 else np.uint16 if len(index) <= 65536 else np.uint32
        return cls(tuple(index), wide.astype(dtype))

    def among(self, docnums: Ints, allowed: Collection[str]) -> npt.NDArray[np.bool_]:
        """Whether each of ``docnums`` has one of the ``allowed`` values."""
        wanted = np.array([n in allowed for n in self.names], dtype=bool)
        return wanted[self.codes[docnums]] if len(wanted) else np.zeros(len(docnums), bool)

    def counts(self, docnums: Ints) -> dict[str, int]:
        found = np.bincount(self.codes[docnums], minlength=len(self.names)).tolist()
        return {n: c for n, c in zip(self.names, found, strict=True) if c}


def collect(searcher: Any, query: wq.Query, deadline: float) -> Matches:
    """Every (docnum, score) matching ``query`` with Whoosh's matchers, until ``deadline``."""
    docnums: list[int] = []
    scores: list[float] = []
    query = query.normalize()
    context = searcher.context()
    for sub, offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)
        n = 0
        while matcher.is_active():
            docnums.append(offset + matcher.id())
            scores.append(matcher.score())
            matcher.next()
            n += 1
            if not n & 255 and time.perf_counter() > deadline:
                return Matches(_ints(docnums), np.array(scores, np.float64), True)
    return Matches(_ints(docnums), np.array(scores, np.float64), False)


def _ints(values: list[int]) -> Ints:
    return np.array(values, np.int64)


def count(searcher: Any, query: wq.Query) -> int:
    """Number of documents matching ``query`` (unscored)."""
    query = query.normalize()
    total = 0
    context = searcher.boolean_context()
    for sub, _ in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)
        while matcher.is_active():
            total += 1
            matcher.next()
    return total


def facets(
    matches: Matches, kept: Ints, langs: Codes, years: Codes, months: Months | None = None
) -> Facets:
    """Language counts over every match; year counts and timeline over the filtered ``kept``."""
    by_lang = langs.counts(matches.docnums)
    by_year = years.counts(matches.docnums[kept])
    periods = timeline(months, matches.docnums[kept]) if months is not None else ()
    return Facets(
        lang=tuple(
            FacetValue(v, n) for v, n in sorted(by_lang.items(), key=lambda x: (-x[1], x[0]))
        ),
        year=tuple(FacetValue(v, n) for v, n in sorted(by_year.items(), reverse=True) if v),
        timeline=periods,
    )


def normalise_per_lang(matches: Matches, kept: Ints, langs: Codes, home: str) -> Floats:
    """Scores divided by the best score of their language: fair French/Arabic merging.

    Why: BM25 scores of a translated (PSQ) query and of the original query are on
    different scales, so raw scores would let one language drown the other.
    """
    scores = matches.scores.copy()
    codes = langs.codes[matches.docnums[kept]]
    for code in np.unique(codes).tolist():
        group = kept[codes == code]
        top = max(0.0, float(scores[group].max()))
        factor = 1.0 if langs.names[code] == home else CROSS_DISCOUNT
        scores[group] = (scores[group] / top if top > 0 else 0.0) * factor
    return scores


def rank(
    kept: Ints,
    scores: Floats,
    docnums: Ints,
    dates: Sequence[int] | npt.NDArray[np.uint64],
    sort: str,
    limit: int,
) -> list[int]:
    """Indices (into the match arrays) of the first ``limit`` results, best first."""
    if sort == "date":
        score_of, docnum_of = scores.tolist(), docnums.tolist()

        def key(i: int) -> tuple[bool, int, float]:
            value = int(dates[docnum_of[i]])
            return (value != NO_DATE, value if value != NO_DATE else 0, score_of[i])

        return heapq.nlargest(limit, kept.tolist(), key=key)
    if len(kept) > 4 * limit > 0:
        # Only documents scoring at least the limit-th best score can be in the top: find
        # that score with one partition, then break ties on the few left.
        values = scores[kept]
        cutoff = np.partition(values, len(values) - limit)[len(values) - limit]
        kept = kept[values >= cutoff]
    candidates = kept.tolist()
    score_of, docnum_of = scores[kept].tolist(), docnums[kept].tolist()
    best = heapq.nlargest(limit, range(len(candidates)), key=lambda j: (score_of[j], -docnum_of[j]))
    return [candidates[j] for j in best]
