"""Subscribe to a search: ``GET /search.atom``, an Atom 1.0 feed of its newest dispatches.

Why a feed: a journalist following a story wants the new dispatches on it without
re-running the search; any feed reader polls this URL. It is the ordinary search
(the same parameters and validation as ``/api/search``, through the one result
model) sorted by date, newest first; a dispatch added by a re-index appears in the
next poll because the engine follows index generations.

Entry ids are ``urn:uuid:`` names derived from the document id (UUID 5), so they
are stable across re-indexes, servers and host names: a reader never shows the
same dispatch twice. ``updated`` is the dispatch's date (midnight UTC at the
precision given: ``2024-07`` is 1 July), or, for an undated dispatch, the time the
index generation serving it was created. The XML is written by ElementTree
(escaped), with the characters XML 1.0 forbids removed.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
import xml.etree.ElementTree as ET
from typing import Any, Final

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from search.models import Hit, SearchRequest, SearchResults
from web.api import (
    ERRORS,
    Cross,
    Exclude,
    From,
    Lang,
    MatchParam,
    ModeParam,
    Page,
    Q,
    Size,
    Sort,
    To,
    raw_params,
)
from web.gate import COST
from web.links import Links, doc_path
from web.security import safe_url
from web.services import RawParams, Services, parse_request
from web.settings import Settings

ATOM: Final = "http://www.w3.org/2005/Atom"
MEDIA_TYPE: Final = "application/atom+xml; charset=utf-8"
#: Entries in a feed unless ``size`` says otherwise (1–100, as for the API).
FEED_SIZE: Final = 20
#: The namespace of the entry and feed ids (UUID 5).
NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "https://fihris.invalid/")
_XML_LANG: Final = "{http://www.w3.org/XML/1998/namespace}lang"
# characters XML 1.0 cannot carry (controls, lone surrogates, U+FFFE/U+FFFF)
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

ET.register_namespace("", ATOM)


def entry_id(doc_id: str) -> str:
    """The stable id of a dispatch's entry."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, 'doc:' + doc_id)}"


def atom_time(date: str | None, fallback: str) -> str:
    """RFC 3339 time of an ISO date of any precision (``2024``, ``2024-07``, ``2024-07-26``)."""
    if not date:
        return fallback
    parts = [*date[:10].split("-"), "01", "01"][:3]
    return f"{parts[0]}-{parts[1]}-{parts[2]}T00:00:00Z"


def feed_request(raw: RawParams, settings: Settings) -> SearchRequest:
    """The search of ``raw`` (validated as for /api/search), newest first."""
    size = raw.size if raw.size is not None else str(FEED_SIZE)
    request = parse_request(dataclasses.replace(raw, size=size), settings)
    return dataclasses.replace(request, sort="date")


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _entry(feed: ET.Element, hit: Hit, base: str, generated: str) -> str:
    entry = _add(feed, "entry", **{_XML_LANG: hit.lang} if hit.lang else {})
    updated = atom_time(hit.date, generated)
    _add(entry, "id", entry_id(hit.id))
    _add(entry, "title", hit.title or hit.id)
    _add(entry, "updated", updated)
    if hit.date:
        _add(entry, "published", updated)
    _add(entry, "link", rel="alternate", type="text/html", href=base + doc_path(hit.id))
    source = safe_url(hit.url)
    if source:
        _add(entry, "link", rel="related", type="text/html", href=source)
    if hit.source:
        _add(entry, "category", term=hit.source)
    summary = " … ".join(fragment.text for fragment in hit.snippets[:2])
    if summary:
        _add(entry, "summary", summary, type="text")
    return updated


def render(results: SearchResults, base: str, links: Links, generated: str) -> bytes:
    """The Atom document of ``results`` (already newest first)."""
    feed = ET.Element(f"{{{ATOM}}}feed")
    query = results.request.q
    _add(feed, "id", f"urn:uuid:{uuid.uuid5(NAMESPACE, 'feed:' + links.feed())}")
    _add(feed, "title", f"Fihris · فهرس — {query}")
    _add(feed, "subtitle", f"{results.total} dispatches match; the newest first")
    updated = _add(feed, "updated", generated)
    _add(feed, "link", rel="self", type="application/atom+xml", href=base + links.feed())
    _add(feed, "link", rel="alternate", type="text/html", href=base + links.page(sort="date"))
    author = _add(feed, "author")
    _add(author, "name", "Fihris")
    _add(feed, "generator", "Fihris")
    times = [_entry(feed, hit, base, generated) for hit in results.hits]
    if times:  # the feed changed when its newest entry did
        updated.text = max(times)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


@get(
    "/search.atom",
    summary="Subscribe to a search (Atom 1.0 feed)",
    sync_to_thread=True,
    tags=["search"],
    opt={COST: "search"},
    responses={
        **{k: v for k, v in ERRORS.items() if k != 404},
        200: ResponseSpec(
            str,
            description="an Atom 1.0 feed",
            media_type="application/atom+xml",
            generate_examples=False,
        ),
    },
)
def search_feed(
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    q: Q = "",
    lang: Lang = None,
    page: Page = None,
    size: Size = None,
    sort: Sort = None,
    date_from: From = None,
    date_to: To = None,
    cross: Cross = None,
    exclude: Exclude = None,
    match: MatchParam = None,
    mode: ModeParam = None,
) -> Response[bytes]:
    """The newest dispatches matching a search, as an Atom 1.0 feed.

    Same parameters as ``/api/search``, validated the same way; entries are always
    newest first (``sort`` is checked but the feed is by date), ``size`` entries (20
    by default, at most 100). Each entry: a stable ``urn:uuid:`` id (from the
    document id), the title, a link to ``/doc/{id}``, ``updated`` from the dispatch's
    date (or, undated, from when the index generation was built), a text summary
    from the snippets, the source as a category.
    """
    raw = raw_params(q, lang, page, size, sort, date_from, date_to, cross, exclude, match, mode)
    results = services.engine.search(feed_request(raw, services.settings))
    generated = str(services.engine.status().get("created") or "1970-01-01T00:00:00Z")
    base = str(request.base_url).rstrip("/")
    body = render(results, base, Links(dataclasses.replace(raw, page=None, size=None)), generated)
    return Response(body, media_type=MEDIA_TYPE, headers={"Cache-Control": "no-cache"})


ROUTES = [search_feed]
