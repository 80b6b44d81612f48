"""Hostile input and the security of every response.

test_api.py already fuzzes the search parameters through Litestar's test client
(whose HTTP client re-encodes what it sends). This module fills the gaps: the
document ids of ``/doc/{id}`` and ``/api/documents/{id}``, the ``ui`` parameter,
markup reflected from parameters, bytes no well-behaved client sends (invalid
percent-encoding, raw ``..``, NUL) written on a socket to the real uvicorn
server, request size limits, traversal, and the headers of every kind of response.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from conftest import XSS_ID
from hypothesis import HealthCheck, assume, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from test_api import assert_error

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
CONTROL = "".join(chr(c) for c in [*range(0, 32), 127])
SEARCH_PARAMS = ("q", "lang", "page", "size", "sort", "from", "to", "cross", "exclude", "ui")
FUZZ = hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

hostile_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=BIDI + CONTROL + "ab ال*?()\"'<>&%/\\.:-", max_size=60),
    st.sampled_from(
        [
            *PAYLOADS,
            "",
            "-1",
            "0",
            "-99999999999999999999",
            "9" * 400,  # a huge page or size
            "1e9",
            "0x10",
            "\x00",
            "xx",  # an unknown lang
            "2024-02-30",  # a day that does not exist
            "2024-13",
            "0000",
            "99999-01-01",
            "..",
        ]
    ),
    st.integers(min_value=1_001, max_value=20_000).map(lambda n: "a " * (n // 2)),  # huge q
)


def raw_get(base: str, target: bytes, headers: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """One GET written byte for byte on a loopback socket (no client-side normalisation)."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    assert host == "127.0.0.1" and port is not None
    request = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    return raw_request(host, port, request + headers + b"\r\n")


def raw_request(host: str, port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection((host, port), timeout=15) as sock:
        # the server may answer and close before reading all of it: then read the answer
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def assert_page(response: Any, statuses: set[int]) -> None:
    """A page for people: HTML, an expected status, no traceback, no reflected markup."""
    assert response.status_code in statuses, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text
    for payload in PAYLOADS:
        assert payload not in response.text


# -- property-based: every parameter of every page and endpoint ------------------------
@FUZZ
@given(params=st.dictionaries(st.sampled_from(SEARCH_PARAMS), hostile_text, max_size=6))
@example(params={"q": PAYLOADS[0], "lang": PAYLOADS[1], "ui": PAYLOADS[1]})
@example(params={"q": "port", "page": "-1", "size": "99999999999999999999"})
def test_search_parameters_never_break_the_api_or_the_page(
    client: Any, params: dict[str, str]
) -> None:
    # httpx itself refuses to build a query past 64 KiB (InvalidURL), so such a
    # request never reaches the server; 414 for long URLs is checked below
    assume(len(urlencode(params)) < 60_000)
    api = client.get("/api/search", params=params)
    # 414: a URL beyond max_url_length (a huge q, encoded), refused before any parsing
    assert api.status_code in {200, 400, 414}, (params, api.text[:300])
    if api.status_code != 200:
        assert_error(api, api.status_code)
    assert_page(client.get("/", params=params), {200, 400, 414})


@FUZZ
@given(doc_id=hostile_text, q=hostile_text)
@example(doc_id="../../etc/passwd", q="")
@example(doc_id=PAYLOADS[1], q=PAYLOADS[0])
@example(doc_id=XSS_ID, q="a " * 3000)  # a real id with an overlong q: 400, not 500
def test_document_ids_never_break_the_api_or_the_page(client: Any, doc_id: str, q: str) -> None:
    # every character encoded, dots too (a client resolves "." and ".." segments itself)
    path = quote(doc_id, safe="").replace(".", "%2E")
    api = client.get(f"/api/documents/{path}", params={"q": q})
    assert api.status_code in {200, 400, 404, 414}, (doc_id, api.text[:300])
    if api.status_code != 200:
        error = assert_error(api, api.status_code)
        assert error["parameter"] in {"id", "q", "cross", None}
    assert_page(client.get(f"/doc/{path}", params={"q": q}), {200, 400, 404, 414})


# bytes a browser would never send: bad percent-encoding, raw bytes, NUL, lone surrogates
raw_piece = st.sampled_from(
    [
        *(b"%", b"%Z", b"%ZZ", b"%C3", b"%C3%28", b"%FF%FE", b"%00", b"%ED%A0%80", b"%2e%2e%2f"),
        *(b"&", b"=", b"+", b"q=", b"page=", b"lang=", b"a", b"\xd8\xa7", b"%E2%80%AE", b";"),
    ]
)
raw_query = st.lists(raw_piece, max_size=12).map(b"".join)


@hypothesis_settings(max_examples=40, deadline=None)
@given(query=raw_query, where=st.sampled_from([b"/api/search", b"/", b"/api/documents/", b"/doc/"]))
@example(query=b"q=%ZZ%&page=%FF", where=b"/api/search")
@example(query=b"%C3%28", where=b"/api/documents/")
def test_invalid_percent_encoding_on_the_wire(live_server: str, query: bytes, where: bytes) -> None:
    target = where + query if where.endswith(b"/") else where + b"?" + query
    status, headers, body = raw_get(live_server, target or b"/")
    if any(byte > 0x7E for byte in target):  # not even HTTP: uvicorn refuses the request line
        assert (status, body) == (400, b"Invalid HTTP request received."), (target, body[:300])
        return
    assert status in {200, 400, 404}, (target, body[:300])
    if where.startswith(b"/api/") and status != 200:
        shape = json.loads(body)
        assert set(shape) == {"error"} and set(shape["error"]) == {"code", "message", "parameter"}
    assert b"Traceback" not in body
    assert "script-src 'self'" in headers["content-security-policy"]


# -- path traversal ---------------------------------------------------------------------
TRAVERSALS = [
    b"../../etc/passwd",  # raw, as a hand-written request can send it
    b"..%2F..%2Fetc%2Fpasswd",  # encoded slashes
    b"%2e%2e/%2e%2e/etc/passwd",  # encoded dots
    b"%252e%252e%252fetc%252fpasswd",  # double encoding: stays a strange id
    b"..%5C..%5Cweb%5Capp.py",  # backslashes
    b"/etc/passwd",  # an absolute path (a double slash in the URL)
    b"..%c0%af..%c0%afetc%c0%afpasswd",  # overlong UTF-8 slash
    b"%EF%BC%8E%EF%BC%8E%EF%BC%8Fetc",  # full-width dots and slash
    b"etc/passwd%00.txt",  # NUL truncation
    b"....//....//etc/passwd",
    b"hostile/../ports.jsonl",  # climbing out of a real document's folder
]


@pytest.mark.parametrize("prefix", [b"/api/documents/", b"/doc/"])
@pytest.mark.parametrize("trail", TRAVERSALS)
def test_ids_cannot_reach_files(live_server: str, prefix: bytes, trail: bytes) -> None:
    status, headers, body = raw_get(live_server, prefix + trail)
    assert status == 404, (trail, body[:300])
    assert b"root:" not in body and b"def create_app" not in body and b'"id": "agence' not in body
    if prefix.startswith(b"/api/"):
        error = json.loads(body)["error"]
        assert error["code"] == "not_found" and error["parameter"] == "id"
    else:
        assert headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "target",
    [
        b"/static/../app.py",
        b"/static/%2e%2e/app.py",
        b"/static/..%2Fsettings.py",
        b"/static//etc/passwd",
    ],
)
def test_static_files_stay_in_their_folder(live_server: str, target: bytes) -> None:
    status, _, body = raw_get(live_server, target)
    assert status == 404 and b"import" not in body and b"root:" not in body


# -- request size -----------------------------------------------------------------------
def test_request_size_is_bounded_on_the_real_server(live_server: str, settings: Any) -> None:
    host, port = "127.0.0.1", int(urlsplit(live_server).port or 0)
    long_q = b"/api/search?q=" + b"a" * (settings.max_url_length + 10)
    status, _, body = raw_get(live_server, long_q)
    assert status == 414 and json.loads(body)["error"]["code"] == "request_uri_too_long"
    # beyond what uvicorn buffers: refused before the app, still not a crash
    status, _, _ = raw_get(live_server, b"/api/search?q=" + b"a" * 2_000_000)
    assert status in {400, 414}
    # a body announced larger than the limit: 413, nothing read
    lying = b"Content-Length: 100000000\r\n"
    for method in (b"POST /api/reindex", b"GET /api/search?q=port"):
        request = method + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + lying + b"\r\n"
        status, _, body = raw_request(host, port, request + b"x" * 1000)
        assert status == 413 and json.loads(body)["error"]["code"] == "request_entity_too_large"
    # a chunked body of 20 MB: refused at once (411), never accumulated
    chunk = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
    head = b"POST /api/reindex HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    request = head + b"Connection: close\r\n\r\n" + chunk * 20 + b"0\r\n\r\n"
    status, headers, body = raw_request(host, port, request)
    assert status == 411 and json.loads(body)["error"]["code"] == "length_required"
    assert "nosniff" in headers["x-content-type-options"]
    # and the server is still there
    status, _, body = raw_get(live_server, b"/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"


# -- headers on every kind of response --------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/?q=port&ui=ar", 200),
        ("GET", "/?q=port&size=0", 400),  # a page re-rendered with an error
        ("GET", f"/doc/{XSS_ID}", 200),
        ("GET", "/doc/no-such-document", 404),  # the HTML error page
        ("GET", "/api/search?q=port", 200),
        ("GET", "/api/search?q=port&lang=xx", 400),
        ("GET", "/api/documents/no-such-document", 404),
        ("GET", "/api/status", 200),
        ("GET", "/healthz", 200),
        ("GET", "/schema", 200),
        ("GET", "/schema/openapi.json", 200),
        ("GET", "/static/fihris.css", 200),
        ("GET", "/static/fihris.js", 200),
        ("GET", "/static/favicon.svg", 200),
        ("GET", "/static/missing.js", 404),
        ("HEAD", "/", 200),  # HEAD wherever GET is served (test_http.py), headers included
        ("HEAD", "/static/%00", 404),  # an odd static path: a 404, never a 500
        ("POST", "/api/search", 405),
        ("POST", "/api/reindex", 401),
    ],
)
def test_security_headers_on_every_kind_of_response(
    client: Any, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status, response.text[:300]
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert "server error" not in response.text.lower()


@pytest.mark.parametrize(
    "path", ["/", "/?q=piratage", f"/doc/{XSS_ID}?q=piratage", "/doc/nothing-here", "/schema"]
)
def test_pages_need_no_inline_script_or_handlers(client: Any, path: str) -> None:
    """What the CSP forbids must not be needed: no inline script, no on*= handler."""
    text = client.get(path).text
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", text, re.S):
        assert "src=" in attributes and not body.strip(), (attributes, body[:100])
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", text)
    assert "javascript:" not in text.lower()


def test_markup_in_a_bad_value_is_shown_as_text_in_errors(client: Any) -> None:
    api = client.get("/api/search", params={"q": "port", "lang": PAYLOADS[0]})
    assert assert_error(api, 400, "lang")["message"].count(PAYLOADS[0]) == 1  # JSON: verbatim
    for response in (
        client.get("/", params={"q": "port", "lang": PAYLOADS[1]}),
        client.get(f"/doc/{quote(PAYLOADS[0], safe='')}"),
    ):
        assert_page(response, {400, 404})
        assert "&lt;script&gt;" in response.text or "&#34;&gt;&lt;img" in response.text
