"""Evaluating a compiled query with set operations on cached postings.

Why: Whoosh walks a query as a tree of matchers, advancing and scoring one
posting at a time in Python. Here every leaf becomes ``{docnum: score}`` from
the per-generation cache (:mod:`search.scoring`), and the operators become
dictionary operations done mostly in C: ``And`` intersects (smallest first),
``Or`` sums over the union, ``AndMaybe`` adds the optional part where it
matches, ``AndNot`` drops the excluded documents. Scores are the sums Whoosh's
matchers compute (an ``Or`` adds the scores of the children that match, a
phrase scores like the ``And`` of its words), so rankings stay the same.

What is evaluated here: ``Term``, ``And``, ``Or``, ``AndMaybe``, ``AndNot``,
``Phrase`` (consecutive words, from the positions in the postings) and
:class:`search.translate.psq.PSQTerm` (one source word's weighted
translations: tf and df mixed by the translation weights, scored with BM25,
its semantics unchanged). Any other query falls back to Whoosh's own matcher.

Bounded time: the evaluation checks a deadline between the children of every
operator. Past it, an ``Or`` keeps the children already evaluated and the
other operators give nothing, so a stopped query returns fewer documents,
never a document that does not match (an exclusion is never half applied).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate
from math import log
from pickle import loads
from typing import Any

from whoosh import query as wq

from search.matching import BestMatch, combine
from search.scoring import Postings, Statistics

Scores = dict[int, float]
_INT_SIZE = 4  # the frequency prefix of an encoded Positions value


class Evaluator:
    """Evaluates queries for one search, with the caller's borrowed searcher."""

    def __init__(self, stats: Statistics, searcher: Any, deadline: float) -> None:
        self.stats, self.searcher, self.deadline = stats, searcher, deadline
        self.timed_out = False

    def run(self, query: wq.Query) -> Scores:
        """``{docnum: score}`` of every document matching ``query``."""
        return self._eval(query.normalize())

    def expired(self) -> bool:
        if not self.timed_out and time.perf_counter() > self.deadline:
            self.timed_out = True
        return self.timed_out

    # -- the tree -------------------------------------------------------------------------
    def _eval(self, q: wq.Query) -> Scores:
        kind = type(q)
        if q is wq.NullQuery:
            return {}
        if kind is wq.Term:
            return self.stats.postings(self.searcher, q.fieldname, q.text).scored(q.boost)
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
        """Best match (:mod:`search.matching`): clauses scored, coordinated, bonus added."""
        parts: list[Scores] = []
        for child in q.clauses:
            if self.expired():
                break
            parts.append(self._eval(child))
        if len(parts) < len(q.clauses):  # stopped: an unevaluated required clause matches nothing
            missing = q.required[len(parts) :]
            if any(missing):
                return {}
        out = combine(parts, q.required[: len(parts)], self.stats.idf, q.coordinate)
        for extra in q.bonus:
            if not out or self.expired():
                break
            found = self._eval(extra)
            if len(found) <= len(out):
                for d, s in found.items():
                    if d in out:
                        out[d] += s
            else:
                get = found.get
                for d in out:
                    out[d] += get(d, 0.0)
        return out

    def _and(self, children: Sequence[wq.Query]) -> Scores:
        parts: list[Scores] = []
        for child in children:
            if self.expired():
                return {}
            part = self._eval(child)
            if not part:
                return {}
            parts.append(part)
        if not parts:
            return {}
        parts.sort(key=len)
        out = parts[0]
        for part in parts[1:]:
            out = {d: s + part[d] for d, s in out.items() if d in part}
            if not out:
                break
        return out

    def _or(self, children: Sequence[wq.Query]) -> Scores:
        parts: list[Scores] = []
        for child in children:
            if self.expired():
                break
            part = self._eval(child)
            if part:
                parts.append(part)
        if not parts:
            return {}
        parts.sort(key=len, reverse=True)
        out = parts[0]  # every part is a fresh dict (nothing cached is a dict): add in place
        get = out.get
        for part in parts[1:]:
            for d, s in part.items():
                out[d] = get(d, 0.0) + s
        return out

    def _and_maybe(self, required: wq.Query, optional: wq.Query) -> Scores:
        out = self._eval(required)
        if not out or self.expired():
            return out
        extra = self._eval(optional)
        if not extra:
            return out
        # ``out`` is a fresh dict (see ``_or``): add in place, walking the smaller side
        if len(extra) <= len(out):
            for d, s in extra.items():
                if d in out:
                    out[d] += s
        else:
            get = extra.get
            for d in out:
                out[d] += get(d, 0.0)
        return out

    def _and_not(self, positive: wq.Query, negative: wq.Query) -> Scores:
        out = self._eval(positive)
        if not out:
            return out
        excluded = self._eval(negative)
        if self.timed_out:  # the exclusion may be incomplete: keep nothing rather than too much
            return {}
        return {d: s for d, s in out.items() if d not in excluded} if excluded else out

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
        out: Scores = {}
        if all(p.docnums for p in lists.values()):
            rarest = min(lists.values(), key=lambda p: len(p.docnums))
            candidates = set(rarest.docnums)
            for p in lists.values():
                if p is not rarest:
                    candidates.intersection_update(p.docnums)
            for n, d in enumerate(sorted(candidates)):
                if not n & 63 and self.expired():
                    return out
                places = {w: _find(p, d) for w, p in lists.items()}
                decoded: dict[str, list[int]] = {}
                starts: set[int] | None = None
                for k, w in enumerate(words):
                    at = decoded.get(w)
                    if at is None:
                        at = decoded[w] = positions_of(lists[w], places[w])
                    shifted = {p - k for p in at}
                    starts = shifted if starts is None else starts & shifted
                    if not starts:
                        break
                if starts:
                    total = 0.0
                    for w in words:
                        total += lists[w].scores[places[w]]
                    out[d] = total
        self.stats.keep_phrase(field, key, out)
        return out

    def _psq(self, field: str, translations: Sequence[tuple[str, float]], boost: float) -> Scores:
        """PSQ: ``tf' = Σ wᵢ·tfᵢ``, ``df' = Σ wᵢ·dfᵢ``, scored with BM25 (as ``PSQTerm``)."""
        stats, searcher = self.stats, self.searcher
        df = 0.0
        tf: dict[int, float] = {}
        for text, weight in translations:
            df += weight * stats.doc_frequency(searcher, field, text)
            postings = stats.postings(searcher, field, text)
            get = tf.get
            for d, x in zip(postings.docnums, postings.weights, strict=True):
                tf[d] = get(d, 0) + float(weight * x)
        if not tf:
            return {}
        idf = (log(stats.doc_count / (df + 1)) + 1) * boost
        lengths = stats.lengths(searcher, field)
        k1, b, avgfl = stats.k1, stats.b(field), stats.avg_length(searcher, field)
        # whoosh.scoring.bm25, operation for operation, inlined (one call per document less)
        return {
            d: idf * ((w * (k1 + 1)) / (w + k1 * ((1 - b) + b * lengths[d] / avgfl)))
            for d, w in tf.items()
        }

    def _whoosh(self, q: wq.Query) -> Scores:
        """Any other query: Whoosh's matcher, collected with the same deadline."""
        out: Scores = {}
        context = self.searcher.context()
        for sub, offset in self.searcher.leaf_searchers():
            matcher = q.matcher(sub, context)
            n = 0
            while matcher.is_active():
                out[offset + matcher.id()] = matcher.score()
                matcher.next()
                n += 1
                if not n & 255 and self.expired():
                    return out
        return out


def _boosted(scores: Scores, boost: float) -> Scores:
    return scores if boost == 1.0 else {d: s * boost for d, s in scores.items()}


def _find(postings: Postings, docnum: int) -> int:
    """Index of ``docnum`` in the postings, or -1."""
    i = bisect_left(postings.docnums, docnum)
    return i if i < len(postings.docnums) and postings.docnums[i] == docnum else -1


def positions_of(postings: Postings, i: int) -> list[int]:
    """Decoded positions of one posting (``whoosh.formats.Positions.decode_positions``)."""
    assert postings.values is not None
    value = postings.values[i]
    if not value.endswith(b"."):
        value += b"."
    return list(accumulate(loads(value[_INT_SIZE:])))
