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


def write_vocabularies(gen_dir: Path, reader: Any) -> None:
    """Write the term lists of :data:`FIELDS` (atomically; an unwritable folder: skipped)."""
    arrays: dict[str, Any] = {
        "meta": np.frombuffer(json.dumps(stamp(gen_dir, reader)).encode(), dtype=np.uint8)
    }
    for field in FIELDS:
        text = "\n".join(lexicon(reader, field)).encode("utf-8", "surrogatepass")
        arrays[field] = np.frombuffer(text, dtype=np.uint8)
    write_npz(gen_dir / VOCABULARIES_FILE, arrays)


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
