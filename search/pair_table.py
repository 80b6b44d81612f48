"""Story links and related dispatches as arrays: a document id → its linked ids.

Why: read from ``translation-links.json`` into dicts of tuples, the related
dispatches of every document (five ids and cosines each) cost ~1 KB of Python
objects per document: 300 MB at 300,000 dispatches, for the ten hits a page
shows. Here every id appears once, in a sorted pool of UTF-8 bytes with its
offsets; each document's entries are a slice of an int32 array of positions in
that pool (and of a float64 array of cosines, the same numbers as the file's).
Written beside the JSON at build time (``translation-links.npz``, uncompressed)
and memory-mapped by the server (:mod:`search.mapped`): a hit's look-up is a
binary search touching a few pages.

A :class:`PairTable` is a read-only ``Mapping`` (``get``, ``in``, ``==`` with a
dict), so the code that read the dicts reads it unchanged.
"""

from __future__ import annotations

import bisect
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from search.mapped import MappedFileError, map_npz, write_npz

TABLES_FILE: Final = "translation-links.npz"
#: What the arrays mean; a file saying another format is rebuilt (from the JSON).
FORMAT: Final = 1

Ids = Mapping[str, Sequence[str]]
Scored = Mapping[str, Sequence[tuple[str, float]]]


class IdPool:
    """Distinct ids sorted by their UTF-8 bytes (code point order), packed in one array."""

    def __init__(self, pool: npt.NDArray[np.uint8], at: npt.NDArray[np.int64]) -> None:
        self._pool, self._at = pool, at
        self.size = len(at) - 1

    @classmethod
    def of(cls, ids: set[str]) -> IdPool:
        encoded = sorted(i.encode("utf-8", "surrogatepass") for i in ids)
        at = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=at[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), at)

    def raw(self, i: int) -> bytes:
        return self._pool[self._at[i] : self._at[i + 1]].tobytes()

    def id(self, i: int) -> str:
        return self.raw(i).decode("utf-8", "replace")  # damaged bytes: never an exception

    def find(self, doc_id: str) -> int:
        """The position of ``doc_id``, or -1."""
        target = doc_id.encode("utf-8", "surrogatepass")
        lo = bisect.bisect_left(range(self.size), target, key=self.raw)
        return lo if lo < self.size and self.raw(lo) == target else -1

    def arrays(self) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
        return self._pool, self._at


class PairTable(Mapping[str, tuple[Any, ...]]):
    """id → its ids (``scores`` None) or its (id, score) pairs, best first, from arrays."""

    def __init__(
        self,
        pool: IdPool,
        start: npt.NDArray[np.int64],
        targets: npt.NDArray[np.int32],
        scores: npt.NDArray[np.float64] | None,
    ) -> None:
        self._pool, self._start, self._targets, self._scores = pool, start, targets, scores
        self._count: int | None = None  # counted on demand: it reads every offset

    def __getitem__(self, doc_id: str) -> tuple[Any, ...]:
        i = self._pool.find(doc_id)
        if i < 0:
            raise KeyError(doc_id)
        lo, hi = int(self._start[i]), int(self._start[i + 1])
        if not 0 <= lo < hi <= len(self._targets):  # none, or offsets of a damaged file
            raise KeyError(doc_id)
        positions = self._targets[lo:hi].tolist()
        ok = [k for k, t in enumerate(positions) if 0 <= t < self._pool.size]
        ids = [self._pool.id(positions[k]) for k in ok]
        if self._scores is None:
            return tuple(ids)
        scores = self._scores[lo:hi].tolist()
        return tuple(zip(ids, [scores[k] for k in ok], strict=True))

    def __iter__(self) -> Iterator[str]:
        for i in np.flatnonzero(np.diff(self._start)).tolist():
            yield self._pool.id(i)

    def __len__(self) -> int:
        if self._count is None:
            self._count = int(np.count_nonzero(np.diff(self._start)))
        return self._count


def tables_of(links: Ids, related: Scored) -> tuple[PairTable, PairTable]:
    """The links and related dispatches of a generation as two tables sharing one id pool."""
    ids = {*links, *related}
    ids.update(other for others in links.values() for other in others)
    ids.update(other for pairs in related.values() for other, _ in pairs)
    pool = IdPool.of(ids)
    position = {pool.id(i): i for i in range(pool.size)}
    return (
        _table(pool, position, {k: [(o, 0.0) for o in v] for k, v in links.items()}, False),
        _table(pool, position, related, True),
    )


def _table(pool: IdPool, position: dict[str, int], pairs: Scored, scored: bool) -> PairTable:
    counts = np.zeros(pool.size + 1, dtype=np.int64)
    for doc_id, entries in pairs.items():
        counts[position[doc_id] + 1] = len(entries)
    start = np.cumsum(counts)
    targets = np.zeros(int(start[-1]), dtype=np.int32)
    scores = np.zeros(int(start[-1]), dtype=np.float64)
    for doc_id, entries in pairs.items():
        at = int(start[position[doc_id]])
        for k, (other, score) in enumerate(entries):
            targets[at + k] = position[other]
            scores[at + k] = score
    return PairTable(pool, start, targets, scores if scored else None)


def write_tables(path: Path, stamp: Mapping[str, Any], links: Ids, related: Scored) -> None:
    """Write both tables for the generation ``stamp`` names (atomically; errors: skipped)."""
    link_table, related_table = tables_of(links, related)
    pool, at = link_table._pool.arrays()
    meta = json.dumps({"format": FORMAT, "stamp": stamp}, sort_keys=True).encode()
    arrays: dict[str, Any] = {
        "meta": np.frombuffer(meta, dtype=np.uint8),
        "pool": pool,
        "pool_at": at,
        "links_start": link_table._start,
        "links_targets": link_table._targets,
        "related_start": related_table._start,
        "related_targets": related_table._targets,
        "related_scores": related_table._scores,
    }
    write_npz(path, arrays)


def read_tables(path: Path, stamp: Mapping[str, Any]) -> tuple[PairTable, PairTable] | None:
    """Both tables, mapped, when ``path`` was written for ``stamp``; else None.

    Absent or another generation's file: None, quietly (the caller reads the JSON or
    computes). A damaged one: None too, with a warning naming the file and what is
    wrong; it is rewritten the next time the links are computed.
    """
    try:
        arrays = map_npz(path)
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        if meta != json.loads(json.dumps({"format": FORMAT, "stamp": stamp}, sort_keys=True)):
            return None
        pool = IdPool(_typed(arrays, "pool", np.uint8), _typed(arrays, "pool_at", np.int64))
        tables = []
        for part, scored in (("links", False), ("related", True)):
            start = _typed(arrays, f"{part}_start", np.int64)
            targets = _typed(arrays, f"{part}_targets", np.int32)
            scores = _typed(arrays, f"{part}_scores", np.float64) if scored else None
            _check(path, pool, start, targets, scores)
            tables.append(PairTable(pool, start, targets, scores))
    except FileNotFoundError:
        return None
    except (OSError, KeyError, ValueError, UnicodeDecodeError) as exc:
        logging.getLogger(__name__).warning(
            "%s is damaged (%s): the links are read from the JSON file or computed again",
            path,
            exc,
        )
        return None
    return tables[0], tables[1]


def _typed(arrays: Mapping[str, Any], name: str, dtype: Any) -> Any:
    value = arrays[name]
    if value.dtype != dtype or value.ndim != 1:
        raise MappedFileError(f"{name}: {value.dtype}[{value.ndim}], expected {np.dtype(dtype)}")
    return value


def _check(
    path: Path,
    pool: IdPool,
    start: npt.NDArray[np.int64],
    targets: npt.NDArray[np.int32],
    scores: npt.NDArray[np.float64] | None,
) -> None:
    """Array lengths and ends that fit (read in O(1): the pages stay on disk). An offset
    damaged inside is caught at its look-up, which then returns fewer entries."""
    pool_bytes, at = pool.arrays()
    problems = (
        len(at) < 1
        or int(at[0]) != 0
        or int(at[-1]) != len(pool_bytes)
        or len(start) != len(at)
        or int(start[0]) != 0
        or int(start[-1]) != len(targets)
        or (scores is not None and len(scores) != len(targets))
    )
    if problems:
        raise MappedFileError(f"{path}: offsets do not match the arrays")
