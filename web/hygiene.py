"""HTTP rules the app keeps for every route: HEAD wherever GET is, static paths that 404.

HEAD: Litestar answers HEAD only on routes that declare it, and its OpenAPI and
static-file routes are its own; a monitor probing ``HEAD /healthz`` got a 405.
:func:`head_as_get` wraps the app's whole ASGI handler instead, so any GET route,
present or future, answers HEAD with the same status and headers (Content-Length
included) and no body (RFC 9110 §9.3.2), without each handler opting in.

Static paths: Litestar hands the path to the file system, where a NUL byte is a
``ValueError`` and an overlong name an ``OSError``: a 500. :func:`static_path_guard`
refuses such paths before any file is looked at, and :data:`STATIC_ERRORS` turns
whatever the file system still raises into the same 404.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("fihris.web")

STATIC_PREFIX: Final = "/static"
#: Longest static path accepted (bytes, after decoding); our files have short names.
MAX_STATIC_PATH: Final = 255


def head_as_get(app: ASGIApp) -> ASGIApp:
    """``app`` answering HEAD as it answers GET, every body dropped."""

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "HEAD":
            await app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        as_get: Any = {**scope, "method": "GET"}
        await app(as_get, receive, send_without_body)

    return handle


def odd_static_path(path: str) -> str | None:
    """Why a decoded ``/static/…`` path cannot name one of our files, or ``None``."""
    rest = path.removeprefix(STATIC_PREFIX)
    if len(rest.encode("utf-8", "surrogatepass")) > MAX_STATIC_PATH:
        return "overlong"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in rest):
        return "control character"  # NUL included: the file system raises on it
    if "\\" in rest:
        return "backslash"
    if any(segment in {".", ".."} for segment in rest.split("/")):
        return "dot segment"
    return None


def static_path_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of the static router: an odd path is a 404 before the file system sees it."""
    if odd_static_path(connection.scope["path"]) is not None:
        raise NotFoundException()


def _static_not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    from web.errors import handle_exception

    if isinstance(exc, HTTPException):  # Litestar's own 404 is a ValueError too
        return handle_exception(request, exc)
    log.warning("static path %r refused: %s", request.scope["path"][:100], exc)
    return handle_exception(request, NotFoundException())


#: Exception handlers of the static router: file-system errors on a path are a 404.
STATIC_ERRORS: Final = {ValueError: _static_not_found, OSError: _static_not_found}
