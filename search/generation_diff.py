"""Which documents a generation added and removed since the one it was updated from.

Why: an update adds 1% of the documents, and what is derived from the
collection (story links, completions) is continued from the previous
generation's instead of computed over every document again; reading every
stored document only to find the few new ones was itself a large part of an
update. A document is known by its id and the fingerprint of its content
(:mod:`index.schema`), both columns: a changed document is one removed and one
added. Only their column values are read, not the stored text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from index import column_texts


@dataclass(frozen=True, slots=True)
class Changes:
    """Document numbers: ``added`` in the new generation, ``removed`` in the base."""

    added: tuple[int, ...]
    removed: tuple[int, ...]


def documents(reader: Any) -> dict[tuple[str, str], int]:
    """``(id, fingerprint) → document number`` of a reader's live documents."""
    ids, prints = column_texts(reader, "id"), column_texts(reader, "fingerprint")
    return {(ids[n], prints[n]): n for n in reader.all_doc_ids()}


def changes(base: Any, reader: Any) -> Changes:
    """What ``reader``'s generation added and removed relative to ``base``'s."""
    old, new = documents(base), documents(reader)
    return Changes(
        added=tuple(sorted(n for key, n in new.items() if key not in old)),
        removed=tuple(sorted(n for key, n in old.items() if key not in new)),
    )
