"""Subscribing to a search: ``/search.atom``, read by a real feed parser (feedparser).

The session corpus (conftest) has French port dispatches from 2021 to 2023, Arabic
ones in 2022-05 and 2023-05, and a hostile one (markup in its title) about a port.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from conftest import XSS_ID
from test_api import assert_error

from web.feed import entry_id


def feed_of(client: Any, **params: str) -> Any:
    response = client.get("/search.atom", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    ET.fromstring(response.content)  # well-formed XML, whatever the query and the titles
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def lang(entry: Any) -> str:
    """The entry's xml:lang, as the parser reports it."""
    return str(entry.title_detail.language)


def doc_id(entry: Any) -> str:
    return urlsplit(entry.link).path.removeprefix("/doc/")


def test_feed_lists_the_newest_dispatches_first_with_links_and_summaries(client: Any) -> None:
    parsed = feed_of(client, q="port")
    entries = parsed.entries
    assert len(entries) == 14  # every port dispatch, both languages (default size: 20)
    dated = [e for e in entries if "published" in e]
    assert len(dated) == 13
    published = [e.published_parsed for e in dated]
    assert published == sorted(published, reverse=True)
    assert entries[:13] == dated  # newest first, the undated seed last
    assert entries[0].updated.startswith("2023-06-15")  # the newest French one
    # undated: updated is when the index generation serving it was built
    created = client.get("/api/status").json()["engine"]["created"]
    assert entries[13].updated == created
    assert parsed.feed.title.endswith("port")
    assert parsed.feed.updated == max(e.updated for e in entries)
    for entry in entries:
        assert entry.id == entry_id(doc_id(entry))
        page = client.get(urlsplit(entry.link).path)  # the link opens the dispatch
        assert page.status_code == 200
        assert entry.summary  # a text snippet
    arabic = [e for e in entries if lang(e) == "ar"]
    assert all("ميناء" in e.title for e in arabic if doc_id(e).startswith("wakala/"))
    assert sum(doc_id(e).startswith("wakala/") for e in arabic) == 4


def test_entry_ids_are_stable_and_unique(client: Any) -> None:
    first = [e.id for e in feed_of(client, q="port").entries]
    again = [e.id for e in feed_of(client, q="port", size="5").entries]
    assert len(set(first)) == len(first)
    assert again == first[:5]  # same dispatch, same id, in any feed that lists it
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", i) for i in first)


@pytest.mark.parametrize(
    ("params", "check"),
    [
        # the language filter: Arabic dispatches only, found from a French query
        ({"q": "port", "lang": "ar"}, lambda es: {lang(e) for e in es} == {"ar"}),
        # dates filter as in the API
        (
            {"q": "port", "from": "2022", "to": "2022"},
            lambda es: all(e.updated.startswith("2022") for e in es) and len(es) == 5,
        ),
        ({"q": "port", "size": "3"}, lambda es: len(es) == 3),
        # sort=relevance is accepted (URLs copied from the API) but a feed is newest first
        ({"q": "port", "sort": "relevance"}, lambda es: es[0].updated.startswith("2023-06-15")),
        # a query in Arabic, cross-language on: the French port dispatches come too
        ({"q": "ميناء"}, lambda es: {lang(e) for e in es} == {"fr", "ar"}),
    ],
)
def test_feed_takes_the_search_parameters(client: Any, params: dict[str, str], check: Any) -> None:
    assert check(feed_of(client, **params).entries)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"q": ""}, "q"),  # nothing to search
        ({"q": "port", "sort": "newest"}, "sort"),
        ({"q": "port", "size": "0"}, "size"),
        ({"q": "port", "lang": "en"}, "lang"),
        ({"q": "port", "from": "juillet"}, "from"),
        ({"q": "port", "exclude": "xx"}, "exclude"),
        ({"q": "port", "mode": "fuzzy"}, "mode"),  # the same parameters as /api/search
    ],
)
def test_bad_parameters_get_the_error_shape(
    client: Any, params: dict[str, str], parameter: str
) -> None:
    response = client.get("/search.atom", params=params)
    assert_error(response, 400, parameter)


def test_hostile_titles_and_queries_stay_well_formed(client: Any) -> None:
    # markup in a title is text in the feed; a control character in the query is dropped
    parsed = feed_of(client, q="piratage\x0b")
    hostile = next(e for e in parsed.entries if doc_id(e) == XSS_ID)
    assert "<script>alert(1)</script>" in hostile.title  # as text, not markup
    raw = client.get("/search.atom", params={"q": "piratage"}).text
    assert "<script>" not in raw and "&lt;script&gt;" in raw


def test_page_links_its_feed_in_the_head_and_visibly(client: Any) -> None:
    text = client.get("/", params={"q": "port", "lang": "ar", "ui": "ar"}).text
    head = re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', text)
    visible = re.search(r'<a class="feed-link" href="([^"]+)"', text)
    assert head and visible and head.group(1) == visible.group(1)
    href = head.group(1).replace("&amp;", "&")
    assert "ui=" not in href and "lang=ar" in href
    parsed = feedparser.parse(client.get(href).content)
    assert parsed.entries and {lang(e) for e in parsed.entries} == {"ar"}
    # no feed link on a page without results to follow
    assert "application/atom+xml" not in client.get("/").text


def test_a_dispatch_added_by_a_reindex_appears_in_the_feed(tmp_path: Path) -> None:
    from litestar.testing import TestClient

    from index import build_index, update_index
    from web.app import create_app
    from web.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    docs = [
        {"id": f"d{n}", "lang": "fr", "date": f"2024-0{n}-01", "title": f"Barrage {n}",
         "text": f"Le barrage de la vallée numéro {n} est rempli."}
        for n in range(1, 4)
    ]  # fmt: skip
    (corpus / "a.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n", "utf-8")
    build_index(corpus, tmp_path / "index")
    app = create_app(Settings.from_env({}, index_dir=tmp_path / "index", corpus_dir=corpus))
    with TestClient(app=app) as client:
        before = feed_of(client, q="barrage")
        (corpus / "new.txt").write_text(
            "date 2024-09-02\nLe barrage déborde\n\nLe barrage de la vallée déborde.\n", "utf-8"
        )
        update_index(corpus, tmp_path / "index")
        after = feed_of(client, q="barrage")
    assert [doc_id(e) for e in after.entries] == ["new.txt", "d3", "d2", "d1"]
    assert after.entries[0].id == entry_id("new.txt")
    assert [e.id for e in after.entries[1:]] == [e.id for e in before.entries]
    assert after.feed.updated.startswith("2024-09-02")
