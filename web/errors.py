"""Every failure becomes one JSON error shape (API) or one bilingual error page (pages).

Shape: ``{"error": {"code": str, "message": str, "parameter": str | null}}``.
Search errors carry their own code and the culprit parameter; Litestar's own
exceptions (unknown route, wrong method, body too large, validation) and any
unexpected exception are mapped into the same shape, so a client only ever has
one thing to parse and never sees a traceback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from index.errors import FihrisError, IndexDamagedError, IndexStoreError
from search.errors import DocumentNotFound, SearchError
from web.i18n import LABELS, text_dir, ui_lang

log = logging.getLogger("fihris.web")

#: Paths answered in JSON; everything else is a page for people (static files and
#: feeds are fetched by machines: their errors get the error shape too).
JSON_PREFIXES = ("/api/", "/healthz", "/schema", "/static/", "/search.atom")


@dataclass(frozen=True)
class ErrorDetail:
    code: str
    message: str
    parameter: str | None = None


@dataclass(frozen=True)
class ErrorBody:
    """The one error shape of the API (documented in the OpenAPI schema)."""

    error: ErrorDetail


class ApiError(FihrisError):
    """An error the web layer raises itself (auth, admin disabled, conflict)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        parameter: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.parameter, self.headers = parameter, headers or {}


def classify(exc: Exception) -> tuple[int, ErrorDetail, dict[str, str]]:
    """Status, error detail and extra headers for any exception."""
    if isinstance(exc, ApiError):
        return exc.status, ErrorDetail(exc.code, exc.message, exc.parameter), exc.headers
    if isinstance(exc, SearchError):
        status = 404 if isinstance(exc, DocumentNotFound) else 400
        return status, ErrorDetail(exc.code, exc.message, exc.parameter), {}
    if isinstance(exc, IndexDamagedError):
        return 503, ErrorDetail("index_damaged", str(exc)), {}
    if isinstance(exc, IndexStoreError):
        return 503, ErrorDetail("index_unavailable", str(exc)), {}
    if isinstance(exc, ValidationException):
        return 400, ErrorDetail("invalid_parameter", _validation_message(exc), _key(exc)), {}
    if isinstance(exc, HTTPException):
        status = exc.status_code
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        code = phrase.lower().replace(" ", "_").replace("-", "_")
        headers = dict(exc.headers or {})
        return status, ErrorDetail(code, _http_message(exc, phrase)), headers
    if isinstance(exc, FihrisError):
        return 500, ErrorDetail("internal_error", str(exc)), {}
    log.error("unexpected error", exc_info=exc)
    return 500, ErrorDetail("internal_error", "internal error: the request could not be served"), {}


def _http_message(exc: HTTPException, phrase: str) -> str:
    detail = exc.detail if exc.detail and exc.detail != phrase else ""
    if exc.status_code == 404:
        return "no such page or endpoint"
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("allow", "?")
        return f"method not allowed here; allowed: {allowed}"
    if exc.status_code == 413:
        return f"request body too large: {detail}" if detail else "request body too large"
    if exc.status_code == 414:
        return f"the URL is too long: {detail}" if detail else "the URL is too long"
    if exc.status_code == 431:
        return f"request headers too large: {detail}" if detail else "request headers too large"
    if exc.status_code == 411:
        return "a request body must announce its length (Content-Length); no endpoint takes one"
    return detail or phrase.lower()


def _key(exc: ValidationException) -> str | None:
    extra = exc.extra
    if isinstance(extra, list) and extra and isinstance(extra[0], dict):
        key = extra[0].get("key")
        return str(key) if key is not None else None
    return None


def _validation_message(exc: ValidationException) -> str:
    extra = exc.extra
    if isinstance(extra, list) and extra and isinstance(extra[0], dict):
        first = extra[0]
        return f"invalid value for {first.get('key')}: {first.get('message')}"
    return str(exc.detail or "invalid request")


def wants_json(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith(JSON_PREFIXES)


def error_body(detail: ErrorDetail) -> dict[str, Any]:
    return {
        "error": {"code": detail.code, "message": detail.message, "parameter": detail.parameter}
    }


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The app-wide exception handler: JSON for the API, a page for people."""
    status, detail, headers = classify(exc)
    if wants_json(request):
        return Response(
            error_body(detail), status_code=status, headers=headers, media_type=MediaType.JSON
        )
    return Response(
        render_error_page(request, status, detail),
        status_code=status,
        headers=headers,
        media_type=MediaType.HTML,
    )


def render_error_page(request: Request[Any, Any, Any], status: int, detail: ErrorDetail) -> str:
    """The bilingual error page; falls back to plain text if templating itself fails."""
    settings = getattr(request.app.state, "settings", None)
    ui = ui_lang(request, getattr(settings, "ui_lang", "fr"))
    try:
        template = request.app.template_engine.get_template("error.html")  # type: ignore[union-attr]
        return str(
            template.render(
                ui=ui,
                dir=text_dir(ui),
                t=LABELS[ui],
                status_code=status,
                detail=detail,
                other_ui="ar" if ui == "fr" else "fr",
            )
        )
    except Exception:  # the page must never fail on its way to report a failure
        log.exception("error page failed")
        return f"<!doctype html><title>{status}</title><p>{status}</p>"
