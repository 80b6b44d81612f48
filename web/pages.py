"""The pages for people: the search page and the document page (server-rendered Jinja).

A bad parameter on the search page re-renders the page with the message and a 400,
keeping what the user typed; the page never needs JavaScript.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from search.errors import SearchError
from search.models import MAX_PAGE, SearchResults
from web.api import (
    Cross,
    Exclude,
    From,
    Lang,
    MatchParam,
    ModeParam,
    Offset,
    Page,
    Q,
    Size,
    Sort,
    To,
    raw_params,
)
from web.gate import COST
from web.i18n import LABELS, UI_COOKIE, text_dir, ui_lang
from web.links import Links
from web.services import RawParams, Services, index_summary, parse_offset, parse_request

AnyRequest = Request[Any, Any, Any]


def _common(request: AnyRequest, services: Services) -> dict[str, Any]:
    ui = ui_lang(request, services.settings.ui_lang)
    return {
        "ui": ui,
        "dir": text_dir(ui),
        "t": LABELS[ui],
        "other_ui": "ar" if ui == "fr" else "fr",
        "index_status": index_summary(services),
    }


def _cookies(request: AnyRequest, ui: str) -> list[Cookie]:
    """Remember an explicit ``?ui=`` choice, so following plain links keeps the language."""
    if request.query_params.get("ui") == ui and request.cookies.get(UI_COOKIE) != ui:
        return [
            Cookie(
                key=UI_COOKIE, value=ui, path="/", samesite="lax", httponly=True, max_age=31536000
            )
        ]
    return []


def _pages(results: SearchResults) -> list[int]:
    last = min(results.pages, MAX_PAGE)
    first = max(1, results.page - 2)
    return list(range(first, min(last, first + 4) + 1))


@get("/", sync_to_thread=True, include_in_schema=False, opt={COST: "search"})
def search_page(
    request: AnyRequest,
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
) -> Template:
    """The search page; with an empty query, the index summary instead of results."""
    context = _common(request, services)
    raw = raw_params(q, lang, page, size, sort, date_from, date_to, cross, exclude, match, mode)
    default_ui = services.settings.ui_lang
    links = Links(raw, ui=context["ui"] if context["ui"] != default_ui else None)
    context.update(
        raw=raw,
        links=links,
        results=None,
        error=None,
        search=None,
        export_cap=services.settings.export_max_rows,
    )
    status_code = 200
    try:
        search = parse_request(raw, services.settings)
        context["search"] = search
        if search.q.strip():
            results = services.engine.search(search)
            context.update(results=results, pages=_pages(results))
    except SearchError as exc:  # shown on the page itself, next to the form
        context["error"] = exc
        status_code = 404 if exc.code == "not_found" else 400
    return Template(
        template_name="search.html",
        context=context,
        status_code=status_code,
        cookies=_cookies(request, context["ui"]),
    )


@get("/doc/{doc_id:path}", sync_to_thread=True, include_in_schema=False, opt={COST: "document"})
def document_page(
    request: AnyRequest,
    services: NamedDependency[Services],
    doc_id: FromPath[str],
    q: Q = "",
    cross: Cross = None,
    offset: Offset = None,
) -> Template:
    """One document (a long body in pieces); ids are looked up in the index, never used as paths."""
    context = _common(request, services)
    raw = RawParams(q=q, cross=cross)
    parsed = parse_request(raw, services.settings)
    view = services.engine.document(
        doc_id.removeprefix("/"),
        q=q or None,
        cross=parsed.cross,
        offset=parse_offset(offset),
        limit=services.settings.max_document_chars,
    )
    default_ui = services.settings.ui_lang
    links = Links(raw, ui=context["ui"] if context["ui"] != default_ui else None)
    context.update(doc=view, raw=raw, links=links)
    return Template(
        template_name="document.html", context=context, cookies=_cookies(request, context["ui"])
    )


ROUTES = [search_page, document_page]
