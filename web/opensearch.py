"""Searching from the browser's address bar: the OpenSearch description and completions.

``/opensearch.xml`` (OpenSearch 1.1) tells a browser how to search Fihris (the
search page) and where to ask for completions (``/api/suggest``); every page
links it with ``<link rel="search">``, so a browser offers to add Fihris as a
search engine. ``/api/suggest`` answers in the OpenSearch suggestions format,
``[query, [completion, …]]``, which the search box's own script reads too.

The URLs in the description must be absolute; they are built from the request's
own scheme and host (escaped: the Host header is the client's to write).
"""

from __future__ import annotations

from typing import Annotated, Any
from xml.sax.saxutils import quoteattr

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from search import validate_prefix
from search.complete import LIMIT
from search.validate import MAX_PREFIX_LENGTH
from web.api import ERRORS
from web.i18n import LABELS
from web.services import Services

SUGGESTIONS_TYPE = "application/x-suggestions+json"
DESCRIPTION_TYPE = "application/opensearchdescription+xml"

Prefix = Annotated[
    str,
    QueryParameter(
        description=f"what is typed so far, 1–{MAX_PREFIX_LENGTH} characters "
        "(French or Arabic; accents and Arabic spelling variants do not matter)",
    ),
]


@get(
    "/api/suggest",
    summary="Completions of what is typed",
    sync_to_thread=True,
    responses={400: ERRORS[400], 503: ERRORS[503]},
    tags=["search"],
    media_type=SUGGESTIONS_TYPE,
)
def api_suggest(services: NamedDependency[Services], q: Prefix = "") -> Response[list[Any]]:
    """Completions in the OpenSearch suggestions format: ``["trai", ["traite", …]]``.

    Frequent words and phrases of the archive in their usual spelling, and
    titles, whose analysed form starts like ``q``: ``etre`` gives ``êtres
    humains``, ``الاتج`` gives ``الاتجار بالبشر``. At most 8, best first; an empty
    list while the index's completions are being built (seconds after a new
    index generation).
    """
    text = validate_prefix(q)
    found = services.engine.complete(text, LIMIT)
    return Response([q, found], media_type=f"{SUGGESTIONS_TYPE}; charset=utf-8")


def description(base: str) -> str:
    """The OpenSearch 1.1 description of the service at ``base`` (scheme and host)."""
    fr, ar = LABELS["fr"], LABELS["ar"]
    html = quoteattr(f"{base}/?q={{searchTerms}}")
    suggest = quoteattr(f"{base}/api/suggest?q={{searchTerms}}")
    self_url = quoteattr(f"{base}/opensearch.xml")
    icon = f"{base}/static/favicon.svg"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/"
                       xmlns:moz="http://www.mozilla.org/2006/browser/search/">
  <ShortName>Fihris</ShortName>
  <Description>Fihris · فهرس — {fr["tagline"]} · {ar["tagline"]}</Description>
  <InputEncoding>UTF-8</InputEncoding>
  <OutputEncoding>UTF-8</OutputEncoding>
  <Language>fr</Language>
  <Language>ar</Language>
  <Image width="16" height="16" type="image/svg+xml">{_text(icon)}</Image>
  <Url type="text/html" method="get" template={html}/>
  <Url type="{SUGGESTIONS_TYPE}" method="get" template={suggest}/>
  <Url type="{DESCRIPTION_TYPE}" rel="self" template={self_url}/>
  <moz:SearchForm>{_text(base + "/")}</moz:SearchForm>
</OpenSearchDescription>
"""


def _text(value: str) -> str:
    return quoteattr(value)[1:-1]


@get("/opensearch.xml", include_in_schema=False, sync_to_thread=False)
def opensearch(request: Request[Any, Any, Any]) -> Response[str]:
    """The OpenSearch description, for browsers (linked from every page)."""
    base = f"{request.url.scheme}://{request.url.netloc}"
    return Response(description(base), media_type=f"{DESCRIPTION_TYPE}; charset=utf-8")


ROUTES = [api_suggest, opensearch]
