"""Security headers on every response, and the one sanitiser for engine-made HTML.

Headers are added in a ``before_send`` hook rather than a middleware because
Litestar runs route middleware only for matched routes: a hook also covers 404s,
405s, static files and the OpenAPI pages.
"""

from __future__ import annotations

import html
import re
from typing import Final
from urllib.parse import urlsplit

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
