"""The server-rendered pages: bilingual interface, per-element direction, links, escaping.

Most tests use the real index; a few use a stub engine returning crafted results
(translations, a suggestion, raw ``<script>`` in engine HTML) so the page's own
rendering and sanitising are tested whatever the engine returns today.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import AR_SEED, FR_SEED, XSS_ID

from search.models import (
    DocumentView,
    Facets,
    FacetValue,
    Fragment,
    Hit,
    Interpretation,
    SearchRequest,
    SearchResults,
    Translation,
    WordTranslation,
)
from web.i18n import LABELS


def root_attrs(text: str) -> tuple[str, str]:
    match = re.search(r'<html lang="(\w+)" dir="(\w+)">', text)
    assert match, text[:200]
    return match.group(1), match.group(2)


def hrefs(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', text)]


# -- interface language ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "cookies", "expected"),
    [
        ({}, {}, ("fr", "ltr")),  # the server default
        ({"ui": "ar"}, {}, ("ar", "rtl")),  # chosen in the URL
        ({}, {"fihris_ui": "ar"}, ("ar", "rtl")),  # remembered in the cookie
        ({"ui": "fr"}, {"fihris_ui": "ar"}, ("fr", "ltr")),  # the URL wins over the cookie
        ({"ui": "xx"}, {}, ("fr", "ltr")),  # unknown: a preference, never a 400
    ],
)
def test_interface_language_and_direction(
    client: Any, params: dict[str, str], cookies: dict[str, str], expected: tuple[str, str]
) -> None:
    client.cookies.update(cookies)
    response = client.get("/", params={"q": "port", **params})
    assert response.status_code == 200
    assert root_attrs(response.text) == expected
    assert LABELS[expected[0]]["search"] in response.text


def test_choosing_arabic_sets_a_cookie_and_keeps_it_in_links(client: Any) -> None:
    response = client.get("/", params={"q": "port", "ui": "ar"})
    assert "fihris_ui=ar" in response.headers.get("set-cookie", "")
    assert root_attrs(client.get("/", params={"q": "port"}).text) == ("ar", "rtl")
    links = [h for h in hrefs(response.text) if h.startswith(("/?", "/doc/"))]
    switch = [h for h in links if "ui=fr" in h]  # the one link back to French
    assert len(switch) == 1 and all("ui=ar" in h for h in links if h not in switch), links


def test_every_result_and_snippet_carries_its_own_lang_and_dir(client: Any) -> None:
    text = client.get("/", params={"q": "port"}).text  # French UI, both languages in results
    hits = re.findall(r'<li class="hit" lang="(\w+)" dir="(\w+)"', text)
    snippets = re.findall(r'<p class="snippet" lang="(\w+)" dir="(\w+)"', text)
    assert {lang for lang, _ in hits} == {"fr", "ar"}  # the query matches both languages
    for lang, direction in hits + snippets:
        assert direction == ("rtl" if lang == "ar" else "ltr")
    assert len(snippets) >= len(hits)


def test_empty_query_shows_the_index_summary(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert 'class="hit"' not in response.text
    assert 'data-lang="fr"' in response.text and 'data-lang="ar"' in response.text
    assert 'class="status"' in response.text and 'name="q"' in response.text


@pytest.mark.parametrize(
    ("ui", "stale", "best_match"),
    [
        # the help once said every word was required: the default is best match (issue 14)
        ("fr", "Tous les mots sont requis", "aucun n’est requis"),
        ("ar", "كل الكلمات مطلوبة", "لا كلمة إلزامية"),
    ],
)
def test_the_help_panel_describes_best_match_and_plus(
    client: Any, ui: str, stale: str, best_match: str
) -> None:
    text = html.unescape(client.get("/", params={"ui": ui}).text)
    panel = text[text.index('class="help"') :]
    assert stale not in panel and best_match in panel
    assert "+Casablanca port" in panel  # the operator that makes a word required


def test_a_bad_parameter_on_the_page_is_a_400_page_keeping_the_form(client: Any) -> None:
    response = client.get("/", params={"q": "port", "size": "1000"})
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "1000" in response.text
    assert 'value="port"' in response.text


def test_unknown_pages_and_documents_get_the_html_error_page(client: Any) -> None:
    for path in ("/no/such/page", "/doc/no-such-document", "/doc/%2E%2E/%2E%2E/etc/passwd"):
        response = client.get(path, params={"ui": "ar"})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert root_attrs(response.text) == ("ar", "rtl")
        assert LABELS["ar"]["error_title"] in response.text and "root:" not in response.text


def test_the_page_links_its_json_twin_with_the_same_parameters(client: Any) -> None:
    text = client.get("/", params={"q": "port", "lang": "fr", "sort": "date"}).text
    twin = next(h for h in hrefs(text) if h.startswith("/api/search?"))
    assert parse_qs(urlsplit(twin).query) == {"q": ["port"], "lang": ["fr"], "sort": ["date"]}
    assert client.get(twin).status_code == 200


def test_facets_and_pagination_are_plain_links(client: Any) -> None:
    text = client.get("/", params={"q": "port", "size": "3"}).text
    links = hrefs(text)
    assert any("lang=ar" in h for h in links) and any("lang=fr" in h for h in links)
    assert any("from=2022" in h and "to=2022" in h for h in links)  # a year facet
    next_page = next(h for h in links if "page=2" in h)
    second = client.get(next_page)
    assert second.status_code == 200 and 'aria-current="page">2<' in second.text


def test_result_links_open_the_document_with_highlights(client: Any) -> None:
    text = client.get("/", params={"q": "traite des êtres humains"}).text
    link = next(h for h in hrefs(text) if h.startswith(f"/doc/{FR_SEED}"))
    doc = client.get(link)
    assert doc.status_code == 200 and "<mark>" in doc.text
    assert re.search(r'<article class="document" lang="fr" dir="ltr"', doc.text)


def test_arabic_document_page_is_rtl_inside_a_french_page(client: Any) -> None:
    text = client.get(f"/doc/{AR_SEED}", params={"q": "الاتجار", "ui": "fr"}).text
    assert root_attrs(text) == ("fr", "ltr")
    assert '<article class="document" lang="ar" dir="rtl"' in text


def test_a_javascript_url_in_the_corpus_is_never_a_link(client: Any) -> None:
    text = client.get("/doc/agence/2021/port-0").text
    assert "javascript:" not in text
    assert "https://example.org/port/1" in client.get("/doc/agence/2022/port-1").text


def test_the_hostile_document_is_text_on_its_page(client: Any) -> None:
    text = client.get(f"/doc/{XSS_ID}").text
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


# -- rendering of engine features, with a stub engine -------------------------------------
class StubEngine:
    """Returns fixed results showing every feature, with raw markup where it must not be."""

    def __init__(self) -> None:
        self.requests: list[SearchRequest] = []

    def search(self, request: SearchRequest) -> SearchResults:
        self.requests.append(request)
        hit = Hit(
            id="a/b c?.txt",
            lang="ar",
            dir="rtl",
            title="<b>عنوان</b>",
            date="2024-07-26",
            score=1.0,
            snippets=(Fragment("<mark>الاتجار</mark> <script>x()</script>", "الاتجار", ()),),
            translations=("fr/1.txt",),
            via_translation=True,
        )
        word = WordTranslation(
            "traite",
            "ar",
            (Translation("اتجار", "اتجار", 0.8, "glossary", "ar:اتجار"),),
        )
        return SearchResults(
            request=request,
            total=1,
            page=1,
            size=10,
            took_ms=1.5,
            hits=(hit,),
            facets=Facets((FacetValue("ar", 1),), (FacetValue("2024", 1),)),
            suggestion="traite",
            interpretation=Interpretation(query=request.q, translations=(word,)),
        )

    def document(self, doc_id: str, q: str | None = None, cross: bool = True) -> DocumentView:
        raise NotImplementedError

    def status(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


@pytest.fixture
def stub(settings: Any) -> Iterator[tuple[Any, StubEngine]]:
    from litestar.testing import TestClient

    from web.app import create_app

    engine = StubEngine()
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client, engine


def test_translations_are_shown_and_each_can_be_dropped(stub: tuple[Any, StubEngine]) -> None:
    client, engine = stub
    text = client.get("/", params={"q": "traite"}).text
    assert LABELS["fr"]["also_searched"] in text
    drop = next(h for h in hrefs(text) if "exclude=" in h)
    assert parse_qs(urlsplit(drop).query)["exclude"] == ["ar:اتجار"]
    dropped = client.get(drop)
    assert dropped.status_code == 200
    assert engine.requests[-1].exclude_translations == ("ar:اتجار",)
    assert LABELS["fr"]["restore"] in dropped.text
    ar = client.get("/", params={"q": "traite", "ui": "ar"}).text
    assert LABELS["ar"]["also_searched"] in ar and LABELS["ar"]["also_in_fr"] in ar


def test_cross_language_toggle_reaches_the_engine(stub: tuple[Any, StubEngine]) -> None:
    client, engine = stub
    text = client.get("/", params={"q": "traite"}).text
    off = next(h for h in hrefs(text) if "cross=false" in h)
    client.get(off)
    assert engine.requests[-1].cross is False
    client.get("/", params={"q": "traite"})
    assert engine.requests[-1].cross is True  # on by default


def test_suggestion_badges_and_linked_translations(stub: tuple[Any, StubEngine]) -> None:
    client, _ = stub
    text = client.get("/", params={"q": "trait"}).text
    assert any(parse_qs(urlsplit(h).query).get("q") == ["traite"] for h in hrefs(text))
    assert LABELS["fr"]["also_in_fr"] in text and "/doc/fr/1.txt" in text
    assert LABELS["fr"]["via_translation"] in text
    assert "/doc/a/b%20c%3F.txt" in text  # ids are percent-encoded segment by segment


def test_engine_html_is_sanitised_to_marks_only(stub: tuple[Any, StubEngine]) -> None:
    client, _ = stub
    text = client.get("/", params={"q": "traite"}).text
    assert "<mark>الاتجار</mark>" in text  # the engine's highlight survives
    assert "<script>x()" not in text and "&lt;script&gt;x()" in text  # anything else is text
    assert "<b>عنوان</b>" not in text and "&lt;b&gt;عنوان&lt;/b&gt;" in text


def test_both_interface_languages_have_every_label() -> None:
    assert set(LABELS["fr"]) == set(LABELS["ar"])
    assert all(LABELS["ar"].values()) and all(LABELS["fr"].values())
