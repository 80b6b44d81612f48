"""The JSON API: search, documents, status, health, and the admin re-index trigger.

Handlers stay thin: parse with :func:`web.services.parse_request`, call the
engine, serialise with ``search.serialize`` (the same JSON as ``fihris search
--json``). Errors are raised, never returned, so ``web.errors`` shapes them all.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import FromPath, KwargDefinition, QueryParameter

from index.errors import IndexStoreError
from search.serialize import document_to_dict, results_to_dict
from web.errors import ApiError, ErrorBody
from web.gate import COST
from web.links import doc_path
from web.services import (
    EXCLUDE_PATTERN,
    MAX_EXCLUDED,
    OFFSET_PATTERN,
    RawParams,
    Services,
    index_summary,
    parse_offset,
    parse_request,
)

Q = Annotated[
    str,
    QueryParameter(description='the query: words, "phrases", -word, OR, prefix*, lang:, title:…'),
]
Lang = Annotated[
    str | None,
    QueryParameter(
        description="only documents in this language: fr | ar",
        schema_extra={"enum": ["fr", "ar"]},
    ),
]
Page = Annotated[
    str | None,
    QueryParameter(
        description="page number, 1–1000 (default 1)",
        schema_extra={"pattern": "^([1-9][0-9]{0,2}|1000)$"},
    ),
]
Size = Annotated[
    str | None,
    QueryParameter(
        description="hits per page, 1–100 (default 10)",
        schema_extra={"pattern": "^([1-9][0-9]?|100)$"},
    ),
]
Sort = Annotated[
    str | None,
    QueryParameter(
        description="relevance (default) | date", schema_extra={"enum": ["relevance", "date"]}
    ),
]
From = Annotated[
    str | None,
    QueryParameter(name="from", description="earliest date: 2024, 2024-07 or 2024-07-26"),
]
To = Annotated[
    str | None, QueryParameter(name="to", description="latest date, same syntax as from")
]
Cross = Annotated[
    str | None,
    QueryParameter(
        description="also search the other language: true (default) | false",
        schema_extra={"enum": ["true", "false"]},
    ),
]
ModeParam = Annotated[
    str | None,
    QueryParameter(
        description=(
            "which rankings: hybrid (default when the sentence encoder is installed: words "
            "and meaning fused), lexical (words only; the default without the encoder), "
            "semantic (meaning only); filters, -word and +word apply in every mode"
        ),
        schema_extra={"enum": ["hybrid", "lexical", "semantic"]},
    ),
]

MatchParam = Annotated[
    str | None,
    QueryParameter(
        description=(
            "how the words combine: best (default: every word counts, none is required "
            "unless marked +word; documents with more of the rarer words first), "
            "all (every word required), any (plain OR)"
        ),
        schema_extra={"enum": ["best", "all", "any"]},
    ),
]
Exclude = Annotated[
    list[str] | None,
    QueryParameter(
        description="a translation to drop, as LANG:TERM (repeatable, at most "
        f"{MAX_EXCLUDED}), e.g. ar:بشر; TERM: 1–64 characters, no colon, space or control",
        # what parse_exclude accepts, so a schema-valid value is never refused
        schema_extra={
            "items": Schema(type=OpenAPIType.STRING, pattern=EXCLUDE_PATTERN),
            "max_items": MAX_EXCLUDED,
        },
    ),
]

Offset = Annotated[
    str | None,
    QueryParameter(
        description="where the body starts, in characters (default 0): a long body comes "
        "in pieces; pass the previous piece's next_offset to get the next one",
        schema_extra={"pattern": OFFSET_PATTERN},
    ),
]


@dataclass(frozen=True)
class SearchBody:
    """A page of results (:func:`search.serialize.results_to_dict`), as the schema shows it.

    ``partial`` is true when the time limit (FIHRIS_TIME_LIMIT) cut a stage of the
    search short; one note in ``interpretation.notes`` per cut stage says what.
    """

    query: Annotated[dict[str, Any], KwargDefinition(description="the request, echoed")]
    total: Annotated[int, KwargDefinition(description="documents found")]
    page: int
    size: int
    pages: int
    took_ms: float
    hits: list[dict[str, Any]]
    facets: dict[str, Any]
    suggestion: str | None
    interpretation: Annotated[
        dict[str, Any],
        KwargDefinition(description="how the query was read; notes say what was left out"),
    ]
    partial: Annotated[
        bool,
        KwargDefinition(
            description="true when the time limit (FIHRIS_TIME_LIMIT) cut a stage short "
            "(expansion, evaluation, facets, snippets…): interpretation.notes name it"
        ),
    ]


ERRORS = {
    400: ResponseSpec(ErrorBody, description="a parameter or the query is invalid"),
    404: ResponseSpec(ErrorBody, description="no such document"),
    503: ResponseSpec(
        ErrorBody,
        description="the index is missing or unreadable, or the server is busy "
        "(then with Retry-After)",
    ),
}


def raw_params(
    q: str | None,
    lang: str | None,
    page: str | None,
    size: str | None,
    sort: str | None,
    date_from: str | None,
    date_to: str | None,
    cross: str | None,
    exclude: list[str] | None,
    match: str | None = None,
    mode: str | None = None,
) -> RawParams:
    return RawParams(
        q or "",
        lang,
        page,
        size,
        sort,
        date_from,
        date_to,
        cross,
        tuple(exclude or ()),
        match,
        mode,
    )


@get(
    "/api/search",
    summary="Search the archive",
    sync_to_thread=True,
    responses={200: ResponseSpec(SearchBody, description="the results"), **ERRORS},
    tags=["search"],
    opt={COST: "search"},
)
def api_search(
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
) -> dict[str, Any]:
    """Search the archive: hits with highlighted snippets, facets, suggestion, interpretation.

    ``facets``: ``lang`` and ``year`` (``[{"value", "count"}]``) and ``timeline``
    (``[{"period": "2024-07", "count": 3}, …]``, oldest first): matching dated
    dispatches per month when the first and last are at most 36 months apart, per
    year otherwise; empty periods in between have count 0 (left out beyond 120
    periods). ``year`` and ``timeline`` honour every filter, ``lang`` counts both
    languages so the other one can be chosen.
    """
    raw = raw_params(q, lang, page, size, sort, date_from, date_to, cross, exclude, match, mode)
    results = services.engine.search(parse_request(raw, services.settings))
    return results_to_dict(results)


@get(
    "/api/documents/{doc_id:path}",
    summary="One document",
    sync_to_thread=True,
    responses=ERRORS,
    tags=["search"],
    opt={COST: "document"},
)
def api_document(
    services: NamedDependency[Services],
    doc_id: FromPath[str],
    q: Q = "",
    cross: Cross = None,
    offset: Offset = None,
) -> dict[str, Any]:
    """One document by id; with ``q``, the query's terms are marked in its HTML.

    A body longer than the server's limit (FIHRIS_MAX_DOCUMENT_CHARS, 200,000
    characters by default) comes in pieces: ``truncated`` is true, ``length`` is the
    whole body's length, ``offset`` where this piece starts, and ``next_offset`` and
    ``next`` (a URL) give the next piece; ``next_offset`` is null on the last one.
    """
    request = parse_request(RawParams(q=q, cross=cross), services.settings)
    view = services.engine.document(
        doc_id.removeprefix("/"),
        q=q or None,
        cross=request.cross,
        offset=parse_offset(offset),
        limit=services.settings.max_document_chars,
    )
    data = document_to_dict(view)
    data["next"] = None
    if view.next_offset is not None:
        params = {"q": q, "cross": cross, "offset": str(view.next_offset)}
        query = urlencode({k: v for k, v in params.items() if v})
        data["next"] = f"{doc_path(view.id, '/api/documents/')}?{query}"
    return data


@get("/api/status", summary="Index and re-index status", sync_to_thread=True, tags=["service"])
def api_status(services: NamedDependency[Services]) -> dict[str, Any]:
    """Documents per language, index generation, last and next re-index run.

    Answers even when the index is missing or damaged (``damaged`` says what is
    wrong, ``engine`` is then ``null``): this is where an operator looks.
    """
    summary = index_summary(services)
    try:
        engine: dict[str, Any] | None = services.engine.status()
    except IndexStoreError:
        engine = None
    return {**summary, "engine": engine}


@get(
    "/healthz",
    summary="Health check",
    sync_to_thread=False,
    tags=["service"],
    responses={503: ERRORS[503]},
)
def healthz(services: NamedDependency[Services]) -> dict[str, Any]:
    """Liveness and readiness: 200 when an index generation is being served.

    503 ``index_damaged`` (degraded) when the live generation's files are not
    what was written: searches fail until the index is rebuilt, so a balancer
    should send traffic elsewhere; the process itself is fine and keeps serving
    status and pages.
    """
    summary = index_summary(services)
    if summary["generation"] is None:
        raise ApiError(503, "index_unavailable", "no index generation is available")
    if summary["damaged"]:
        raise ApiError(503, "index_damaged", f"degraded: {summary['damaged']}")
    return {"status": "ok", "generation": summary["generation"]}


@post(
    "/api/reindex",
    summary="Start an incremental re-index",
    status_code=202,
    sync_to_thread=False,
    tags=["admin"],
    responses={
        401: ResponseSpec(ErrorBody, description="missing or wrong bearer token"),
        403: ResponseSpec(ErrorBody, description="admin disabled: no token configured"),
        409: ResponseSpec(ErrorBody, description="an update is already running"),
    },
)
def api_reindex(
    services: NamedDependency[Services], request: Request[Any, Any, Any]
) -> dict[str, Any]:
    """Start an incremental update now (``Authorization: Bearer <FIHRIS_ADMIN_TOKEN>``)."""
    token = services.settings.admin_token
    if token is None:
        raise ApiError(
            403,
            "admin_disabled",
            "re-indexing over HTTP is disabled: set FIHRIS_ADMIN_TOKEN to enable it",
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # constant-time comparison: the response time must not reveal how much of the token matched
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), token.encode("utf-8")
    ):
        raise ApiError(
            401,
            "unauthorized",
            "a valid 'Authorization: Bearer <token>' header is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not services.reindexer.trigger():
        raise ApiError(409, "reindex_running", "an update is already running; see /api/status")
    return {"status": "started", "status_url": "/api/status"}


ROUTES = [api_search, api_document, api_status, healthz, api_reindex]
