"""A generation's completions, mined at build time and written beside it.

Why: mining the completions (:func:`search.complete.mine`) reads every title
and lead and counts up to :data:`search.complete.MAX_COUNTED` phrases per script
as Python strings and dicts: 88–95 s at 20,000–30,000 documents, and some
hundreds of MiB of small objects that glibc keeps in its arenas after they are
freed (a server measured at ~670 MiB resident instead of ~200 MiB for a 13 MiB
table). ``fihris index build``/``update`` mine them once, before the generation
is published (:func:`write_completions`, called by
:func:`search.links.prepare_generation`), in a process that exits; the server
only reads the finished table: two strings, their offsets and the ranks.

``completions.npz``: numpy arrays, no pickle, stamped with the generation
number, its document count and the mining parameters; a file that does not
match (an update hard-links the previous generation's files) is ignored and the
server mines in the background as before, then hands the freed memory back
(:func:`release_memory`). That fallback still leaves most of the mining's peak
resident: mining every lead fills the tokenizer's word and chunk caches to their
entry bounds (tracemalloc: 113 MiB in 1.46 million objects still alive after
20,000 documents; emptying them from this thread broke concurrent completions in
the tests, so they are left), and the freed small objects are scattered over
pages that survivors keep.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import numpy as np

from search import complete
from search.allocator import release_memory as release_memory  # re-exported: its old home
from search.complete import Completions, Miner, Table
from search.mapped import map_npz, write_npz
from search.vocab_files import stamp

COMPLETIONS_FILE: Final = "completions.npz"
#: The counts the completions were made from, continued by the next update (:class:`Miner`).
COUNTS_FILE: Final = "completion-counts.npz"
#: Bumped when :func:`search.complete.mine` changes what it keeps.
VERSION: Final = 1
_PARTS: Final = ("phrases", "titles")


def _stamp(gen_dir: Path, reader: Any) -> dict[str, Any]:
    return {
        **stamp(gen_dir, reader),
        "version": VERSION,
        "lead_chars": complete.LEAD_CHARS,
        "max_words": complete.MAX_WORDS,
        "min_count": complete.MIN_COUNT,
        "max_counted": complete.MAX_COUNTED,
        "title_chars": complete.TITLE_CHARS,
    }


def mine_index(reader: Any) -> Completions:
    """The completions of every stored document of a Whoosh reader."""
    return mine_counts(reader).completions()


def mine_counts(reader: Any) -> Miner:
    """The counts of every stored document of a Whoosh reader."""
    miner = Miner()
    for _, stored in reader.iter_docs():
        miner.add(stored.get("title") or "", stored.get("body") or "")
    return miner


def continue_counts(base_dir: Path, base: Any, reader: Any, changes: Any) -> Miner | None:
    """The counts of ``reader``'s generation from those of ``base_dir`` (read by ``base``):
    its removed documents taken off, its new ones added (``changes``:
    :class:`search.generation_diff.Changes`); None when the base kept none."""
    miner = read_counts(base_dir)
    if miner is None:
        return None
    for n in changes.removed:
        stored = base.stored_fields(n)
        miner.remove(stored.get("title") or "", stored.get("body") or "")
    for n in changes.added:
        stored = reader.stored_fields(n)
        miner.add(stored.get("title") or "", stored.get("body") or "")
    return miner


def _counts_stamp() -> dict[str, Any]:
    """What counts depend on (no generation: they are meant for the next one)."""
    return {
        "version": VERSION,
        "lead_chars": complete.LEAD_CHARS,
        "max_words": complete.MAX_WORDS,
        "max_counted": complete.MAX_COUNTED,
        "title_chars": complete.TITLE_CHARS,
    }


def _strings(values: Any) -> dict[str, Any]:
    """Strings as one UTF-8 blob and its offsets (any character inside, newlines too)."""
    encoded = [v.encode("utf-8", "surrogatepass") for v in values]
    at = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=at[1:])
    return {"blob": np.frombuffer(b"".join(encoded), dtype=np.uint8), "at": at}


def _unstrings(blob: Any, at: Any) -> list[str]:
    data = bytes(blob)
    bounds = at.tolist()
    return [
        data[bounds[i] : bounds[i + 1]].decode("utf-8", "surrogatepass")
        for i in range(len(bounds) - 1)
    ]


def write_counts(gen_dir: Path, miner: Miner) -> None:
    """Keep ``miner``'s counts beside the generation (atomically; errors: skipped)."""
    arrays: dict[str, Any] = {
        "meta": np.frombuffer(json.dumps(_counts_stamp()).encode(), dtype=np.uint8)
    }
    for script, counter in miner.counters.items():
        columns: dict[str, Any] = {"keys": counter.counts, "surfaces": counter.surfaces.values()}
        for name, values in columns.items():
            for part, array in _strings(values).items():
                arrays[f"{script}_{name}_{part}"] = array
        arrays[f"{script}_counts"] = np.fromiter(counter.counts.values(), np.int64)
        arrays[f"{script}_pruned"] = np.asarray([counter.pruned], dtype=np.int64)
    titles: dict[str, Any] = {"keys": miner.titles, "shown": miner.titles.values()}
    for name, values in titles.items():
        for part, array in _strings(values).items():
            arrays[f"titles_{name}_{part}"] = array
    arrays["titles_counts"] = np.fromiter(
        (miner.title_counts[k] for k in miner.titles), np.int64, count=len(miner.titles)
    )
    write_npz(gen_dir / COUNTS_FILE, arrays)


def read_counts(gen_dir: Path) -> Miner | None:
    """The counts a generation kept; None when absent, of other parameters or damaged."""
    try:
        with np.load(gen_dir / COUNTS_FILE, allow_pickle=False) as arrays:
            if json.loads(bytes(arrays["meta"]).decode()) != _counts_stamp():
                return None
            miner = Miner()

            def strings(name: str) -> list[str]:
                return _unstrings(arrays[f"{name}_blob"], arrays[f"{name}_at"])

            for script, counter in miner.counters.items():
                keys = strings(f"{script}_keys")
                counter.counts = dict(zip(keys, arrays[f"{script}_counts"].tolist(), strict=True))
                counter.surfaces = dict(zip(keys, strings(f"{script}_surfaces"), strict=True))
                counter.pruned = int(arrays[f"{script}_pruned"][0])
            keys = strings("titles_keys")
            miner.titles = dict(zip(keys, strings("titles_shown"), strict=True))
            miner.title_counts = dict(zip(keys, arrays["titles_counts"].tolist(), strict=True))
            return miner
    except Exception:  # absent, damaged or inconsistent: mined again by the caller
        return None


def write_completions(gen_dir: Path, reader: Any, completions: Completions) -> None:
    """Write ``completions`` for the generation ``reader`` reads (atomically; errors: skipped)."""
    meta = json.dumps(_stamp(gen_dir, reader)).encode()
    arrays: dict[str, Any] = {"meta": np.frombuffer(meta, dtype=np.uint8)}
    for part in _PARTS:
        keys, key_at, surfaces, surface_at, ranks = getattr(completions, part).arrays()
        arrays[f"{part}_keys"] = keys
        arrays[f"{part}_key_bytes_at"] = key_at  # byte offsets (the first format: characters)
        arrays[f"{part}_surfaces"] = surfaces
        arrays[f"{part}_surface_bytes_at"] = surface_at
        arrays[f"{part}_ranks"] = ranks
    write_npz(gen_dir / COMPLETIONS_FILE, arrays)


def read_completions(gen_dir: Path, reader: Any) -> Completions | None:
    """The completions written for this very generation; None when absent, stale or damaged.

    Memory-mapped (:func:`search.mapped.map_npz`): the server holds the pages its
    look-ups touch, not the table. A file of the first format (character offsets) is
    read into memory and converted.
    """
    try:
        arrays = map_npz(gen_dir / COMPLETIONS_FILE)
        if json.loads(arrays["meta"].tobytes().decode()) != _stamp(gen_dir, reader):
            return None
        tables = [_table(arrays, part) for part in _PARTS]
        return Completions(tables[0], tables[1])
    except Exception:  # absent, damaged or inconsistent: mined again by the caller
        return None


def _table(arrays: dict[str, Any], part: str) -> Table:
    def typed(name: str, dtype: Any) -> Any:
        value = arrays[f"{part}_{name}"]
        if value.dtype != dtype or value.ndim != 1:
            raise ValueError(f"completion table: {part}_{name} is {value.dtype}[{value.ndim}]")
        return value

    keys, surfaces = typed("keys", np.uint8), typed("surfaces", np.uint8)
    ranks = typed("ranks", np.int32)
    if f"{part}_key_bytes_at" in arrays:
        key_at, surface_at = typed("key_bytes_at", np.int64), typed("surface_bytes_at", np.int64)
        return Table.from_arrays(keys, key_at, surfaces, surface_at, ranks, mapped=True)
    # the first format: offsets in characters of the decoded strings
    return Table.from_arrays(
        *_in_bytes(keys, typed("key_at", np.int64)),
        *_in_bytes(surfaces, typed("surface_at", np.int64)),
        np.array(ranks),
    )


def _in_bytes(raw: Any, char_at: Any) -> tuple[Any, Any]:
    """UTF-8 bytes and byte offsets from offsets in characters (the first format)."""
    text = raw.tobytes().decode("utf-8", "surrogatepass")
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    widths = 1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000)
    ends = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(widths, out=ends[1:])
    if len(char_at) and (int(char_at[-1]) != len(points) or int(char_at.min()) < 0):
        raise ValueError("completion table: offsets do not match the strings")
    return np.array(raw), ends[np.asarray(char_at)]
