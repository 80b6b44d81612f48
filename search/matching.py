"""The matching rule: how the words of a query combine (best match by default).

Why not a conjunction: a sentence, a pasted headline or a question almost never
has every one of its words in the article it is about (the headline is not in
the text, the question's words are paraphrased, a word is in the other
language). Requiring them all returned nothing for most natural queries. Why
not a plain OR: with two or three keywords, a document with every word is
what the user wants first, and OR lets one frequent word drown it.

The rule (the design of Lucene's ``minimum_should_match`` with its old
coordination factor, and of Meilisearch's "frequency" matching strategy):

* every word (or phrase, or parenthesised group) of the query is a *clause*;
  none is required unless the user marks it ``+word``, ``+"phrase"`` or joins
  it with ``AND``; ``-word`` excludes;
* a document's score is the sum of its clauses' BM25F scores times its
  *coordination* ``(Σ idf of the clauses it matches / Σ idf of all clauses) ** COORD_POWER``,
  where a clause's idf comes from how many documents match it: missing a rare
  word costs more than missing a common one; a clause that no document
  matches at all does not count (it cannot separate documents). The measured
  exponent is 0 (see :data:`COORD_POWER`): only short queries are coordinated;
* with :data:`SHORT_QUERY` clauses or fewer, documents matching every clause
  rank above all the others (their scores are scaled below the weakest
  complete match), so two- and three-word searches keep the precision of a
  conjunction, with partial matches after them instead of nothing;
* a quoted phrase inside a longer query counts by its words, and the phrase
  itself, found word for word, adds its score on top (:class:`BestMatch`'s
  ``bonus``): the article with the phrase ranks first, the others still come.

``match=all`` is the strict conjunction (every clause required) and
``match=any`` the plain OR (no coordination, no tiers), for users who want
them and for the evaluation that compares the three (``fihris eval ranking``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

import numpy as np
from whoosh import query as wq

from search.scoring import Ints
from search.vectors import EMPTY, Scores, group_sum, locate

#: Coordination exponent: 0 is a plain OR, large values approach a conjunction. Measured on
#: the tuning halves (headline → article, lead sentence → document, both languages and
#: across): 1.0 and 0.3 lost 0.03–0.14 MRR on lead-sentence queries, most across languages
#: (a noisy translation missing is not a sign of a wrong document), 0.15 lost 0.01–0.03
#: there and gained 0.01 on Arabic headlines. So long queries are not coordinated; short
#: ones still rank complete matches first (SHORT_QUERY).
COORD_POWER: Final = 0.0
#: Queries with at most this many clauses rank complete matches first.
SHORT_QUERY: Final = 3
#: A partial match of a short query scores at most this share of the weakest complete one.
PARTIAL_CEILING: Final = 0.9


class BestMatch(wq.Query):  # type: ignore[misc]
    """Clauses combined by the best-match rule; evaluated by :mod:`search.evaluate`.

    ``required[i]`` says whether ``clauses[i]`` must match; ``bonus`` clauses
    (phrases found word for word) only add to documents the clauses found;
    ``coordinate`` False gives a plain OR of the clauses (``match=any``).
    """

    def __init__(
        self,
        clauses: Sequence[wq.Query],
        required: Sequence[bool],
        bonus: Sequence[wq.Query] = (),
        coordinate: bool = True,
        boost: float = 1.0,
    ) -> None:
        assert len(clauses) == len(required)
        self.clauses = list(clauses)
        self.required = list(required)
        self.bonus = list(bonus)
        self.coordinate = coordinate
        self.boost = boost

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BestMatch)
            and self.clauses == other.clauses
            and self.required == other.required
            and self.bonus == other.bonus
            and self.coordinate == other.coordinate
            and self.boost == other.boost
        )

    def __hash__(self) -> int:
        return hash((type(self), tuple(self.clauses), tuple(self.required), self.coordinate))

    def __repr__(self) -> str:
        marks = ", ".join(
            ("+" if r else "") + repr(c) for c, r in zip(self.clauses, self.required, strict=True)
        )
        return f"BestMatch([{marks}], bonus={self.bonus!r}, coordinate={self.coordinate})"

    def is_leaf(self) -> bool:
        return False

    def children(self) -> Iterator[wq.Query]:
        yield from self.clauses
        yield from self.bonus

    def normalize(self) -> wq.Query:
        clauses = [c.normalize() for c in self.clauses]
        kept = [
            (c, r) for c, r in zip(clauses, self.required, strict=True) if c is not wq.NullQuery
        ]
        if any(r for c, r in zip(clauses, self.required, strict=True) if c is wq.NullQuery):
            return wq.NullQuery  # a required clause that can match nothing
        if not kept:
            return wq.NullQuery
        bonus = [b.normalize() for b in self.bonus]
        return BestMatch(
            [c for c, _ in kept],
            [r for _, r in kept],
            [b for b in bonus if b is not wq.NullQuery],
            self.coordinate,
            self.boost,
        )

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """Whoosh's own matcher of the same documents (an OR, or the AND of required
        clauses with the rest optional), for code that walks a query with Whoosh."""
        must = [c for c, r in zip(self.clauses, self.required, strict=True) if r]
        may = [c for c, r in zip(self.clauses, self.required, strict=True) if not r]
        if must:
            base: wq.Query = must[0] if len(must) == 1 else wq.And(must)
            q = wq.AndMaybe(base, wq.Or(may)) if may else base
        else:
            q = wq.Or(self.clauses)
        return q.matcher(searcher, context)


def combine(
    parts: Sequence[Scores],
    required: Sequence[bool],
    idf: Any,
    coordinate: bool,
) -> Scores:
    """The best-match scores of documents given each clause's (docnums, scores).

    ``idf(n)`` is the idf of a clause that ``n`` documents match (Whoosh's BM25F
    idf, from :class:`search.scoring.Statistics`). Scores and idf weights are summed
    per document in clause order, as one array pass (:func:`search.vectors.group_sum`).
    """
    must = [p for p, r in zip(parts, required, strict=True) if r]
    if any(not len(p[0]) for p in must):
        return EMPTY
    candidates: Ints | None = None
    for p in sorted(must, key=lambda p: len(p[0])):
        candidates = p[0] if candidates is None else candidates[locate(candidates, p[0])[1]]
    present = [(p, idf(len(p[0]))) for p in parts if len(p[0])]
    if not present:
        return EMPTY
    docs, (score, weight) = group_sum(
        np.concatenate([p[0] for p, _ in present]),
        [
            np.concatenate([p[1] for p, _ in present]),
            np.repeat([w for _, w in present], [len(p[0]) for p, _ in present]),
        ],
    )
    if candidates is not None:
        _, inside = locate(docs, candidates)
        docs, score, weight = docs[inside], score[inside], weight[inside]
    if not coordinate:
        return docs, score
    total = sum(w for _, w in present)
    out = score * (weight / total) ** COORD_POWER if COORD_POWER else score.copy()
    if len(present) <= SHORT_QUERY and len(present) > 1:
        full = weight >= total * (1 - 1e-9)
        partial = ~full
        if full.any() and partial.any():
            ceiling = PARTIAL_CEILING * float(out[full].min())
            top = float(out[partial].max())
            if top > ceiling:
                out[partial] *= ceiling / top
    return docs, out
