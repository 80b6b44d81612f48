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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq

from search.models import Facets, FacetValue

#: The DATETIME column value of a document without a date.
NO_DATE = 2**64 - 1
#: Weight of the other language's normalised scores (see :func:`normalise_per_lang`).
CROSS_DISCOUNT = 0.9


@dataclass
class Matches:
    docnums: list[int]
    scores: list[float]
    timed_out: bool


def collect(searcher: Any, query: wq.Query, deadline: float) -> Matches:
    """Every (docnum, score) matching ``query``, until ``deadline`` (time.perf_counter)."""
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
                return Matches(docnums, scores, True)
    return Matches(docnums, scores, False)


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
    matches: Matches, kept: Sequence[int], langs: Sequence[str], years: Sequence[str]
) -> Facets:
    """Language counts over every match; year counts over the language-filtered ``kept``."""
    docnums = matches.docnums
    by_lang = Counter(map(langs.__getitem__, docnums))
    by_year = Counter(map(years.__getitem__, map(docnums.__getitem__, kept)))
    return Facets(
        lang=tuple(
            FacetValue(v, n) for v, n in sorted(by_lang.items(), key=lambda x: (-x[1], x[0]))
        ),
        year=tuple(FacetValue(v, n) for v, n in sorted(by_year.items(), reverse=True) if v),
    )


def normalise_per_lang(
    matches: Matches, kept: Sequence[int], langs: Sequence[str], home: str
) -> list[float]:
    """Scores divided by the best score of their language: fair French/Arabic merging.

    Why: BM25 scores of a translated (PSQ) query and of the original query are on
    different scales, so raw scores would let one language drown the other.
    """
    docnums = matches.docnums
    scores = list(matches.scores)
    by_lang: dict[str, list[int]] = {}
    for i in kept:
        lang = langs[docnums[i]]
        group = by_lang.get(lang)
        if group is None:
            by_lang[lang] = [i]
        else:
            group.append(i)
    for lang, group in by_lang.items():
        top = max(0.0, max(map(scores.__getitem__, group)))
        factor = 1.0 if lang == home else CROSS_DISCOUNT
        for i in group:
            scores[i] = (scores[i] / top if top > 0 else 0.0) * factor
    return scores


def rank(
    kept: Sequence[int],
    scores: Sequence[float],
    docnums: Sequence[int],
    dates: Sequence[int],
    sort: str,
    limit: int,
) -> list[int]:
    """Indices (into the match lists) of the first ``limit`` results, best first."""
    if sort == "date":

        def key(i: int) -> tuple[bool, int, float]:
            value = dates[docnums[i]]
            return (value != NO_DATE, value if value != NO_DATE else 0, scores[i])

        return heapq.nlargest(limit, kept, key=key)
    if len(kept) > 4 * limit > 0:
        # Only documents scoring at least the limit-th best score can be in the top: find
        # that score with a keyless (C) selection, then break ties on the few left.
        cutoff = heapq.nlargest(limit, map(scores.__getitem__, kept))[-1]
        kept = [i for i in kept if scores[i] >= cutoff]
    return heapq.nlargest(limit, kept, key=lambda i: (scores[i], -docnums[i]))
