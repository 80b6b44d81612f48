"""What a search or a document page shows of a stored document: hits, views, related.

Why apart from the engine: these read one stored document and the query's
marks and build the one result model (:mod:`search.models`) the page, the
JSON and the CLI render; the engine decides which documents, these how they
are shown (snippets within the time budget, the closest passage of a
document found by meaning alone, the piece of a long body).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from search.budget import Budget
from search.dense import DenseIndex, passage_fragment
from search.errors import DocumentNotFound
from search.links import related_of, translations_of
from search.models import DocumentView, Fragment, Hit, RelatedDoc
from search.pieces import piece_bounds
from search.snippets import Highlighter


@dataclass(frozen=True)
class Meaning:
    """What the hits of a search by meaning need: the vectors, the query's, who came by meaning."""

    index: DenseIndex
    vector: Any
    alone: frozenset[int]  # docnums found by meaning and not by words


def hit(
    searcher: Any,
    docnum: int,
    score: float,
    own: Highlighter,
    translated: Highlighter,
    with_snippets: bool,
    budget: Budget | None = None,
    meaning: Meaning | None = None,
) -> Hit:
    """One result; past ``budget``'s deadline without its snippets (and the body unread
    for marks: ``via_translation`` is then False)."""
    stored = searcher.stored_fields(docnum)
    body = stored.get("body") or ""
    title = stored.get("title") or ""
    if meaning is not None and docnum in meaning.alone:
        return meaning_hit(searcher, docnum, stored, score, meaning, with_snippets)
    marks = own.merged(translated) if translated else own
    if with_snippets and budget is not None and budget.check("snippets"):
        with_snippets = False  # past the deadline: no scan, so no via_translation
    # snippets off (exports, evaluations): no scan of the body at all, so no
    # via_translation either; the scan was two thirds of an export's time
    found = marks.matches(body) if with_snippets else []
    via = False
    if translated and with_snippets:  # own's marks are among the merged ones: one scan
        via = not own.matches(title) and not own.matched_by(body, found)
    lang = stored.get("lang") or ""
    return Hit(
        id=stored["id"],
        lang=lang,
        dir="rtl" if lang == "ar" else "ltr",
        title=title,
        date=stored.get("date_text"),
        score=round(float(score), 4),
        snippets=marks.fragments(body, matches=found) if with_snippets else (),
        source=stored.get("source"),
        url=stored.get("url"),
        translations=translations_of(searcher, stored["id"]),
        via_translation=via,
    )


def meaning_hit(
    searcher: Any,
    docnum: int,
    stored: dict[str, Any],
    score: float,
    meaning: Meaning,
    with_snippets: bool,
) -> Hit:
    """A document found by meaning alone: its closest passage is the snippet, unmarked."""
    body = stored.get("body") or ""
    snippets: tuple[Fragment, ...] = ()
    if with_snippets:
        span = meaning.index.passage(docnum, meaning.vector)
        start, end = span if span is not None else (0, len(body))
        snippets = (passage_fragment(body, start, end),)
    lang = stored.get("lang") or ""
    return Hit(
        id=stored["id"],
        lang=lang,
        dir="rtl" if lang == "ar" else "ltr",
        title=stored.get("title") or "",
        date=stored.get("date_text"),
        score=round(float(score), 4),
        snippets=snippets,
        source=stored.get("source"),
        url=stored.get("url"),
        translations=translations_of(searcher, stored["id"]),
        close_in_meaning=True,
    )


def document_view(
    stored: dict[str, Any],
    marks: Highlighter,
    offset: int,
    limit: int | None,
    translations: tuple[str, ...],
) -> DocumentView:
    """A stored document as shown: its piece from ``offset`` (``limit`` characters), marked."""
    body, title, lang = (
        stored.get("body") or "",
        stored.get("title") or "",
        stored.get("lang") or "",
    )
    length = len(body)
    start, end = piece_bounds(body, offset, limit)
    piece = body if (start, end) == (0, length) else body[start:end]
    return DocumentView(
        id=stored["id"],
        lang=lang,
        dir="rtl" if lang == "ar" else "ltr",
        title=title,
        title_html=marks.mark(title),
        date=stored.get("date_text"),
        source=stored.get("source"),
        url=stored.get("url"),
        path=stored.get("path") or "",
        text=piece,
        html=marks.mark(piece),
        translations=translations,
        length=length,
        offset=start,
        next_offset=end if end < length else None,
        truncated=len(piece) < length,
    )


def related_doc(stored: dict[str, Any], score: float) -> RelatedDoc:
    lang = stored.get("lang") or ""
    return RelatedDoc(
        id=stored["id"],
        lang=lang,
        dir="rtl" if lang == "ar" else "ltr",
        title=stored.get("title") or "",
        date=stored.get("date_text"),
        score=score,
    )


def document_page(
    searcher: Any, doc_id: str, marks: Highlighter, offset: int, limit: int | None
) -> DocumentView:
    """The document page's view: the document, its other-language version, related ones."""
    docnum = searcher.document_number(id=doc_id)
    if docnum is None:
        raise DocumentNotFound(f"no document has the id {doc_id!r}", "id")
    stored = searcher.stored_fields(docnum)
    translations = translations_of(searcher, stored["id"])
    counterpart = None
    for other_id in translations:
        other = searcher.document_number(id=other_id)
        if other is not None:
            counterpart = document_view(searcher.stored_fields(other), marks, 0, limit, ())
            break
    related = tuple(
        related_doc(searcher.stored_fields(num), score)
        for other_id, score in related_of(searcher, stored["id"])
        if other_id not in translations
        for num in (searcher.document_number(id=other_id),)
        if num is not None
    )
    view = document_view(stored, marks, offset, limit, translations)
    return dataclasses.replace(view, counterpart=counterpart, related=related)
