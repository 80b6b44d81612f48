"""One per-generation cache bounded in bytes: postings, phrases, frequencies, prefixes.

Why bytes and not entries: the caches used to be bounded by counts (2,000,000
postings, 512 phrases, 200,000 frequencies, 1,000 prefixes, each on its own),
which says nothing about memory: a posting with its encoded positions weighs ten
times one without, and four clients sending prefix queries that expand to
thousands of terms took the server from 0.7 to 3 GB. Here every entry carries an
estimate of its size (numpy arrays' ``nbytes``, the lengths of byte strings and
strings, a fixed overhead per object), all kinds share one least-recently-used
order, and the total stays under one limit (``FIHRIS_CACHE_BYTES``).

What is built once per generation and never evicted (field-length arrays, the
vocabularies) is *pinned*: counted against the same limit, so the evictable
entries get what is left.

The estimates are deliberately a little generous (CPython's object headers are
counted), so the real memory is at most about the figure shown in ``/api/status``.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Final

import numpy as np

#: The default limit (``FIHRIS_CACHE_BYTES``): 128 MiB. Was 256 MiB: a generation's
#: postings cache fills towards the limit as the archive grows (a common word's
#: postings are 24 bytes a document), so the limit is most of a large archive's
#: server memory; at 128 MiB the process caches keep their sizes (below) and the
#: generation gets 80 MiB (issue 18: server memory ≤ 2× naive Whoosh's).
DEFAULT_CACHE_BYTES: Final = 128 << 20
#: An entry larger than this share of the limit is returned but not kept: one huge
#: postings list would otherwise push every other entry out.
LARGEST_SHARE: Final = 8
#: Shares of the limit kept for the caches a process has outside its generations,
#: ``limit // share`` up to a cap: the analysis of words and chunks (:mod:`index.caches`;
#: 16 MiB at the default and above) and the snippets' chunk map (:mod:`search.marks`;
#: 32 MiB). A generation pins both (:func:`process_shares`), so all the caches together
#: stay under ``FIHRIS_CACHE_BYTES``. Measured on 3,000 scale-benchmark documents, the
#: scale benchmark's 504 queries in one process (encoder off), alternating with the
#: former count bounds (300,000 chunks, 500,000 words; ~14–34 ms a query): 16 + 32 MiB,
#: 15–24 ms; 8 + 16 MiB, 18–47 ms, the cross-language headline p95 3× the former (the
#: snippets relearn the chunks of every hit once their map is replaced). Past the caps
#: they buy little (the map holds the chunks of the hits recently shown), so a larger
#: limit goes to the generation.
ANALYSIS_SHARE: Final = 8
SNIPPETS_SHARE: Final = 4
ANALYSIS_CAP: Final = 16 << 20
SNIPPETS_CAP: Final = 32 << 20
#: Per entry: the key tuple, the ordered dict's node, the value's container.
ENTRY_OVERHEAD: Final = 200
_ARRAY_OVERHEAD: Final = 112  # sys.getsizeof(np.zeros(0))


class ByteCache:
    """A thread-safe LRU of ``(kind, …)`` keys whose total estimated bytes stay ≤ ``limit``."""

    def __init__(self, limit: int = DEFAULT_CACHE_BYTES) -> None:
        self.limit = limit
        self._entries: OrderedDict[tuple[Hashable, ...], tuple[Any, int]] = OrderedDict()
        self._by_kind: dict[str, int] = {}
        self._pinned: dict[str, int] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    # -- entries ----------------------------------------------------------------------
    def get(self, key: tuple[Hashable, ...]) -> Any:
        """The cached value of ``key`` (made the most recent), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: tuple[Hashable, ...], value: Any, nbytes: int) -> bool:
        """Keep ``value`` under ``key`` (``nbytes`` its estimate); False if too large to keep.

        Least recently used entries go until the total (pinned bytes included) fits.
        """
        size = nbytes + key_bytes(key)
        with self._lock:
            self._drop(key)
            room = self.limit - sum(self._pinned.values())
            if size > min(room, self.limit // LARGEST_SHARE):
                return False
            self._entries[key] = (value, size)
            self._add(key, size)
            while self._bytes > room and self._entries:
                old, _ = next(iter(self._entries.items()))
                self._drop(old)
            return True

    def pin(self, name: str, nbytes: int) -> None:
        """Count ``nbytes`` of data kept for the generation's life (replacing ``name``'s)."""
        with self._lock:
            self._pinned[name] = nbytes
            room = self.limit - sum(self._pinned.values())
            while self._bytes > max(room, 0) and self._entries:
                self._drop(next(iter(self._entries)))

    def _add(self, key: tuple[Hashable, ...], size: int) -> None:
        kind = str(key[0])
        self._by_kind[kind] = self._by_kind.get(kind, 0) + size
        self._bytes += size

    def _drop(self, key: tuple[Hashable, ...]) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            kind = str(key[0])
            self._by_kind[kind] -= found[1]
            self._bytes -= found[1]

    # -- figures ----------------------------------------------------------------------
    @property
    def bytes(self) -> int:
        """Estimated bytes held: the entries and the pinned data."""
        with self._lock:
            return self._bytes + sum(self._pinned.values())

    def status(self) -> dict[str, Any]:
        """What ``/api/status`` shows: the limit, the total, and the bytes per kind."""
        with self._lock:
            pinned = sum(self._pinned.values())
            return {
                "limit_bytes": self.limit,
                "bytes": self._bytes + pinned,
                "entries": len(self._entries),
                "by_kind": {k: v for k, v in sorted(self._by_kind.items()) if v},
                "pinned": dict(sorted(self._pinned.items())),
            }


def process_shares(limit: int) -> dict[str, int]:
    """Bytes of ``limit`` for the process-wide caches: ``analysis`` and ``snippets``."""
    return {
        "analysis": min(limit // ANALYSIS_SHARE, ANALYSIS_CAP),
        "snippets": min(limit // SNIPPETS_SHARE, SNIPPETS_CAP),
    }


# -- estimates ------------------------------------------------------------------------
def key_bytes(key: Iterable[Any]) -> int:
    """A key tuple's strings (and nested tuples of strings) with the entry overhead."""
    total = ENTRY_OVERHEAD
    for part in key:
        if isinstance(part, tuple):
            total += key_bytes(part)
        else:
            total += sys.getsizeof(part)
    return total


def array_bytes(*arrays: np.ndarray[Any, Any]) -> int:
    """The arrays' data and headers."""
    return sum(a.nbytes + _ARRAY_OVERHEAD for a in arrays)


def bytes_list_bytes(values: Sequence[bytes] | None) -> int:
    """A list of byte strings (encoded positions): each string and its slot in the list."""
    if values is None:
        return 0
    return sys.getsizeof(values) + sum(sys.getsizeof(v) for v in values)


def strings_bytes(values: Iterable[str]) -> int:
    """A collection of strings: each string and an 8-byte reference to it."""
    return sum(sys.getsizeof(v) + 8 for v in values)
