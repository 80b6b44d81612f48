"""The analysed text field of a Fihris index: Whoosh's ``TEXT``, indexed in one pass.

Whoosh indexes a ``TEXT`` field by running its analyzer chain, one ``Token``
object and three generator frames per word, then ``Positions.word_values``
gathers positions and pickles each term's delta list. A news article is
indexed twice that way (``body`` stemmed, ``body_exact`` folded), and that was
half the indexing time. :class:`AnalyzedText` computes the same postings from
:func:`index.analysis.word_positions`: one regex scan and one cache lookup per
word, both views of a text at once, the second field of the pair reading the
first one's result.

What is indexed does not change: the same terms with the same weights and
encoded values as the field's analyzer and format give
(``tests/test_index_fields.py`` compares them). The analyzer stays on the
field for queries, and the formats are Whoosh's own: ``Frequency`` for the
stemmed fields (search only scores them, so no positions are written: a
third fewer bytes to encode, pickle and compress) and ``Positions`` for the
exact fields, where quoted phrases are matched.

This module is at a stable import path because Whoosh pickles field objects
into the index's table of contents; its source is part of ``ANALYSIS_VERSION``.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from operator import sub
from typing import Any, Final, Literal

from whoosh.fields import TEXT
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from index.analysis import exact_analyzer, term_analyzer, word_positions

Form = Literal["term", "exact"]
#: ``(term bytes, frequency, weight, encoded positions)``: what ``FieldType.index`` yields.
Posting = tuple[bytes, int, float, bytes]

#: The last text analysed and its ``(terms, exacts)`` positions. ``SegmentWriter``
#: indexes a document's fields in sorted name order, so ``body`` is directly
#: followed by ``body_exact`` and ``title`` by ``title_exact`` with the same text:
#: the second call reuses the first one's analysis. One entry, one tuple assignment:
#: a concurrent writer can only miss, never read another text's positions.
_last: tuple[str, tuple[dict[str, int], dict[str, list[int]]]] | None = None

_ONE: Final = pack_uint(1)
_SINGLE_LIMIT: Final = 1 << 16


class _Singles(dict[int, bytes]):
    """Encoded single-position values (most postings): position → bytes, filled on demand.

    A dict subclass with ``__missing__`` so a hit is one C-level lookup, also
    from ``map``. Positions past ``_SINGLE_LIMIT`` are encoded, not kept.
    """

    def __missing__(self, at: int) -> bytes:
        value: bytes = _ONE + pickle.dumps([at], 2)
        if at < _SINGLE_LIMIT:
            self[at] = value
        return value


_SINGLE: Final = _Singles()


class _Frequencies(dict[int, bytes]):
    """``whoosh.formats.Frequency``'s value of a frequency (``pack_uint``), filled on demand."""

    def __missing__(self, frequency: int) -> bytes:
        value: bytes = pack_uint(frequency)
        self[frequency] = value
        return value


_FREQUENCY: Final = _Frequencies()


def encode_positions(positions: list[int]) -> bytes:
    """The bytes of ``whoosh.formats.Positions.encode(positions)``, faster.

    Whoosh stores a count and a pickled list of deltas (protocol 2); the same
    list pickles to the same bytes, and a lone position is looked up.
    """
    if len(positions) == 1:
        return _SINGLE[positions[0]]
    return _encode_many(positions)


def encode_all(lists: list[list[int]]) -> list[bytes]:
    """``[encode_positions(p) for p in lists]``, a lone position costing one lookup."""
    single = _SINGLE
    return [single[p[0]] if len(p) == 1 else _encode_many(p) for p in lists]


def _encode_many(positions: list[int]) -> bytes:
    deltas = [positions[0]]
    deltas += map(sub, positions[1:], positions)
    count: bytes = pack_uint(len(deltas))
    return count + pickle.dumps(deltas, 2)


def _positions(text: str) -> tuple[dict[str, int], dict[str, list[int]]]:
    global _last
    last = _last
    if last is not None and last[0] == text:
        return last[1]
    found = word_positions(text)
    _last = (text, found)
    return found


class AnalyzedText(TEXT):  # type: ignore[misc]
    """A ``TEXT`` field whose ``index`` bypasses the analyzer chain.

    ``form="term"``: stemmed terms, stop words out (``title``, ``body``), with
    frequencies only (Whoosh's ``Frequency`` format): search scores them and
    never asks where they are. ``form="exact"``: folded unstemmed forms, stop
    words in (``*_exact``), with positions (``Positions``): quoted phrases are
    matched there, word for word. The analyzer given to ``TEXT`` is the
    matching Whoosh chain, used for queries and any call this fast path does
    not cover.
    """

    def __init__(self, form: Form = "term", stored: bool = False, field_boost: float = 1.0):
        analyzer = term_analyzer() if form == "term" else exact_analyzer()
        super().__init__(
            analyzer=analyzer, phrase=form == "exact", stored=stored, field_boost=field_boost
        )
        self.form = form

    def direct(self) -> bool:
        """True when :meth:`index_into` and :meth:`postings` can stand for Whoosh's path:
        positions for the exact fields, frequencies for the stemmed ones.
        """
        return type(self.format) is (Positions if self.form == "exact" else Frequency)

    def index(self, value: Any, **kwargs: Any) -> Iterable[Posting]:
        """``(term bytes, frequency, weight, value)`` per distinct term of ``value``.

        ``SegmentWriter.add_document`` calls this with the text alone; anything
        else (a list of strings, analyzer options, a replaced format) takes
        Whoosh's own path.
        """
        if kwargs or type(value) is not str or not self.direct():
            return super().index(value, **kwargs)  # type: ignore[no-any-return]
        terms, exacts = _positions(value)
        boost = self.format.field_boost
        if self.form == "exact":
            values = encode_all(list(exacts.values()))
            return [
                (text.encode("utf-8"), len(at), len(at) * boost, value)
                for (text, at), value in zip(exacts.items(), values, strict=True)
            ]
        return [
            (text.encode("utf-8"), count, count * boost, _FREQUENCY[count])
            for text, count in terms.items()
        ]

    def index_into(self, value: str, docnum: int, table: dict[str, list[Any]]) -> tuple[int, int]:
        """Append document ``docnum``'s postings of ``value`` to a writer's ``table``.

        The postings of :meth:`index` without a tuple per term: ``table`` maps
        each term (as text) to a flat list that :meth:`postings` reads back at
        commit: ``[docnum, frequency, value, …]`` with positions (the value
        encoded now, a lone position being a shared lookup), ``[docnum,
        frequency, …]`` with frequencies only (the value is the frequency).
        Nothing of the analysis is kept: a pooled posting costs two or three
        list slots. Returns the field length and the postings added. The
        caller checks that ``value`` is a ``str`` and :meth:`direct`.
        """
        terms, exacts = _positions(value)
        get = table.get
        if self.form == "exact":
            single = _SINGLE
            for text, at in exacts.items():
                count = len(at)
                posting = (docnum, count, single[at[0]] if count == 1 else _encode_many(at))
                entry = get(text)
                if entry is None:
                    table[text] = list(posting)
                else:
                    entry += posting
            return sum(map(len, exacts.values())), len(exacts)
        for text, count in terms.items():
            entry = get(text)
            if entry is None:
                table[text] = [docnum, count]
            else:
                entry += (docnum, count)
        return sum(terms.values()), len(terms)

    def postings(self, flat: list[Any]) -> tuple[list[int], list[float], list[bytes | None]]:
        """Document numbers, weights and values of a flat list :meth:`index_into` filled."""
        boost = self.format.field_boost
        values: list[bytes | None]
        if self.form == "exact":
            ids, counts, values = flat[0::3], flat[1::3], flat[2::3]
        else:
            ids, counts = flat[0::2], flat[1::2]
            values = list(map(_FREQUENCY.__getitem__, counts))
        weights = list(map(float, counts)) if boost == 1.0 else [n * boost for n in counts]
        return ids, weights, values
