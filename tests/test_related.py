"""The story side by side and related dispatches: search/related.py, the engine, the API.

``compute_related`` on toy documents with a word-for-word translator (as the linking
tests), then the engine and the JSON API over the web tests' real index, where the two
seed dispatches are one story in two languages and the port dispatches a running story.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AR_SEED, FR_SEED
from test_linking import MINE_AR, PORT_AR, PORT_FR, TOY, word_for_word

from search import SearchEngine
from search.linking import LinkDoc
from search.links import links_for
from search.related import RELATED, RELATED_MIN, compute_related

PORT_FR_LATER = "Le port de Tanger bat encore un record de conteneurs en juillet."
WEATHER_FR = "Une vague de chaleur touche Marrakech et Agadir cette semaine."

TOY_DOCS = [
    LinkDoc("fr", "fr", PORT_FR, "2024-01-01"),
    LinkDoc("fr-later", "fr", PORT_FR_LATER, "2024-07-01"),  # same story, months later
    LinkDoc("ar", "ar", PORT_AR, "2025-01-01"),  # a year apart: not linked, but related
    LinkDoc("ar-mine", "ar", MINE_AR),  # shares one word with the Arabic port story
    LinkDoc("fr-weather", "fr", WEATHER_FR),  # nothing in common
]


@pytest.fixture(scope="module")
def toy() -> dict[str, tuple[tuple[str, float], ...]]:
    return compute_related(TOY_DOCS, word_for_word(TOY))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("fr", {"fr-later", "ar"}),  # same language and across, whatever the dates
        ("fr-later", {"fr", "ar"}),
        ("ar", {"fr", "fr-later"}),  # an Arabic dispatch's French neighbours, read backwards
    ],
)
def test_related_in_both_languages(
    toy: dict[str, tuple[tuple[str, float], ...]], doc: str, expected: set[str]
) -> None:
    found = dict(toy[doc])
    assert expected <= set(found), found
    assert doc not in found  # never itself
    scores = [score for _, score in toy[doc]]
    assert scores == sorted(scores, reverse=True) and min(scores) >= RELATED_MIN
    assert len(found) <= RELATED


def test_unrelated_dispatch_has_no_neighbours(
    toy: dict[str, tuple[tuple[str, float], ...]],
) -> None:
    assert "fr-weather" not in toy or not toy["fr-weather"]
    assert all("fr-weather" not in dict(pairs) for pairs in toy.values())


def test_without_translator_only_the_same_language() -> None:
    found = compute_related(TOY_DOCS, None)
    assert {other for other, _ in found["fr"]} == {"fr-later"}


# -- the engine over the web tests' index --------------------------------------------
@pytest.fixture(scope="module")
def engine(index_dir: Path) -> Iterator[SearchEngine]:
    found = SearchEngine(index_dir)
    with found._generation().searcher() as searcher:
        links = links_for(searcher)
        assert links is not None and links.wait(120)
    yield found
    found.close()


@pytest.mark.parametrize(
    ("doc_id", "q", "own_mark", "other_id", "other_mark"),
    [
        # a French query on the French dispatch: the Arabic column marked by its translation
        (FR_SEED, "traite des êtres humains", "traite", AR_SEED, "الاتجار"),
        # the other way round
        (AR_SEED, "الاتجار بالبشر", "الاتجار", FR_SEED, "traite"),
    ],
)
def test_document_with_its_counterpart_marked_in_both(
    engine: SearchEngine, doc_id: str, q: str, own_mark: str, other_mark: str, other_id: str
) -> None:
    view = engine.document(doc_id, q=q)
    assert view.counterpart is not None and view.counterpart.id == other_id
    assert view.counterpart.lang != view.lang
    assert view.counterpart.dir == ("rtl" if view.counterpart.lang == "ar" else "ltr")
    assert f"<mark>{own_mark}" in view.html.lower()
    assert f"<mark>{other_mark}" in view.counterpart.html.lower()
    assert other_id not in {r.id for r in view.related}  # shown beside it, not again below


def test_without_a_query_nothing_is_marked(engine: SearchEngine) -> None:
    view = engine.document(FR_SEED)
    assert view.counterpart is not None and "<mark>" not in view.counterpart.html


def test_related_dispatches_with_dates_in_both_languages(engine: SearchEngine) -> None:
    view = engine.document("agence/2021/port-0")
    assert view.counterpart is None or view.counterpart.lang == "ar"
    langs = {r.lang for r in view.related}
    assert langs == {"fr", "ar"}, view.related
    assert all(r.date and r.title for r in view.related)
    assert "agence/2021/port-0" not in {r.id for r in view.related}


def test_a_dispatch_without_counterpart(engine: SearchEngine) -> None:
    view = engine.document("hostile/xss.txt", q="piratage")
    assert view.counterpart is None


# -- the JSON API on a real server -----------------------------------------------------
@pytest.mark.parametrize(
    ("doc_id", "q", "other_id", "other_mark"),
    [
        (FR_SEED, "traite des êtres humains", AR_SEED, "الاتجار"),
        (AR_SEED, "الاتجار بالبشر", FR_SEED, "traite"),
    ],
)
def test_api_document_has_counterpart_and_related(
    live_server: str, engine: SearchEngine, doc_id: str, q: str, other_id: str, other_mark: str
) -> None:
    with httpx.Client(base_url=live_server, timeout=30) as http:
        body: dict[str, Any] = http.get(f"/api/documents/{doc_id}", params={"q": q}).json()
        other = body["counterpart"]
        assert other["id"] == other_id and other["lang"] != body["lang"]
        assert f"<mark>{other_mark}" in other["html"].lower()
        assert "counterpart" not in other and "related" not in other
        assert isinstance(body["related"], list)
        port = http.get("/api/documents/agence/2021/port-0").json()
        assert port["related"] and {"id", "lang", "dir", "title", "date", "score"} == set(
            port["related"][0]
        )


def test_related_are_persisted_with_the_links(engine: SearchEngine) -> None:
    """A restarted server reads them from translation-links.json instead of recomputing."""
    import json

    from search.links import LINKS_FILE, GenerationLinks

    gen = engine._generation()
    path = gen.directory / LINKS_FILE
    original = path.read_text("utf-8")
    saved = json.loads(original)
    assert saved["related"]["agence/2021/port-0"]
    try:
        with gen.searcher() as searcher:
            again = GenerationLinks(gen.directory, searcher._ix, translate=lambda *_: {})
            saved["stamp"]["lexicon"] = "injected"  # what an injected translator stamps
            path.write_text(json.dumps(saved), "utf-8")
            assert again.wait(120)
            # a translator that links nothing proves these came from the file
            assert again.related_of("agence/2021/port-0") == tuple(
                (other, score) for other, score in saved["related"]["agence/2021/port-0"]
            )
    finally:
        path.write_text(original, "utf-8")
