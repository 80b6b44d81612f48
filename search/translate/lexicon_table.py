"""The lexicon held as a few typed arrays: sorted keys, string pool, per-row numbers.

Why not dicts of tuples of dataclasses: the ~57,000 source terms and ~87,000
translations as Python objects took ~60 MB of a server's memory (and ~100 MB
while the TSV was parsed, which the allocator never handed back), more than
the rest of the process at 30,000 documents. Here the same content is ~3 MB:

- the source keys, one language after the other and each sorted (UTF-8 bytes
  sort like the code points Python sorts ``str`` by), one byte string with
  their offsets, found by bisection;
- per key, its first row (``starts``); per row, the target term and display
  form (ids into one pool of distinct strings), the weight (``float64``: the
  weights read back exactly) and the provenance (an id into a short list);
- :class:`search.translate.lexicon.Translation` objects made only for the rows
  a lookup returns.

Stored beside ``lexicon.tsv.gz`` as ``lexicon.table.gz`` (written with it, keyed
by the TSV file's SHA-256): a server reads these bytes instead of parsing the TSV.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

FORMAT: Final = "fihris-lexicon-table/1"
#: Surrogates (hostile bytes decoded with ``surrogateescape``) still encode, in code point order.
_ERRORS: Final = "surrogatepass"

#: One key's rows: (target, weight, provenance, display).
Row = tuple[str, float, str, str]

_ARRAYS: Final = (
    ("key_blob", np.uint8),
    ("key_offsets", np.uint32),
    ("starts", np.uint32),
    ("pool_blob", np.uint8),
    ("pool_offsets", np.uint32),
    ("target", np.uint32),
    ("display", np.uint32),
    ("weight", np.float64),
    ("provenance", np.uint16),
)


@dataclass(frozen=True, slots=True)
class TableHeader:
    """What the table says of itself besides its arrays."""

    source_sha256: str
    analysis_version: str
    version: str
    meta: dict[str, str]


class LexiconTable:
    """Source key → rows, in typed arrays; built from grouped rows or read from bytes."""

    __slots__ = (
        "_arrays",
        "_key_blob",
        "_key_offsets",
        "_pool_blob",
        "_pool_offsets",
        "_provenances",
        "_ranges",
        "_rows",
        "_starts",
        "phrase_lengths",
    )

    def __init__(
        self,
        arrays: dict[str, np.ndarray[Any, Any]],
        provenances: Sequence[str],
        ranges: dict[str, tuple[int, int]],
        phrase_lengths: dict[str, list[int]],
    ) -> None:
        self._arrays = arrays
        self._provenances = tuple(provenances)
        self._ranges = dict(ranges)
        #: Per language, the lengths (in terms) of its phrase keys, longest first.
        self.phrase_lengths = {lang: list(v) for lang, v in phrase_lengths.items()}
        # memoryviews: indexing one gives a Python int or float at C speed (a numpy
        # array gives a numpy scalar, ten times slower in the bisection's loop)
        self._key_blob = arrays["key_blob"].tobytes()
        self._pool_blob = arrays["pool_blob"].tobytes()
        self._key_offsets = arrays["key_offsets"].data
        self._pool_offsets = arrays["pool_offsets"].data
        self._starts = arrays["starts"].data
        self._rows = (
            arrays["target"].data,
            arrays["display"].data,
            arrays["weight"].data,
            arrays["provenance"].data,
        )

    # -- building ---------------------------------------------------------------------
    @classmethod
    def build(cls, grouped: Iterable[tuple[str, str, Sequence[Row]]]) -> LexiconTable:
        """From ``(lang, key, rows)`` sorted by language then key (``str`` order)."""
        key_parts: list[bytes] = []
        key_offsets = [0]
        starts = [0]
        pool: dict[str, int] = {}
        provenances: dict[str, int] = {}
        target: list[int] = []
        display: list[int] = []
        weight: list[float] = []
        provenance: list[int] = []
        ranges: dict[str, tuple[int, int]] = {}
        lengths: dict[str, set[int]] = {}
        for lang, key, rows in grouped:
            lo, _ = ranges.get(lang, (len(key_parts), 0))
            ranges[lang] = (lo, len(key_parts) + 1)
            encoded = key.encode("utf-8", _ERRORS)
            key_parts.append(encoded)
            key_offsets.append(key_offsets[-1] + len(encoded))
            if " " in key:
                lengths.setdefault(lang, set()).add(key.count(" ") + 1)
            for tgt, w, prov, disp in rows:
                target.append(pool.setdefault(tgt, len(pool)))
                display.append(pool.setdefault(disp, len(pool)))
                weight.append(w)
                provenance.append(provenances.setdefault(prov, len(provenances)))
            starts.append(len(target))
        pool_parts = [s.encode("utf-8", _ERRORS) for s in pool]
        pool_offsets = np.zeros(len(pool_parts) + 1, np.uint32)
        np.cumsum([len(p) for p in pool_parts], out=pool_offsets[1:])
        arrays: dict[str, np.ndarray[Any, Any]] = {
            "key_blob": np.frombuffer(b"".join(key_parts), np.uint8),
            "key_offsets": np.array(key_offsets, np.uint32),
            "starts": np.array(starts, np.uint32),
            "pool_blob": np.frombuffer(b"".join(pool_parts), np.uint8),
            "pool_offsets": pool_offsets,
            "target": np.array(target, np.uint32),
            "display": np.array(display, np.uint32),
            "weight": np.array(weight, np.float64),
            "provenance": np.array(provenance, np.uint16),
        }
        phrase = {lang: sorted(v, reverse=True) for lang, v in lengths.items()}
        return cls(arrays, list(provenances), ranges, phrase)

    # -- lookups ----------------------------------------------------------------------
    def find(self, key: str, lang: str) -> list[Row]:
        """The rows of ``key`` in ``lang`` (stored order), or [] when it is not a key."""
        span = self._ranges.get(lang)
        if span is None:
            return []
        try:
            wanted = key.encode("utf-8", _ERRORS)
        except UnicodeEncodeError:
            return []
        blob, offsets = self._key_blob, self._key_offsets
        lo, hi = span
        while lo < hi:  # bisect_left over the sorted keys of ``lang``
            mid = (lo + hi) // 2
            if blob[offsets[mid] : offsets[mid + 1]] < wanted:
                lo = mid + 1
            else:
                hi = mid
        if lo == span[1] or blob[offsets[lo] : offsets[lo + 1]] != wanted:
            return []
        return self._rows_of(lo)

    def _rows_of(self, k: int) -> list[Row]:
        target, display, weight, provenance = self._rows
        return [
            (
                self._string(target[r]),
                weight[r],
                self._provenances[provenance[r]],
                self._string(display[r]),
            )
            for r in range(self._starts[k], self._starts[k + 1])
        ]

    def _string(self, i: int) -> str:
        offsets = self._pool_offsets
        return self._pool_blob[offsets[i] : offsets[i + 1]].decode("utf-8", _ERRORS)

    def _key(self, k: int) -> str:
        offsets = self._key_offsets
        return self._key_blob[offsets[k] : offsets[k + 1]].decode("utf-8", _ERRORS)

    def langs(self) -> list[str]:
        """The source languages, sorted."""
        return sorted(self._ranges)

    def keys(self, lang: str) -> Iterator[str]:
        """``lang``'s source keys in order."""
        lo, hi = self._ranges.get(lang, (0, 0))
        return (self._key(k) for k in range(lo, hi))

    def items(self, lang: str) -> Iterator[tuple[str, list[Row]]]:
        """``lang``'s keys with their rows, in order."""
        lo, hi = self._ranges.get(lang, (0, 0))
        return ((self._key(k), self._rows_of(k)) for k in range(lo, hi))

    def __len__(self) -> int:
        return len(self._key_offsets) - 1

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays (the Python objects around them are a few hundred more)."""
        return (
            sum(a.nbytes for a in self._arrays.values())
            + len(self._key_blob)
            + len(self._pool_blob)
        )

    # -- file ---------------------------------------------------------------------------
    def write(self, path: Path, header: TableHeader) -> Path:
        """Write header and arrays, gzip without a timestamp (same content, same bytes)."""
        head = {
            "format": FORMAT,
            "source_sha256": header.source_sha256,
            "analysis": header.analysis_version,
            "version": header.version,
            "meta": header.meta,
            "provenances": list(self._provenances),
            "ranges": self._ranges,
            "phrase_lengths": self.phrase_lengths,
            "arrays": [[name, int(self._arrays[name].size)] for name, _ in _ARRAYS],
        }
        body = [json.dumps(head, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"]
        body += [self._arrays[name].astype(dtype).astype("<" + np.dtype(dtype).str[1:]).tobytes()
                 for name, dtype in _ARRAYS]  # fmt: skip
        tmp = path.with_name(path.name + ".tmp")
        with (
            tmp.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as handle,
        ):
            for part in body:
                handle.write(part)
        tmp.replace(path)  # a reader never sees half a file
        return path

    @classmethod
    def read(cls, path: Path) -> tuple[LexiconTable, TableHeader] | None:
        """The table and its header, or None when the file is missing, damaged or not ours."""
        try:
            data = gzip.decompress(path.read_bytes())
            line, _, rest = data.partition(b"\n")
            head = json.loads(line)
            if head.get("format") != FORMAT:
                return None
            arrays: dict[str, np.ndarray[Any, Any]] = {}
            at = 0
            sizes = dict(head["arrays"])
            for name, dtype in _ARRAYS:
                kind = np.dtype(dtype).newbyteorder("<")
                count = int(sizes[name])
                arrays[name] = np.frombuffer(rest, kind, count, at).astype(dtype)
                at += count * kind.itemsize
            if at != len(rest) or not _consistent(arrays, len(head["provenances"])):
                return None
            ranges = {lang: (int(lo), int(hi)) for lang, (lo, hi) in head["ranges"].items()}
            keys = arrays["key_offsets"].size - 1
            if not all(0 <= lo <= hi <= keys for lo, hi in ranges.values()):
                return None
            table = cls(arrays, head["provenances"], ranges, head["phrase_lengths"])
            header = TableHeader(
                head["source_sha256"], head["analysis"], head["version"], dict(head["meta"])
            )
        except (OSError, EOFError, ValueError, KeyError, TypeError, gzip.BadGzipFile):
            return None
        return table, header


def _consistent(arrays: dict[str, np.ndarray[Any, Any]], provenances: int) -> bool:
    """Every offset and id within its array: a damaged file is refused, never misread."""
    keys, pool, starts = arrays["key_offsets"], arrays["pool_offsets"], arrays["starts"]
    rows = arrays["target"].size
    return bool(
        keys.size >= 1
        and starts.size == keys.size
        and pool.size >= 1
        and keys[0] == 0
        and keys[-1] == arrays["key_blob"].size
        and pool[0] == 0
        and pool[-1] == arrays["pool_blob"].size
        and starts[0] == 0
        and starts[-1] == rows
        and arrays["display"].size == rows == arrays["weight"].size == arrays["provenance"].size
        and np.all(np.diff(keys.astype(np.int64)) >= 0)
        and np.all(np.diff(pool.astype(np.int64)) >= 0)
        and np.all(np.diff(starts.astype(np.int64)) >= 0)
        and (rows == 0 or int(max(arrays["target"].max(), arrays["display"].max())) < pool.size - 1)
        and (rows == 0 or int(arrays["provenance"].max()) < provenances)
    )
