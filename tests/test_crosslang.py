"""Issue 4's Done-when checks on the real index of ``corpus/`` (seeds, FLORES, TICO).

The real lexicon, the real engine, the API and the page: a French query finds the
Arabic dispatch and the reverse, through the translation shown to the user, with
the translated words highlighted; switching cross-language off or dropping the
translation loses it; both dispatches and the paired FLORES/TICO documents are
linked as translations of each other.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from index import IndexStore, build_index
from search import SearchEngine, validate_request
from search.links import links_for

ROOT = Path(__file__).resolve().parents[1]
FR_SEED, AR_SEED = "000_e39b19ec1737aeb7.txt", "001_67a435615c650090.txt"

#: (query, lang filter, the dispatch it must find, a translated word marked in its snippet,
#:  the translation key shown for the query)
DONE_WHEN = [
    ("traite des êtres humains", "ar", AR_SEED, "الاتجار", "ar:اتجار_بشر"),
    ("الاتجار بالبشر", "fr", FR_SEED, "traite", "fr:trait_etre_humain"),
]


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus, indexed, its translation links computed."""
    where = tmp_path_factory.mktemp("crosslang") / "index"
    stats = build_index(ROOT / "corpus", where)
    assert stats.failed == 0, stats.problems
    links = links_for(IndexStore(where).open()[0])
    assert links is not None and links.wait(300)
    return where


@pytest.fixture(scope="module")
def engine(corpus_index: Path) -> Iterator[SearchEngine]:
    eng = SearchEngine(corpus_index)
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def client(corpus_index: Path) -> Iterator[Any]:
    from litestar.testing import TestClient

    from web.app import create_app
    from web.settings import Settings

    settings = Settings.from_env({}, index_dir=corpus_index, corpus_dir=ROOT / "corpus")
    with TestClient(app=create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def ids(results: Any) -> list[str]:
    return [hit.id for hit in results.hits]


@pytest.mark.parametrize(("q", "lang", "seed", "marked", "key"), DONE_WHEN)
def test_a_query_finds_the_other_languages_dispatch(
    engine: SearchEngine, q: str, lang: str, seed: str, marked: str, key: str
) -> None:
    results = engine.search(validate_request(q, lang=lang))
    assert ids(results)[0] == seed
    hit = results.hits[0]
    assert hit.lang == lang and hit.via_translation
    assert f"<mark>{marked}</mark>" in " ".join(f.html for f in hit.snippets)
    shown = [tr.key for word in results.interpretation.translations for tr in word.translations]
    assert key in shown


@pytest.mark.parametrize(("q", "lang", "seed", "marked", "key"), DONE_WHEN)
def test_cross_language_off_loses_the_dispatch(
    engine: SearchEngine, q: str, lang: str, seed: str, marked: str, key: str
) -> None:
    results = engine.search(validate_request(q, lang=lang, cross="false"))
    assert seed not in ids(results)
    assert results.interpretation.translations == ()


@pytest.mark.parametrize(
    ("q", "lang", "seed", "dropped", "found"),
    [
        # the phrase has one Arabic translation: dropping it leaves nothing to find
        ("traite des êtres humains", "ar", AR_SEED, ("ar:اتجار_بشر",), False),
        # two French translations: dropping "trafic d'êtres humains" keeps "traite des êtres
        # humains", the one the French dispatch uses
        ("الاتجار بالبشر", "fr", FR_SEED, ("fr:trafic_etre_humain",), True),
        # dropping both loses it
        ("الاتجار بالبشر", "fr", FR_SEED, ("fr:trafic_etre_humain", "fr:trait_etre_humain"), False),
    ],
)
def test_dropping_a_translation(
    engine: SearchEngine, q: str, lang: str, seed: str, dropped: tuple[str, ...], found: bool
) -> None:
    import dataclasses

    request = dataclasses.replace(validate_request(q, lang=lang), exclude_translations=dropped)
    results = engine.search(request)
    shown = {tr.key for word in results.interpretation.translations for tr in word.translations}
    assert not shown & set(dropped)
    assert (seed in ids(results)) is found


@pytest.mark.parametrize(
    ("doc_id", "linked"),
    [
        (FR_SEED, (AR_SEED,)),  # no pair id: linked by dates and cross-language similarity
        (AR_SEED, (FR_SEED,)),
        ("flores-dt-0001-fr", ("flores-dt-0001-ar",)),  # declared by pair_id
        ("tico19-CMU_1-ar", ("tico19-CMU_1-fr",)),
    ],
)
def test_linked_translations_on_hits_and_documents(
    engine: SearchEngine, doc_id: str, linked: tuple[str, ...]
) -> None:
    assert engine.document(doc_id).translations == linked
    opening = " ".join(engine.document(doc_id).title.split()[:5])  # a phrase that finds it
    results = engine.search(validate_request(f'"{opening}"', size="50"))
    (hit,) = [h for h in results.hits if h.id == doc_id]
    assert hit.translations == linked


# -- the same through the API and the page --------------------------------------------
@pytest.mark.parametrize(("q", "lang", "seed", "marked", "key"), DONE_WHEN)
def test_api_shows_translation_highlights_and_links(
    client: Any, q: str, lang: str, seed: str, marked: str, key: str
) -> None:
    data = client.get("/api/search", params={"q": q, "lang": lang}).json()
    hit = data["hits"][0]
    assert hit["id"] == seed and hit["via_translation"]
    assert hit["translations"] == [FR_SEED if seed == AR_SEED else AR_SEED]
    assert any(f"<mark>{marked}</mark>" in frag["html"] for frag in hit["snippets"])
    words = data["interpretation"]["translations"]
    assert key in [tr["key"] for word in words for tr in word["translations"]]
    off = client.get("/api/search", params={"q": q, "lang": lang, "cross": "false"}).json()
    assert seed not in [h["id"] for h in off["hits"]]


@pytest.mark.parametrize(
    ("ui", "also_searched", "also_in"),
    [
        ("fr", "Aussi cherché :", "aussi en français"),  # an Arabic hit, French interface
        ("ar", "بحثنا أيضاً عن:", "متوفر أيضاً بالفرنسية"),
    ],
)
def test_page_shows_translations_links_and_drops_without_javascript(
    client: Any, ui: str, also_searched: str, also_in: str
) -> None:
    params = {"q": "traite des êtres humains", "lang": "ar", "ui": ui}
    text = client.get("/", params=params).text
    assert also_searched in text and also_in in text
    assert f'data-id="{AR_SEED}"' in text
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', text)]
    assert any(h.startswith("/doc/") and FR_SEED in h for h in hrefs)  # the "also in" link
    drop = next(h for h in hrefs if "exclude=" in h)  # a plain link drops the translation
    assert parse_qs(urlsplit(drop).query)["exclude"] == ["ar:اتجار_بشر"]
    after = client.get(drop).text
    assert f'data-id="{AR_SEED}"' not in after
    off = next(h for h in hrefs if "cross=false" in h)  # and one switches translation off
    assert f'data-id="{AR_SEED}"' not in client.get(off).text


@pytest.mark.parametrize(
    ("doc_id", "ui", "label", "other"),
    [
        (FR_SEED, "fr", "aussi en arabe", AR_SEED),
        (AR_SEED, "fr", "aussi en français", FR_SEED),
        (AR_SEED, "ar", "متوفر أيضاً بالفرنسية", FR_SEED),
    ],
)
def test_document_page_links_to_the_other_version(
    client: Any, doc_id: str, ui: str, label: str, other: str
) -> None:
    text = client.get(f"/doc/{doc_id}", params={"ui": ui}).text
    assert label in text
    assert f'href="/doc/{other}' in text  # with ?ui=ar when the interface is not the default


@pytest.mark.parametrize(
    "q",
    [
        "enfants OR piratage",  # a word of an OR choice is translated like any other word
        "piratage OR enfants",
        "enfants",
    ],
)
def test_words_of_an_or_choice_are_translated(engine: SearchEngine, q: str) -> None:
    results = engine.search(validate_request(q, lang="ar", size="100"))
    assert "enfants" in [word.word for word in results.interpretation.translations]
    assert AR_SEED in ids(results)


def test_name_vocabularies_hold_the_forms_names_are_matched_on(corpus_index: Path) -> None:
    """French: exact forms (the stemmer cuts names short); Arabic: terms without the article."""
    import time

    from search.generation import Generation

    gen = Generation(IndexStore(corpus_index))
    try:
        deadline = time.monotonic() + 30
        vocab = {lang: gen.vocabulary(lang) for lang in ("fr", "ar")}
        while any(v is None for v in vocab.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
            vocab = {lang: gen.vocabulary(lang) for lang in ("fr", "ar")}
        french, arabic = vocab["fr"], vocab["ar"]
        assert "coordination" in french and "coordin" not in french  # unstemmed forms
        assert "بشر" in arabic and "البشر" not in arabic  # بالبشر / البشر, article off
    finally:
        gen.retire()


def test_the_server_loads_the_lexicon_and_vocabularies_before_the_first_query(
    corpus_index: Path,
) -> None:
    """No query is sent: the first user must not wait for the lexicon or the name indexes."""
    import time

    from litestar.testing import TestClient

    from search.crosslang import TranslatorAdapter
    from web.app import create_app, services_of
    from web.settings import Settings

    settings = Settings.from_env({}, index_dir=corpus_index, corpus_dir=ROOT / "corpus")
    app = create_app(settings)
    engine = services_of(app).engine
    assert isinstance(engine, SearchEngine) and isinstance(engine.cross, TranslatorAdapter)
    assert not engine.cross.ready()  # nothing loaded by building the app
    with TestClient(app=app):
        deadline = time.monotonic() + 30
        gen = engine._generation()

        def loaded() -> bool:
            vocabularies = [gen.vocabulary(kind) for kind in ("fr", "ar")]
            return engine.cross.ready() and all(v is not None for v in vocabularies)

        while time.monotonic() < deadline and not loaded():
            time.sleep(0.05)
        assert engine.cross.ready()
        assert gen.vocabulary("fr") is not None and gen.vocabulary("ar") is not None
        # the name indexes (a second or two on a large archive) are built with them
        translator = engine.cross._get()
        assert all(translator.names_prepared(gen.vocabulary(kind)) for kind in ("fr", "ar"))


def test_the_server_start_loads_the_gazetteer_before_any_query() -> None:
    """``prepare`` (what ``SearchEngine.warm`` calls at start) loads the lexicon and the
    gazetteer in the background: the first cross-language query waited ~1.2 s for it."""
    import time

    from search.crosslang import TranslatorAdapter
    from search.translate import translator

    translator._gazetteer_by_exact.cache_clear()
    translator._gazetteer_starts.cache_clear()
    TranslatorAdapter().prepare()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (
        translator._gazetteer_by_exact.cache_info().currsize
        and translator._gazetteer_starts.cache_info().currsize
    ):
        time.sleep(0.05)
    assert translator._gazetteer_by_exact.cache_info().currsize == 1
    assert translator._gazetteer_starts.cache_info().currsize == 1
