"""The Whoosh schema of a Fihris index and how a :class:`Document` fills it.

Two views of every text: ``title``/``body`` hold stemmed terms (recall),
``title_exact``/``body_exact`` hold folded unstemmed forms with stop words
(quoted phrases and exact spellings rank first). The body text is stored so
snippets are cut from it without reading the corpus again. ``id``, ``lang``,
``year``, ``file`` and ``fingerprint`` are columns: facets, sorting and
incremental updates read them without loading stored documents.

The text fields are :class:`index.fields.AnalyzedText`: Whoosh ``TEXT`` fields
with positions and the Fihris analyzers, indexed in one pass per text.
"""

from __future__ import annotations

import json
from typing import Any, Final

from whoosh.fields import DATETIME, ID, STORED, Schema

from index.dates import date_bounds
from index.documents import Document
from index.fields import AnalyzedText

#: Relative weight of a title match over a body match (BM25F field boost).
TITLE_BOOST: Final = 2.0


def make_schema() -> Schema:
    """A fresh schema (analyzers are instances: never share one between indexes)."""
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        lang=ID(stored=True, sortable=True),
        title=AnalyzedText("term", stored=True, field_boost=TITLE_BOOST),
        title_exact=AnalyzedText("exact", field_boost=TITLE_BOOST),
        body=AnalyzedText("term", stored=True),
        body_exact=AnalyzedText("exact"),
        date=DATETIME(sortable=True),
        date_text=STORED(),
        year=ID(stored=True, sortable=True),
        source=ID(stored=True, sortable=True),
        file=ID(stored=True, sortable=True),
        path=STORED(),
        url=STORED(),
        meta=STORED(),
        fingerprint=ID(stored=True, sortable=True),
    )


def document_fields(doc: Document) -> dict[str, Any]:
    """The keyword arguments of ``writer.add_document`` for ``doc``."""
    fields: dict[str, Any] = {
        "id": doc.id,
        "lang": doc.lang,
        "title": doc.title,
        "title_exact": doc.title,
        "body": doc.text,
        "body_exact": doc.text,
        "file": source_file(doc.path),
        "path": doc.path,
        "fingerprint": doc.fingerprint,
    }
    if doc.date:
        fields["date"] = date_bounds(doc.date)
        fields["date_text"] = doc.date
        fields["year"] = doc.date[:4]
    if doc.source:
        fields["source"] = doc.source.lower()
    if doc.url:
        fields["url"] = doc.url
    if doc.meta:
        fields["meta"] = json.dumps(doc.meta, ensure_ascii=False, default=str)
    return fields


def source_file(path: str) -> str:
    """The corpus file of a document path (``a/b.jsonl:12`` → ``a/b.jsonl``)."""
    head, sep, tail = path.rpartition(":")
    return head if sep and tail.isdigit() else path
