"""Term proximity and the lead: a second look at the best candidates of a query.

Why: BM25F sums its words independently, so an article that has the words of
a pasted headline scattered over 2,000 words ties with one that has them
side by side in its first paragraph. Two signals separate them, both read
from the positions of the exact (unstemmed, folded) fields:

* *proximity*: for each pair of consecutive query words, how often they occur
  within :data:`WINDOW` positions of each other in the document (a sequential
  dependence model in the manner of Metzler & Croft 2005, with BM25's
  saturation ``n / (n + K_PAIR)`` instead of a language model);
* *the lead*: query words occurring in the first :data:`LEAD` positions, where
  news writing puts who, what and where.

Positions are decoded only for the :data:`CANDIDATES` best-scored documents
(a bonus only raises scores, so no document below them could overtake one
that got it), and only for the query's own words: translations are matched on
stemmed terms, which the index stores without positions.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, Final

from search.evaluate import positions_of
from search.scoring import Statistics

#: Documents re-scored per query (the best by their BM25F score).
CANDIDATES: Final = 100
#: Two query words this close (in positions, stop words counted) are "near".
WINDOW: Final = 8
#: Saturation of the pair counts (as BM25's k1 for term frequency).
K_PAIR: Final = 1.0
#: The first positions of the body: the lead paragraph of a dispatch.
LEAD: Final = 50
#: Weight of the pair bonus and the lead bonus, in units of the query's mean idf. Tuned on
#: the tuning halves of ``fihris eval ranking``-style sets (pair, lead): (0, 0) → (1, 0.5)
#: → (4, 2) → (4, 4) took FLORES AR→AR 0.375 → 0.376 → 0.380 → 0.389, FR→FR 0.475 →
#: 0.474 → 0.480 → 0.484, Arabic headlines 0.758 → 0.766 → 0.767 → 0.768; (4, 0) showed
#: the lead is most of the gain.
PAIR_WEIGHT: Final = 4.0
LEAD_WEIGHT: Final = 4.0


def bonuses(
    stats: Statistics,
    searcher: Any,
    words: Sequence[str],
    scores: dict[int, float],
    deadline: float | None = None,
) -> dict[int, float] | None:
    """``{docnum: bonus}`` for the best :data:`CANDIDATES` of ``scores``.

    ``words`` are the query's exact forms in query order (stop words left out).
    None when ``deadline`` (a ``time.perf_counter`` value) passed before every
    candidate was seen: bonuses for only some of them would reorder unfairly.
    """
    distinct = list(dict.fromkeys(words))
    if not distinct or not scores:
        return {}
    top = sorted(scores, key=scores.__getitem__, reverse=True)[:CANDIDATES]
    postings = {w: stats.postings(searcher, "body_exact", w, values=True) for w in distinct}
    idf = {w: stats.idf(len(p.docnums)) for w, p in postings.items()}
    unit = sum(idf.values()) / len(idf)
    pairs = [(a, b) for a, b in pairwise(words) if a != b]
    out: dict[int, float] = {}
    for n, d in enumerate(top):
        if deadline is not None and not n & 7 and time.perf_counter() > deadline:
            return None
        where: dict[str, list[int]] = {}
        for w, p in postings.items():
            i = bisect_left(p.docnums, d)
            if i < len(p.docnums) and p.docnums[i] == d and p.values is not None:
                where[w] = positions_of(p, i)
        if not where:
            continue
        bonus = 0.0
        for w, at in where.items():
            if at and at[0] < LEAD:
                bonus += LEAD_WEIGHT * idf[w] / len(distinct)
        for a, b in pairs:
            if a in where and b in where:
                n = _near(where[a], where[b])
                if n:
                    bonus += PAIR_WEIGHT * unit * (n / (n + K_PAIR)) / max(len(pairs), 1)
        if bonus:
            out[d] = bonus
    return out


def _near(first: list[int], second: list[int]) -> int:
    """How many positions of ``first`` have a position of ``second`` within WINDOW."""
    n = 0
    j = 0
    for p in first:
        while j < len(second) and second[j] < p - WINDOW:
            j += 1
        if j < len(second) and second[j] <= p + WINDOW:
            n += 1
    return n
