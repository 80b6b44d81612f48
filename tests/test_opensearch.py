"""The browser integration over a real uvicorn server on loopback: OpenSearch and completions.

The description is read by a real XML parser, the suggestions by a real HTTP client
(httpx) as a browser's address bar asks for them: ``GET /api/suggest?q=…``.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import FR_SEED
from test_api import assert_error

OS = "{http://a9.com/-/spec/opensearch/1.1/}"


@pytest.fixture(scope="module")
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=20) as client:
        deadline = time.monotonic() + 60  # the completions are built in the background
        while not client.get("/api/suggest", params={"q": "port"}).json()[1]:
            assert time.monotonic() < deadline, "completions never became ready"
            time.sleep(0.1)
        yield client


def test_description_is_opensearch_1_1_with_both_templates(http: Any, live_server: str) -> None:
    response = http.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/opensearchdescription+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{OS}OpenSearchDescription"
    assert root.findtext(f"{OS}ShortName") == "Fihris"
    assert len(root.findtext(f"{OS}ShortName") or "") <= 16  # the spec's limit
    templates = {u.get("type"): u.get("template") for u in root.iter(f"{OS}Url")}
    assert templates["text/html"] == f"{live_server}/?q={{searchTerms}}"
    assert templates["application/x-suggestions+json"] == (
        f"{live_server}/api/suggest?q={{searchTerms}}"
    )
    # the templates work: fill them in as a browser does
    page = http.get(templates["text/html"].replace("{searchTerms}", "traite"))
    assert page.status_code == 200 and FR_SEED in page.text
    url = templates["application/x-suggestions+json"].replace("{searchTerms}", "trai")
    assert http.get(url).json()[0] == "trai"


@pytest.mark.parametrize(
    "path",
    ["/", "/?q=port", "/?ui=ar", f"/doc/{FR_SEED}", "/doc/no-such-id", "/?page=0"],
)
def test_every_page_links_the_description(http: Any, path: str) -> None:
    page = http.get(path)  # error pages (404, 400) too
    assert '<link rel="search" type="application/opensearchdescription+xml"' in page.text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("trai", "traite des êtres humains"),
        ("etre", "êtres humains"),  # accents do not matter
        ("الاتج", "الاتجار بالبشر"),
        ("ميناء طن", "ميناء طنجة المتوسط"),  # Arabic, second word begun
        ("  Tanger", "Tanger Med"),  # leading spaces
    ],
)
def test_suggestions_format(http: Any, typed: str, expected: str) -> None:
    response = http.get("/api/suggest", params={"q": typed})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-suggestions+json")
    body = response.json()
    assert isinstance(body, list) and len(body) == 2
    assert body[0] == typed  # the query echoed as sent
    assert expected in body[1]
    assert all(isinstance(s, str) for s in body[1]) and len(body[1]) <= 8


def test_no_completion_is_an_empty_list(http: Any) -> None:
    assert http.get("/api/suggest", params={"q": "qqqzzz"}).json() == ["qqqzzz", []]


@pytest.mark.parametrize(
    "query",
    [
        "",  # no q at all
        "q=",  # empty
        "q=%20%20%20",  # spaces only
        "q=" + "a" * 201,  # longer than the start of a query
        "q=ab%00cd",  # NUL
        "q=%1B%5B31m",  # an escape sequence
        "q=%FF%FE",  # not UTF-8
        "q=%ED%A0%80",  # an encoded surrogate
        "q=%EF%BF%BF",  # a noncharacter
    ],
)
def test_bad_q_gets_the_error_shape(http: Any, query: str) -> None:
    response = http.get("/api/suggest?" + query)
    assert_error(response, 400, "q")
