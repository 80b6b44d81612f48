"""Evaluating a compiled query with set operations on cached postings.

Why: Whoosh walks a query as a tree of matchers, advancing and scoring one
posting at a time in Python. Here every leaf becomes a sparse vector (sorted
docnums, scores: numpy arrays) from the per-generation cache
(:mod:`search.scoring`), and the operators become array operations: ``And``
intersects (smallest first), ``Or`` sums over the union (one ``bincount``),
``AndMaybe`` adds the optional part where it matches, ``AndNot`` drops the
excluded documents. A pasted headline of 30 weighted terms costs a few array
passes instead of one Python step per posting. Scores are the sums Whoosh's
matchers compute (an ``Or`` adds the scores of the children that match, a
phrase scores like the ``And`` of its words), so rankings stay the same.

What is evaluated here: ``Term``, ``And``, ``Or``, ``AndMaybe``, ``AndNot``,
``Phrase`` (consecutive words, from the positions in the postings) and
:class:`search.translate.psq.PSQTerm` (one source word's weighted
translations: tf and df mixed by the translation weights, scored with BM25,
its semantics unchanged). Any other query falls back to Whoosh's own matcher.

Bounded time: the evaluation checks a deadline between the children of every
operator. Past it, an ``Or`` keeps the children already evaluated, its first one
always, and a best match its required clauses and its first one; an ``And``
still reads each child (each cut short in the same way), an ``AndMaybe`` drops
its optional part, an ``AndNot`` whose exclusion was cut gives nothing. So a
search that starts late still returns some results, at the cost of one path
through the query's tree, and a stopped query returns fewer documents, never a
document that does not match (an exclusion is never half applied).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from itertools import accumulate
from pickle import loads
from typing import Any

import numpy as np
from whoosh import query as wq

from search.matching import BestMatch, combine
from search.scoring import Postings, Statistics, psq_mixture
from search.tidy import tidy
from search.vectors import EMPTY, Scores, add_where, and_not, from_dict, intersect, union_sum

_INT_SIZE = 4  # the frequency prefix of an encoded Positions value

__all__ = ["Evaluator", "Scores"]


class Evaluator:
    """Evaluates queries for one search, with the caller's borrowed searcher."""

    def __init__(self, stats: Statistics, searcher: Any, deadline: float) -> None:
        self.stats, self.searcher, self.deadline = stats, searcher, deadline
        self.timed_out = False

    def run(self, query: wq.Query) -> Scores:
        """(docnums ascending, scores) of every document matching ``query``."""
        return self._eval(tidy(query))

    def expired(self) -> bool:
        if not self.timed_out and time.perf_counter() > self.deadline:
            self.timed_out = True
        return self.timed_out

    # -- the tree -------------------------------------------------------------------------
    def _eval(self, q: wq.Query) -> Scores:
        kind = type(q)
        if q is wq.NullQuery:
            return EMPTY
        if kind is wq.Term:
            p = self.stats.postings(self.searcher, q.fieldname, q.text)
            return _boosted((p.docnums, p.scores), q.boost)
        if kind is wq.And:
            return _boosted(self._and(q.subqueries), q.boost)
        if kind is wq.Or and not q.scale and not q.minmatch:
            return _boosted(self._or(q.subqueries), q.boost)
        if kind is wq.AndMaybe:
            return _boosted(self._and_maybe(q.a, q.b), q.boost)
        if kind is wq.AndNot:
            return _boosted(self._and_not(q.a, q.b), q.boost)
        if kind is wq.Phrase and q.slop == 1 and len(q.words) > 1:
            return _boosted(self._phrase(q.fieldname, q.words), q.boost)
        if kind.__name__ == "PSQTerm" and hasattr(q, "translations"):
            return self._psq(q.fieldname, q.translations, q.boost)
        if kind is BestMatch:
            return _boosted(self._best(q), q.boost)
        return self._whoosh(q)

    def _best(self, q: BestMatch) -> Scores:
        """Best match (:mod:`search.matching`): clauses scored, coordinated, bonus added.

        Past the deadline the optional clauses after the first are skipped (counted as
        matching nothing: fewer results, never more); the required ones are still read,
        each as cut short as the deadline makes it.
        """
        parts: list[Scores] = []
        for child, required in zip(q.clauses, q.required, strict=True):
            if parts and not required and self.expired():
                parts.append(EMPTY)
                continue
            parts.append(self._eval(child))
        out = combine(parts, q.required, self.stats.idf, q.coordinate)
        for extra in q.bonus:
            if not len(out[0]) or self.expired():
                break
            out = add_where(out, self._eval(extra))
        return out

    def _and(self, children: Sequence[wq.Query]) -> Scores:
        parts: list[Scores] = []
        for child in children:  # every child, even late: each is cut short inside (Or)
            part = self._eval(child)
            if not len(part[0]):
                return EMPTY
            parts.append(part)
        if not parts:
            return EMPTY
        parts.sort(key=lambda p: len(p[0]))
        out = parts[0]
        for part in parts[1:]:
            out = intersect(out, part)
            if not len(out[0]):
                break
        return out

    def _or(self, children: Sequence[wq.Query]) -> Scores:
        parts: list[Scores] = []
        for n, child in enumerate(children):
            if n and self.expired():  # the first child always: some results, if late
                break
            part = self._eval(child)
            if len(part[0]):
                parts.append(part)
        if not parts:
            return EMPTY
        parts.sort(key=lambda p: len(p[0]), reverse=True)  # the order the sums were made in
        return union_sum(parts)

    def _and_maybe(self, required: wq.Query, optional: wq.Query) -> Scores:
        out = self._eval(required)
        if not len(out[0]) or self.expired():
            return out
        return add_where(out, self._eval(optional))

    def _and_not(self, positive: wq.Query, negative: wq.Query) -> Scores:
        out = self._eval(positive)
        if not len(out[0]):
            return out
        excluded = self._eval(negative)
        if self.timed_out:  # the exclusion may be incomplete: keep nothing rather than too much
            return EMPTY
        return and_not(out, excluded[0])

    # -- leaves ---------------------------------------------------------------------------
    def _phrase(self, field: str, words: Sequence[str]) -> Scores:
        """Documents with ``words`` at consecutive positions; score = sum of the words'.

        Cached per generation like a term: decoding positions is the costly part. Each
        distinct word's positions are decoded once per candidate document, and the
        deadline is checked as candidates go (a stopped phrase keeps what it found,
        and is not cached).
        """
        key = tuple(words)
        cached = self.stats.phrase(field, key)
        if cached is not None:
            return cached
        distinct = list(dict.fromkeys(words))
        lists = {w: self.stats.postings(self.searcher, field, w, values=True) for w in distinct}
        docs: list[int] = []
        totals: list[float] = []
        if all(len(p.docnums) for p in lists.values()):
            rarest = min(lists.values(), key=lambda p: len(p.docnums))
            candidates = rarest.docnums
            for p in lists.values():
                if p is not rarest:
                    candidates = np.intersect1d(candidates, p.docnums, assume_unique=True)
            places = {w: np.searchsorted(p.docnums, candidates) for w, p in lists.items()}
            for n, d in enumerate(candidates.tolist()):
                if not n & 63 and self.expired():
                    return _arrays(docs, totals)
                decoded: dict[str, list[int]] = {}
                starts: set[int] | None = None
                for k, w in enumerate(words):
                    at = decoded.get(w)
                    if at is None:
                        at = decoded[w] = positions_of(lists[w], int(places[w][n]))
                    shifted = {p - k for p in at}
                    starts = shifted if starts is None else starts & shifted
                    if not starts:
                        break
                if starts:
                    total = 0.0
                    for w in words:
                        total += float(lists[w].scores[places[w][n]])
                    docs.append(d)
                    totals.append(total)
        out = _arrays(docs, totals)
        self.stats.keep_phrase(field, key, out)
        return out

    def _psq(self, field: str, translations: Sequence[tuple[str, float]], boost: float) -> Scores:
        """PSQ: ``tf' = Σ wᵢ·tfᵢ``, ``df' = Σ wᵢ·dfᵢ``, scored with BM25 (as ``PSQTerm``)."""
        stats, searcher = self.stats, self.searcher
        weights = [w for _, w in translations]
        df = psq_mixture(
            weights, [stats.doc_frequency(searcher, field, t) for t, _ in translations]
        )
        parts: list[Scores] = []
        for text, weight in translations:
            p = stats.postings(searcher, field, text)
            if len(p.docnums):
                parts.append((p.docnums, weight * p.weights))
        if not parts:
            return EMPTY
        docnums, tf = union_sum(parts)
        return docnums, stats.bm25(searcher, field, stats.idf(df) * boost, tf, docnums)

    def _whoosh(self, q: wq.Query) -> Scores:
        """Any other query: Whoosh's matcher, collected with the same deadline."""
        out: dict[int, float] = {}
        context = self.searcher.context()
        for sub, offset in self.searcher.leaf_searchers():
            matcher = q.matcher(sub, context)
            n = 0
            while matcher.is_active():
                out[offset + matcher.id()] = matcher.score()
                matcher.next()
                n += 1
                if not n & 255 and self.expired():
                    return from_dict(out)
        return from_dict(out)


def _boosted(scores: Scores, boost: float) -> Scores:
    return scores if boost == 1.0 else (scores[0], scores[1] * boost)


def _arrays(docs: list[int], totals: list[float]) -> Scores:
    return np.array(docs, dtype=np.int64), np.array(totals, dtype=np.float64)


def positions_of(postings: Postings, i: int) -> list[int]:
    """Decoded positions of one posting (``whoosh.formats.Positions.decode_positions``)."""
    assert postings.values is not None
    value = postings.values[i]
    if not value.endswith(b"."):
        value += b"."
    return list(accumulate(loads(value[_INT_SIZE:])))
