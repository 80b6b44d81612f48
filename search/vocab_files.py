"""A generation's term lists, written beside it at build time and read at start.

Why: the per-generation vocabularies (did-you-mean, and the name matching of
cross-language search) start from every term of a field. Read from the index,
one term at a time through each segment, that is seconds per 100,000 terms
at every server start and every new generation; written once by ``fihris index
build``/``update`` (:func:`write_vocabularies`, run before the generation is
published) it is one file read. The file holds what ``reader.lexicon(field)``
gives for that very generation (the number and the document count are checked),
so search results are the same with it or without it; without it (an index
built by an older version, or by ``build_index`` alone) the index is read as
before. ``vocabularies.npz``: numpy arrays, no pickle.

An update continues the previous generation's file (:func:`continued_terms`):
reading every term of a 10,000-document index through Whoosh's merged lexicon
took 2.4 s, more than the rest of the update's derived files together.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import numpy as np

from search.mapped import write_npz

VOCABULARIES_FILE: Final = "vocabularies.npz"
#: The fields whose terms the engine's vocabularies start from.
FIELDS: Final = ("body", "body_exact")


def lexicon(reader: Any, field: str) -> list[str]:
    """Every term of ``field`` in the index, in its order."""
    return [t.decode("utf-8") if isinstance(t, bytes) else t for t in reader.lexicon(field)]


def stamp(gen_dir: Path, reader: Any) -> dict[str, int]:
    return {"generation": int(gen_dir.name[4:10]), "documents": int(reader.doc_count_all())}


def write_vocabularies(
    gen_dir: Path, reader: Any, base_dir: Path | None = None, base: Any = None
) -> bool:
    """Write the term lists of :data:`FIELDS` (atomically; an unwritable folder: skipped).

    ``base_dir``/``base``: the generation an update started from and its reader;
    its file is continued when :func:`continued_terms` can (the result is the
    same). True when it was.
    """
    arrays: dict[str, Any] = {
        "meta": np.frombuffer(json.dumps(stamp(gen_dir, reader)).encode(), dtype=np.uint8)
    }
    found = None
    if base_dir is not None and base is not None:
        found = continued_terms(base_dir, base, reader)
    for field in FIELDS:
        if found is not None:
            text = found[field]
        else:
            text = "\n".join(lexicon(reader, field)).encode("utf-8", "surrogatepass")
        arrays[field] = np.frombuffer(text, dtype=np.uint8)
    write_npz(gen_dir / VOCABULARIES_FILE, arrays)
    return found is not None


def continued_terms(base_dir: Path, base: Any, reader: Any) -> dict[str, bytes] | None:
    """The file's text of each field for ``reader``, from ``base_dir``'s file (None: cannot).

    Why it equals ``lexicon(reader, field)``: a Whoosh reader's lexicon is the
    sorted union of its segments' term lists, and a segment's term list never
    changes (deleting documents only marks them; their terms stay until the
    segment is merged into a new one). So when every segment of the base is
    still in ``reader``, its lexicon is the base's (the file, checked against the
    base's stamp) merged with the terms of the segments the update wrote. A base
    segment merged away (Whoosh's merge policy) or a file of another
    generation: None, and the caller reads the whole lexicon.
    """
    before = _segments(base)
    now = _segments(reader)
    if before is None or now is None or not before.keys() <= now.keys():
        return None
    try:
        with np.load(base_dir / VOCABULARIES_FILE, allow_pickle=False) as arrays:
            if json.loads(bytes(arrays["meta"]).decode()) != stamp(base_dir, base):
                return None
            prior = {field: bytes(arrays[field]) for field in FIELDS}
    except Exception:  # absent or damaged: the whole lexicon is read
        return None
    added = [seg for key, seg in now.items() if key not in before]
    out: dict[str, bytes] = {}
    for field in FIELDS:
        terms = set(prior[field].split(b"\n")) if prior[field] else set()
        for segment in added:
            terms.update(_raw(t) for t in segment.lexicon(field))
        # bytes order is the lexicon's (UTF-8, surrogates passed, keeps code point order)
        out[field] = b"\n".join(sorted(terms))
    return out


def _segments(reader: Any) -> dict[str, Any] | None:
    """``segment id → its reader`` of a Whoosh reader (None: not made of segments)."""
    try:
        return {sub.segment().segment_id(): sub for sub, _ in reader.leaf_readers()}
    except AttributeError:
        return None


def _raw(term: bytes | str) -> bytes:
    return term if isinstance(term, bytes) else term.encode("utf-8", "surrogatepass")


def read_terms(gen_dir: Path, reader: Any, field: str) -> list[str]:
    """The terms of ``field``: from the file written at build time, else from the index."""
    try:
        with np.load(gen_dir / VOCABULARIES_FILE, allow_pickle=False) as arrays:
            if json.loads(bytes(arrays["meta"]).decode()) == stamp(gen_dir, reader):
                text = bytes(arrays[field]).decode("utf-8", "surrogatepass")
                return text.split("\n") if text else []
    except Exception:  # absent, damaged or another generation's: read the index
        pass
    return lexicon(reader, field)
