"""Security headers on every response, request size limits, and the one sanitiser for HTML.

Headers are added in a ``before_send`` hook rather than a middleware because
Litestar runs route middleware only for matched routes: a hook also covers 404s,
405s, static files and the OpenAPI pages.

Request size: the protocol (``web.server``) refuses a request head still
incomplete past URL limit + header limit + 1 KiB with a bare 400; below that,
:func:`request_limits` answers in the API's error shape: 414 for a URL longer
than the setting, 431 for headers larger than the setting (h11 accepts any head
that arrives whole, 100 KB included), 413 for a body announced larger than the
setting, 411 for a body of unannounced length (chunked): no endpoint takes a
body, so none is read whatever its size. A request announcing both a length and
a transfer coding is refused (400), and the protocol closes its connection.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

from litestar import Request
from litestar.exceptions import HTTPException
from litestar.types import Message, Scope
from markupsafe import Markup

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS: Final[tuple[tuple[bytes, bytes], ...]] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: add the headers unless a handler already chose its own."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    headers.extend((name, value) for name, value in SECURITY_HEADERS if name not in present)
    message["headers"] = headers


def request_limits(
    max_url: int, max_body: int, max_headers: int
) -> Callable[[Request[Any, Any, Any]], None]:
    """A ``before_request`` hook refusing oversized URLs, headers and bodies up front.

    Litestar enforces ``request_max_body_size`` only when a handler reads the
    body, so the announced length is checked here, whatever the handler.
    """

    def limit(request: Request[Any, Any, Any]) -> None:
        scope = request.scope
        url_length = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if url_length > max_url:
            raise HTTPException(status_code=414, detail=f"at most {max_url} bytes")
        header_bytes = sum(len(name) + len(value) for name, value in scope["headers"])
        if header_bytes > max_headers:
            raise HTTPException(
                status_code=431,
                detail=f"{header_bytes} bytes of headers; at most {max_headers} are accepted",
            )
        if "transfer-encoding" in request.headers and "content-length" in request.headers:
            raise HTTPException(
                status_code=400,
                detail="a request must not carry both Content-Length and Transfer-Encoding "
                "(RFC 9112 §6.1); the connection is closed",
            )
        length = request.headers.get("content-length", "")
        if length and (not length.isdigit() or int(length) > max_body):
            raise HTTPException(status_code=413, detail=f"at most {max_body} bytes")
        if not length and "chunked" in request.headers.get("transfer-encoding", "").lower():
            raise HTTPException(status_code=411, detail="chunked bodies are not accepted")

    return limit


# The only tags the engine may emit in snippet and document HTML.
_ALLOWED_TAG = re.compile(r"(</?mark>|<br\s*/?>|</?p>)")


def only_marks(engine_html: str) -> Markup:
    """Engine HTML made safe whatever it contains: only ``<mark>``, ``<p>``, ``<br>`` survive.

    Every other segment is unescaped then escaped again, so correctly escaped text
    (``&lt;script&gt;``) comes out unchanged while a raw ``<script>`` that slipped
    through would be shown as text. Defence in depth: the page never trusts the
    engine to have escaped a hostile document.
    """
    parts = _ALLOWED_TAG.split(engine_html)
    out = [
        part if index % 2 else html.escape(html.unescape(part), quote=False)
        for index, part in enumerate(parts)
    ]
    return Markup("".join(out))


def safe_url(url: str | None) -> str | None:
    """A document's source URL, only if it is plain http(s): never ``javascript:`` or ``data:``."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else None
