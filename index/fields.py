"""The analysed text field of a Fihris index: Whoosh's ``TEXT``, indexed in one pass.

Whoosh indexes a ``TEXT`` field by running its analyzer chain, one ``Token``
object and three generator frames per word, then ``Positions.word_values``
gathers positions and pickles each term's delta list. A news article is
indexed twice that way (``body`` stemmed, ``body_exact`` folded), and that was
half the indexing time. :class:`AnalyzedText` computes the same postings from
:func:`index.analysis.word_positions`: one regex scan and one cache lookup per
word, both views of a text at once, the second field of the pair reading the
first one's result.

What is indexed does not change: the same terms with the same positions,
weights and encoded values as the field's analyzer and ``Positions`` format
give (``tests/test_index_fields.py`` compares them). The analyzer stays on the
field for queries and highlighting, and the format is Whoosh's own
``Positions``, so phrase queries and readers decode postings as before.

This module is at a stable import path because Whoosh pickles field objects
into the index's table of contents; its source is part of ``ANALYSIS_VERSION``.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from itertools import pairwise
from typing import Any, Final, Literal

from whoosh.fields import TEXT
from whoosh.formats import Positions
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
_last: tuple[str, tuple[dict[str, list[int]], dict[str, list[int]]]] | None = None

_ONE: Final = pack_uint(1)
#: Encoded single-position values (most postings): position → bytes.
_SINGLE: dict[int, bytes] = {}
_SINGLE_LIMIT: Final = 1 << 16


def encode_positions(positions: list[int]) -> bytes:
    """The bytes of ``whoosh.formats.Positions.encode(positions)``, faster.

    Whoosh stores a count and a pickled list of deltas (protocol 2); the same
    list pickles to the same bytes, and a lone position is looked up.
    """
    if len(positions) == 1:
        at = positions[0]
        value = _SINGLE.get(at)
        if value is None:
            value = _ONE + pickle.dumps([at], 2)
            if at < _SINGLE_LIMIT:
                _SINGLE[at] = value
        return value
    deltas = [positions[0]]
    deltas.extend(b - a for a, b in pairwise(positions))
    count: bytes = pack_uint(len(deltas))
    return count + pickle.dumps(deltas, 2)


def _positions(text: str) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    global _last
    last = _last
    if last is not None and last[0] == text:
        return last[1]
    found = word_positions(text)
    _last = (text, found)
    return found


class AnalyzedText(TEXT):  # type: ignore[misc]
    """A ``TEXT`` field with positions whose ``index`` bypasses the analyzer chain.

    ``form="term"``: stemmed terms, stop words out (``title``, ``body``);
    ``form="exact"``: folded unstemmed forms, stop words in (``*_exact``). The
    analyzer given to ``TEXT`` is the matching Whoosh chain, used for queries,
    highlighting and any call this fast path does not cover.
    """

    def __init__(self, form: Form = "term", stored: bool = False, field_boost: float = 1.0):
        analyzer = term_analyzer() if form == "term" else exact_analyzer()
        super().__init__(analyzer=analyzer, stored=stored, field_boost=field_boost)
        self.form = form

    def index(self, value: Any, **kwargs: Any) -> Iterable[Posting]:
        """``(term bytes, frequency, weight, positions)`` per distinct term of ``value``.

        ``SegmentWriter.add_document`` calls this with the text alone; anything
        else (a list of strings, analyzer options, a replaced format) takes
        Whoosh's own path.
        """
        if kwargs or type(value) is not str or type(self.format) is not Positions:
            return super().index(value, **kwargs)  # type: ignore[no-any-return]
        terms, exacts = _positions(value)
        table = exacts if self.form == "exact" else terms
        boost = self.format.field_boost
        return [
            (text.encode("utf-8"), len(at), len(at) * boost, encode_positions(at))
            for text, at in table.items()
        ]

    def index_into(self, value: str, docnum: int, table: dict[str, list[Any]]) -> tuple[int, int]:
        """Append document ``docnum``'s postings of ``value`` to a writer's ``table``.

        The postings of :meth:`index`, without a tuple or an encoded value per
        term: ``table`` maps each term (as text) to a flat list ``[docnum,
        positions, docnum, positions, …]`` that the writer encodes at commit
        (:func:`encode_positions`, weights ``len(positions) × field boost``).
        Returns the field length (number of positions) and the postings added.
        The caller checks that ``value`` is a ``str`` and the format ``Positions``.
        """
        terms, exacts = _positions(value)
        found = exacts if self.form == "exact" else terms
        get = table.get
        for text, at in found.items():
            entry = get(text)
            if entry is None:
                table[text] = [docnum, at]
            else:
                entry += (docnum, at)
        return sum(map(len, found.values())), len(found)
