"""Per-generation term statistics: postings as flat arrays and their BM25F scores.

Why our own scoring instead of Whoosh's matchers: a Whoosh term matcher scores
one posting at a time through four layers of Python objects (matcher, scorer,
``doc_field_length``, column reader), which was ~90 % of a search. Every number
in the BM25F score of a term in a document is fixed for a generation: the
term's idf, the field's average length, the document's field length and the
posting weight. So each term is read once per generation into three arrays
(docnums, weights, scores) as numpy arrays, kept in the generation's cache bounded
in bytes (:class:`search.cache.ByteCache`), and a
query becomes array operations over them (:mod:`search.evaluate`): the BM25 of
a whole postings list is one array expression, not one Python call per posting.

One home for the formulas: :func:`bm25` / :func:`bm25_array`, :func:`idf` and
:func:`psq_mixture` are the only places BM25F and the PSQ mixture are written;
the evaluator and :class:`search.translate.psq.PSQTerm` (Whoosh's matcher path)
call them.

The numbers are Whoosh's own, so rankings do not change: ``bm25`` and the idf
``log(N / (df + 1)) + 1`` of :class:`whoosh.scoring.BM25F`, field lengths read
from the same length column (the same lossy byte encoding), posting weights as
indexed (a title posting weighs twice its frequency). Deleted documents of a
segment are left out, as Whoosh's ``FilterMatcher`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import log
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from search.cache import ByteCache, array_bytes, bytes_list_bytes
from search.postings_read import read_term
from search.strings import ByteStrings

#: Fields whose postings are always read with their positions (search.proximity reads them).
WITH_POSITIONS: Final = frozenset({"body_exact"})
#: A cached doc frequency (a Python int) and a Postings object's own header.
_INT_BYTES: Final = 32
_OBJECT_BYTES: Final = 72

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


# -- the formulas (the only copies) ---------------------------------------------------
def idf(doc_count: int, doc_frequency: float) -> float:
    """Whoosh's BM25F idf: ``log(N / (df + 1)) + 1``."""
    return log(doc_count / (doc_frequency + 1)) + 1


def bm25(idf: float, tf: float, length: float, avgfl: float, b: float, k1: float) -> float:
    """BM25 of one posting: the expression of ``whoosh.scoring.bm25``, operation for operation."""
    return idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * length / avgfl)))


def bm25_array(idf: float, tf: Floats, length: Floats, avgfl: float, b: float, k1: float) -> Floats:
    """:func:`bm25` of a whole postings list in one array expression (same operations,
    same order, so each element equals the scalar result)."""
    out: Floats = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * length / avgfl)))
    return out


def psq_mixture(weights: Sequence[float], doc_frequencies: Sequence[float]) -> float:
    """PSQ's mixed document frequency ``df' = Σ wᵢ·dfᵢ`` (Darwish & Oard 2003).

    The mixed term frequency ``tf'(d) = Σ wᵢ·tfᵢ(d)`` is the same weighted sum per
    document (:func:`search.evaluate.Evaluator` sums the scaled postings); both are then
    scored with :func:`idf` and :func:`bm25` like a plain term.
    """
    df = 0.0
    for w, n in zip(weights, doc_frequencies, strict=True):
        df += w * n
    return df


@dataclass(slots=True)
class Postings:
    """One term of one field over the whole generation (global docnums, ascending).

    The arrays are shared by every search of the generation: read-only, never changed.
    """

    docnums: Ints
    weights: Floats
    scores: Floats  # BM25F of the term alone in each document
    values: Sequence[bytes] | None = None  # encoded positions (ByteStrings), for phrases


def frozen(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    values.flags.writeable = False
    return values


#: Whoosh's length byte → field length (code 0, no length, reads as 1), as floats.
_LENGTH_TABLE: Final = frozen(
    np.array([byte_to_length(b) if b else 1 for b in range(256)], dtype=np.float64)
)


_EMPTY = Postings(
    frozen(np.zeros(0, np.int64)),
    frozen(np.zeros(0, np.float64)),
    frozen(np.zeros(0, np.float64)),
    [],
)


class Statistics:
    """What BM25F needs for one generation, and the term cache. Thread-safe.

    Reading postings needs a searcher (its file handles are not shared between
    threads), so every method takes the caller's borrowed searcher.
    """

    def __init__(self, searcher: Any, cache: ByteCache | None = None) -> None:
        self.doc_count = int(searcher.doc_count_all())
        weighting = searcher.weighting
        self.k1 = float(weighting.K1) if isinstance(weighting, BM25F) else 1.2
        self._b = weighting if isinstance(weighting, BM25F) else None
        self._avgfl: dict[str, float] = {}
        self._lengths: dict[str, npt.NDArray[Any]] = {}
        #: postings, phrases and doc frequencies, bounded in bytes with the generation's rest
        self.cache = cache if cache is not None else ByteCache()

    # -- per field --------------------------------------------------------------------
    def b(self, field: str) -> float:
        if self._b is None:
            return 0.75
        return float(self._b._field_B.get(field, self._b.B))

    def avg_length(self, searcher: Any, field: str) -> float:
        value = self._avgfl.get(field)
        if value is None:
            value = float(searcher.avg_field_length(field) or 1)
            self._avgfl[field] = value
        return value

    def lengths(self, searcher: Any, field: str, docnums: Ints) -> Floats:
        """The field lengths of ``docnums`` (global docnums; 1 when absent).

        Kept per field as Whoosh's one-byte length codes (a byte per document, where
        float64 lengths were eight), decoded by a 256-entry table on each read: the
        same numbers, so the same scores.
        """
        found = self._lengths.get(field)
        if found is None:
            parts = [_segment_lengths(sub.reader(), field) for sub, _ in searcher.leaf_searchers()]
            found = frozen(np.concatenate(parts) if parts else np.zeros(0, np.uint8))
            self._lengths[field] = found
            self.cache.pin(f"lengths:{field}", array_bytes(found))
        if found.dtype == np.uint8:
            decoded: Floats = _LENGTH_TABLE[found[docnums]]
            return decoded
        return found[docnums].astype(np.float64)

    def idf(self, doc_frequency: float) -> float:
        return idf(self.doc_count, doc_frequency)

    def bm25(self, searcher: Any, field: str, idf: float, tf: Floats, docnums: Ints) -> Floats:
        """BM25 of the postings ``(docnums, tf)`` of ``field``, with our field lengths."""
        lengths = self.lengths(searcher, field, docnums)
        avgfl = self.avg_length(searcher, field)
        return bm25_array(idf, tf, lengths, avgfl, self.b(field), self.k1)

    # -- per term ---------------------------------------------------------------------
    def postings(self, searcher: Any, field: str, text: str, values: bool = False) -> Postings:
        """The term's postings, from the cache or read once (with positions if ``values``)."""
        key = ("postings", field, text)
        found: Postings | None = self.cache.get(key)
        if found is not None and (found.values is not None or not values):
            return found
        # exact forms: their positions come with every block read anyway, and the
        # proximity bonus asks for them right after the words were scored
        found = self._read(searcher, field, text, values or field in WITH_POSITIONS)
        self.cache.put(key, found, postings_bytes(found))
        return found

    def phrase(self, field: str, words: tuple[str, ...]) -> tuple[Ints, Floats] | None:
        """A phrase's cached (docnums, scores) (read-only arrays), or None."""
        found: tuple[Ints, Floats] | None = self.cache.get(("phrase", field, words))
        return found

    def keep_phrase(self, field: str, words: tuple[str, ...], found: tuple[Ints, Floats]) -> None:
        kept = (frozen(found[0].copy()), frozen(found[1].copy()))
        self.cache.put(("phrase", field, words), kept, array_bytes(*kept))

    def doc_frequency(self, searcher: Any, field: str, text: str) -> int:
        """Whoosh's doc frequency (deleted documents included, as its idf counts them).

        Cached: fixed for a generation, and a terms-file lookup each time costs more than
        scoring a short postings list (a PSQ term asks it of every translation).
        """
        key = ("df", field, text)
        found: int | None = self.cache.get(key)
        if found is None:
            found = self._read_doc_frequency(searcher, field, text)
            self.cache.put(key, found, _INT_BYTES)
        return found

    def _read_doc_frequency(self, searcher: Any, field: str, text: str) -> int:
        try:
            btext = searcher.schema[field].to_bytes(text)
        except (KeyError, ValueError):
            return 0
        if (field, btext) not in searcher.reader():
            return 0
        return int(searcher.doc_frequency(field, btext))

    def _read(self, searcher: Any, field: str, text: str, values: bool) -> Postings:
        try:
            btext = searcher.schema[field].to_bytes(text)
        except (KeyError, ValueError):
            return _EMPTY
        docnums: list[Any] = []
        weights: list[Any] = []
        encoded: list[bytes] | None = [] if values else None
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            if (field, btext) in reader:
                _read_segment(reader, field, btext, offset, docnums, weights, encoded)
        if not docnums:
            return _EMPTY
        ids = np.concatenate(docnums).astype(np.int64, copy=False)
        tf = np.concatenate(weights).astype(np.float64, copy=False)
        if not len(ids):
            return _EMPTY
        scores = self.bm25(
            searcher, field, self.idf(self.doc_frequency(searcher, field, text)), tf, ids
        )
        packed = ByteStrings(encoded) if encoded is not None else None
        return Postings(frozen(ids), frozen(tf), frozen(scores), packed)


def postings_bytes(postings: Postings) -> int:
    """Estimated bytes of a postings entry: its three arrays and its encoded positions."""
    return (
        array_bytes(postings.docnums, postings.weights, postings.scores)
        + (
            postings.values.nbytes
            if isinstance(postings.values, ByteStrings)
            else bytes_list_bytes(postings.values)
        )
        + _OBJECT_BYTES
    )


def _segment_lengths(reader: Any, field: str) -> npt.NDArray[Any]:
    """One segment's field lengths: its length column's byte codes, read in one go
    (uint8, decoded by :data:`_LENGTH_TABLE`), or lengths (int64) from another codec."""
    count = reader.doc_count_all()
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        column = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
    except AttributeError:  # another codec: the public, slower path
        values = [reader.doc_field_length(d, field, 1) or 1 for d in range(count)]
        return np.array(values, dtype=np.int64)
    if column is None:
        return np.zeros(count, np.uint8)  # code 0 reads as length 1
    return np.frombuffer(bytes(column), dtype=np.uint8).copy()


def _read_segment(
    reader: Any,
    field: str,
    btext: bytes,
    offset: int,
    docnums: list[Any],
    weights: list[Any],
    encoded: list[bytes] | None,
) -> None:
    """Append one segment's postings: one read of the term's extent
    (:mod:`search.postings_read`), else a block at a time through Whoosh's matcher."""
    found = read_term(reader, field, btext, encoded is not None)
    if found is not None:
        got_ids, got_weights, got_values = found
        docnums.append(got_ids + offset if offset else got_ids)
        weights.append(got_weights)
        if encoded is not None and got_values is not None:
            encoded.extend(got_values)
        return
    terms = getattr(reader, "_terms", None)
    if terms is None:  # not a segment reader: its postings() filters deletions itself
        matcher, deleted = reader.postings(field, btext), None
    else:
        matcher = terms.matcher(field, btext, reader.schema[field].format)
        deleted = reader.deleted_docs_set if reader.has_deletions() else None
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            if encoded is not None:
                matcher._read_values()
            _append(matcher._ids, matcher._weights, matcher._values, offset, deleted,
                    docnums, weights, encoded)  # fmt: skip
            matcher._next_block()
        return
    ids, ws, vs = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        ws.append(matcher.weight())
        vs.append(matcher.value() if encoded is not None else b"")
        matcher.next()
    _append(ids, ws, vs, offset, deleted, docnums, weights, encoded)


def _append(
    ids: Sequence[int],
    ws: Sequence[float],
    vs: Sequence[bytes] | None,
    offset: int,
    deleted: Any,
    docnums: list[Any],
    weights: list[Any],
    encoded: list[bytes] | None,
) -> None:
    if deleted:
        keep = [i for i, d in enumerate(ids) if d not in deleted]
        ids = [ids[i] for i in keep]
        ws = [ws[i] for i in keep]
        vs = [vs[i] for i in keep] if vs is not None else None
    block = np.asarray(ids, dtype=np.int64)
    docnums.append(block + offset if offset else block)
    weights.append(np.asarray(ws, dtype=np.float64))
    if encoded is not None and vs is not None:
        encoded.extend(vs)
