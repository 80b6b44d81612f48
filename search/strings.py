"""Many strings as one UTF-8 byte string with offsets, found by bisection.

Why: a generation's vocabularies (tens to hundreds of thousands of words) held
as Python ``str`` objects in dicts and lists cost ~60–100 bytes a word plus the
containers, kept for the generation's life; packed, a word costs its UTF-8
bytes and a 4-byte offset. Bytes sort as the code points do, so a sorted pool
is searched with the same bisection as a sorted list of ``str``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import overload

import numpy as np


class Strings:
    """Sorted-or-not strings as one UTF-8 byte string and ``uint32`` offsets."""

    __slots__ = ("_blob", "_offsets")

    def __init__(self, values: list[str]) -> None:
        parts = [v.encode("utf-8", "surrogatepass") for v in values]
        offsets = np.zeros(len(parts) + 1, np.uint32)
        np.cumsum([len(b) for b in parts], out=offsets[1:])
        self._blob = b"".join(parts)
        self._offsets = offsets.data

    @property
    def nbytes(self) -> int:
        return len(self._blob) + 4 * len(self._offsets)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self._blob[self._offsets[i] : self._offsets[i + 1]].decode("utf-8", "surrogatepass")

    def find(self, value: str) -> int:
        """The index of ``value`` among sorted strings, or -1 (bisection on the bytes,
        which sort as the code points do)."""
        wanted = value.encode("utf-8", "surrogatepass")
        blob, offsets = self._blob, self._offsets
        lo, hi = 0, len(offsets) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if blob[offsets[mid] : offsets[mid + 1]] < wanted:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(offsets) - 1 and blob[offsets[lo] : offsets[lo + 1]] == wanted:
            return lo
        return -1


class ByteStrings(Sequence[bytes]):
    """Byte strings (a postings list's encoded positions) as one ``bytes`` and offsets.

    Why: a cached postings list with positions held one ``bytes`` object per posting
    (33 bytes of header each, and as many small blocks for the allocator to scatter);
    packed, a posting costs its bytes and an 8-byte offset.
    """

    __slots__ = ("_blob", "_offsets")

    def __init__(self, values: Sequence[bytes]) -> None:
        offsets = np.zeros(len(values) + 1, np.int64)
        np.cumsum([len(v) for v in values], out=offsets[1:])
        self._blob = b"".join(values)
        self._offsets = offsets.tolist() if len(values) < 64 else offsets

    @property
    def nbytes(self) -> int:
        return len(self._blob) + 8 * len(self._offsets) + 200

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> bytes: ...
    @overload
    def __getitem__(self, i: slice) -> list[bytes]: ...
    def __getitem__(self, i: int | slice) -> bytes | list[bytes]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._blob[int(self._offsets[i]) : int(self._offsets[i + 1])]


class TermSet(Mapping[str, int]):
    """A vocabulary of distinct terms, each with frequency 1, packed (:class:`Strings`).

    The name vocabularies of a generation (``search.generation``): the translator
    matches names against the words present, and reads no real frequency from them.
    """

    __slots__ = ("_terms",)

    def __init__(self, terms: Iterable[str]) -> None:
        self._terms = Strings(sorted(set(terms)))

    def __getitem__(self, term: str) -> int:
        if self._terms.find(term) < 0:
            raise KeyError(term)
        return 1

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._terms.find(term) >= 0

    def __iter__(self) -> Iterator[str]:
        terms = self._terms
        return (terms[i] for i in range(len(terms)))

    def __len__(self) -> int:
        return len(self._terms)

    @property
    def nbytes(self) -> int:
        return self._terms.nbytes + 64
