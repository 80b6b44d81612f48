"""Probabilistic Structured Queries (Darwish & Oard 2003) as a Whoosh query.

Why not ``Or([Term(t1), Term(t2), ...])``: a flat OR scores every candidate
translation as an independent query word, so a source word with five
translations counts five times, and a rare wrong candidate (high idf) outweighs
the right common one. PSQ treats the translations of ONE source word as ONE
query term whose statistics are the weighted mixture of theirs:

    tf'(d) = Σ_i w_i · tf_i(d)        df' = Σ_i w_i · df_i

scored with BM25 (the same formula and idf as Whoosh's ``BM25F``), so a PSQ term
with a single translation of weight 1 scores exactly like a plain ``Term``, and
PSQ terms mix fairly with ordinary terms inside ``And``/``Or``. The formulas
live in :mod:`search.scoring` (shared with the array evaluator); this matcher is
the path for code that walks a query with Whoosh (highlighting, the oracle test).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

from whoosh import matching, query
from whoosh.scoring import BM25F

from search import scoring


class PSQTerm(query.Query):  # type: ignore[misc]
    """One source word's weighted translations, matched as a single query term."""

    def __init__(
        self, fieldname: str, translations: Sequence[tuple[str, float]], boost: float = 1.0
    ) -> None:
        merged: dict[str, float] = {}
        for text, weight in translations:
            if weight > 0:
                merged[text] = merged.get(text, 0.0) + weight
        self.fieldname = fieldname
        self.translations: tuple[tuple[str, float], ...] = tuple(
            sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        self.boost = boost

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PSQTerm)
            and self.fieldname == other.fieldname
            and self.translations == other.translations
            and self.boost == other.boost
        )

    def __hash__(self) -> int:
        return hash((type(self), self.fieldname, self.translations, self.boost))

    def __repr__(self) -> str:
        return f"PSQTerm({self.fieldname!r}, {list(self.translations)!r}, boost={self.boost})"

    def __str__(self) -> str:
        inner = " | ".join(f"{t}:{w:.2f}" for t, w in self.translations)
        return f"{self.fieldname}:({inner})"

    def is_leaf(self) -> bool:
        return True

    def has_terms(self) -> bool:
        return True

    def field(self) -> str:
        return self.fieldname

    def terms(self, phrases: bool = False) -> Iterator[tuple[str, str]]:
        """Every translation term: what ``all_terms()`` and highlighting see."""
        for text, _ in self.translations:
            yield self.fieldname, text

    def replace(self, fieldname: str, oldtext: str, newtext: str) -> PSQTerm:
        q = copy.copy(self)
        if fieldname == self.fieldname:
            q.translations = tuple(
                (newtext if t == oldtext else t, w) for t, w in self.translations
            )
        return q

    def normalize(self) -> query.Query:
        return query.NullQuery if not self.translations else self

    def simplify(self, ixreader: Any) -> query.Query:
        return self.normalize()

    def estimate_size(self, ixreader: Any) -> int:
        return sum(self._doc_frequency(ixreader, t) for t, _ in self.translations)

    def _bytes(self, schema: Any, text: str) -> bytes | None:
        if self.fieldname not in schema:
            return None
        try:
            return schema[self.fieldname].to_bytes(text)  # type: ignore[no-any-return]
        except ValueError:
            return None

    def _doc_frequency(self, reader: Any, text: str) -> int:
        btext = self._bytes(reader.schema, text)
        if btext is None or (self.fieldname, btext) not in reader:
            return 0
        return int(reader.doc_frequency(self.fieldname, btext))

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """Union of the translations' postings, scored with the mixed statistics."""
        reader = searcher.reader()
        parent = searcher.get_parent()
        children, weights, mixed, frequencies = [], [], [], []
        for text, weight in self.translations:
            btext = self._bytes(searcher.schema, text)
            if btext is None:
                continue
            mixed.append(weight)
            frequencies.append(self._doc_frequency(parent.reader(), text))
            if (self.fieldname, btext) in reader:
                m = reader.postings(self.fieldname, btext)
                if m.is_active():
                    children.append(m)
                    weights.append(weight)
        if not children:
            return matching.NullMatcher()
        weighting = searcher.weighting if context is None else context.weighting
        if isinstance(weighting, BM25F):
            b = weighting._field_B.get(self.fieldname, weighting.B)
            k1 = weighting.K1
        else:
            b, k1 = 0.75, 1.2
        idf = scoring.idf(parent.doc_count_all(), scoring.psq_mixture(mixed, frequencies))
        avgfl = parent.avg_field_length(self.fieldname) or 1
        constants = _Scoring(idf * self.boost, avgfl, b, k1, reader, self.fieldname)
        return PSQMatcher(children, weights, constants)


class _Scoring:
    """The constant part of the BM25 computation of one PSQ term in one segment."""

    __slots__ = ("avgfl", "b", "fieldname", "idf", "k1", "reader")

    def __init__(
        self, idf: float, avgfl: float, b: float, k1: float, reader: Any, fieldname: str
    ) -> None:
        self.idf, self.avgfl, self.b, self.k1 = idf, avgfl, b, k1
        self.reader, self.fieldname = reader, fieldname

    def score(self, docnum: int, tf: float) -> float:
        length = self.reader.doc_field_length(docnum, self.fieldname, 1)
        return scoring.bm25(self.idf, tf, length, self.avgfl, self.b, self.k1)


class PSQMatcher(matching.Matcher):  # type: ignore[misc]
    """Walks the union of the translation postings; children stay visible for highlights."""

    def __init__(self, children: list[Any], weights: list[float], scoring: _Scoring) -> None:
        self._children = children
        self._weights = weights
        self._scoring = scoring
        self._id = self._current()

    def _current(self) -> int | None:
        ids = [c.id() for c in self._children if c.is_active()]
        return min(ids) if ids else None

    def is_active(self) -> bool:
        return self._id is not None

    def id(self) -> int:
        assert self._id is not None
        return self._id

    def children(self) -> list[Any]:
        return self._children

    def term(self) -> None:
        return None

    def copy(self) -> PSQMatcher:
        return PSQMatcher([c.copy() for c in self._children], list(self._weights), self._scoring)

    def reset(self) -> None:
        for c in self._children:
            c.reset()
        self._id = self._current()

    def replace(self, minquality: float = 0) -> Any:
        return self if self.is_active() else matching.NullMatcher()

    def supports_block_quality(self) -> bool:
        return False

    def supports(self, astype: str) -> bool:
        return False

    def next(self) -> bool:
        if self._id is None:
            raise matching.ReadTooFar
        current = self._id
        for c in self._children:
            if c.is_active() and c.id() == current:
                c.next()
        self._id = self._current()
        return False

    def skip_to(self, id: int) -> bool:
        if self._id is None:
            raise matching.ReadTooFar
        for c in self._children:
            if c.is_active() and c.id() < id:
                c.skip_to(id)
        self._id = self._current()
        return False

    def weight(self) -> float:
        """tf'(d): the weighted term frequency of the current document."""
        current = self._id
        return sum(
            float(w * c.weight())
            for c, w in zip(self._children, self._weights, strict=True)
            if c.is_active() and c.id() == current
        )

    def score(self) -> float:
        return self._scoring.score(self.id(), self.weight())


def psq_query(fieldname: str, groups: Sequence[Sequence[tuple[str, float]]]) -> query.Query:
    """An ``Or`` of one PSQ term per source word (``groups``: its weighted translations)."""
    parts = [PSQTerm(fieldname, group) for group in groups if group]
    if not parts:
        return query.NullQuery
    return parts[0] if len(parts) == 1 else query.Or(parts)
