"""SearchEngine on a real Whoosh index: query features, paging, sorting, facets, refresh."""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from index import build_index, update_index
from search import NoTranslation, SearchEngine, SearchResults, validate_request
from search.errors import DocumentNotFound, InvalidQuery, SearchError

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
if not SEEDS.is_dir():
    SEEDS = ROOT / "corpus"
FR_SEED = "000_e39b19ec1737aeb7.txt"
AR_SEED = "001_67a435615c650090.txt"

DOCS = [
    {"id": "p1", "lang": "fr", "date": "2021-03-02", "source": "MAP", "title": "Le port de Tanger",
     "text": "Le port de Tanger Med bat un record. Les conteneurs affluent."},
    {"id": "p2", "lang": "fr", "date": "2022-05", "source": "AFP", "title": "Ports du Maroc",
     "text": "Les ports marocains et le port de Casablanca. Tanger suit."},
    {"id": "p3", "lang": "fr", "date": "2023", "title": "Agriculture",
     "text": "La récolte de blé progresse à Meknès. Aucun port ici."},
    {"id": "p4", "lang": "fr", "title": "Sans date",
     "text": "Un porte-parole du port a parlé. Le port est calme."},
    {"id": "x1", "lang": "fr", "date": "2024-01-01", "title": "Piratage <script>alert(1)</script>",
     "text": "Une alerte <script>alert(1)</script> sur le réseau du port & du quai."},
    {"id": "a1", "lang": "ar", "date": "2022-07-01", "title": "ميناء طنجة المتوسط",
     "text": "سجل ميناء طنجة المتوسط رقما قياسيا. الحاويات تتدفق على الميناء."},
    {"id": "a2", "lang": "ar", "date": "2023-02-01", "title": "مسؤولية الحكومة",
     "text": "أكدت الحكومة مسؤوليتها عن الميناء. وقال الوزير إن الموانئ مهمة."},
]  # fmt: skip


def write_corpus(folder: Path, docs: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for seed in (FR_SEED, AR_SEED):
        shutil.copy(SEEDS / seed, folder / seed)
    lines = "\n".join(json.dumps(d, ensure_ascii=False) for d in docs)
    (folder / "docs.jsonl").write_text(lines + "\n", "utf-8")


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("engine")
    write_corpus(root / "corpus", DOCS)
    build_index(root / "corpus", root / "index")
    return root / "index"


@pytest.fixture(scope="module")
def engine(index_dir: Path) -> Iterator[SearchEngine]:
    eng = SearchEngine(index_dir, cross_language=NoTranslation())
    yield eng
    eng.close()


def run(engine: SearchEngine, q: str, **params: str) -> SearchResults:
    return engine.search(validate_request(q, **{"cross": "false", **params}))


def ids(results: SearchResults) -> list[str]:
    return [h.id for h in results.hits]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Tanger", {"p1", "p2"}),
        ("port Tanger", {"p1", "p2"}),  # match=all: every word required
        ("ports", {"p1", "p2", "p3", "p4", "x1"}),  # stemmed: ports → port
        ("Tanger OR Casablanca", {"p1", "p2"}),
        ("récolte ou conteneurs", {"p1", "p3"}),  # French OR
        ('"port de Tanger"', {"p1"}),  # exact phrase with a stop word
        ('"port de Casablanca"', {"p2"}),
        ("port -Tanger", {"p3", "p4", "x1"}),
        ('port -"port de Tanger"', {"p2", "p3", "p4", "x1"}),
        ("(Tanger OR Meknès) -Casablanca", {"p1", "p3"}),
        ("conten*", {"p1"}),  # prefix on exact forms
        ("title:port", {"p1", "p2"}),  # titles are stemmed too: "Ports du Maroc"
        ("titre:Tanger", {"p1"}),
        ("port lang:fr source:afp", {"p2"}),
        ("port date:2021", {"p1"}),
        ("port date:2021..2022", {"p1", "p2"}),
        ("port date:>2022", {"p3", "x1"}),  # 2023 and 2024
        ("port date:<2022-05", {"p1"}),
        ("ميناء", {"a1", "a2"}),
        ("الميناء", {"a1", "a2"}),  # article stripped by the stemmer
        ("مسؤولية", {"a2"}),
        ("مسئولية", {"a2"}),  # hamza seat variant normalised
        ("مَسْؤُولِيَّة", {"a2"}),  # fully voweled
        ("porte-parole", {"p4"}),  # hyphenated word: both parts
        ("les du", {"p2", FR_SEED}),  # stop words only: matched as written, both required
        ("port\x00\u202e", {"p1", "p2", "p3", "p4", "x1"}),  # control characters dropped
    ],
)
def test_query_features(engine: SearchEngine, q: str, expected: set[str]) -> None:
    # the strict conjunction (match=all), where every word narrows the results
    assert set(ids(run(engine, q, size="50", match="all"))) == expected


#: The best-match rule (search.matching), one row per rule: the hits that must come
#: first (in any order among themselves), every other hit, and hits that must not come.
BEST_MATCH = [
    # short queries: complete matches first, partial ones after (not dropped)
    ("port Tanger", {"p1", "p2"}, {"p3", "p4", "x1"}, set()),
    ("ميناء طنجة", {"a1"}, {"a2"}, set()),
    # a word no document has does not empty the results (nor count in coordination)
    ("Tanger Agadir", {"p1", "p2"}, set(), set()),
    ("طنجة أكادير", {"a1"}, set(), set()),
    # + and AND make a word required
    ("+Casablanca port", {"p2"}, set(), {"p1", "p3", "p4", "x1"}),
    ("port AND Casablanca", {"p2"}, set(), {"p1", "p3", "p4", "x1"}),
    ("+مسؤولية ميناء", {"a2"}, set(), {"a1"}),
    # an exclusion stays absolute
    ("port -Tanger", {"p3", "p4", "x1"}, set(), {"p1", "p2"}),
    ("ميناء -طنجة", {"a2"}, set(), {"a1"}),
    # a query that is one quoted phrase is an exact phrase search…
    ('"port de Tanger"', {"p1"}, set(), {"p2", "p3", "p4", "x1"}),
    ('"ميناء طنجة"', {"a1"}, set(), {"a2"}),
    # …relaxed into its words when no dispatch has it word for word
    ('"Tanger port de Casablanca"', {"p2"}, {"p1", "p3", "p4", "x1"}, set()),
    # a phrase inside a longer query counts by its words, the phrase on top
    ('"port de Casablanca" Tanger', {"p2"}, {"p1"}, set()),
    ('conteneurs "port de Rabat"', {"p1"}, {"p2", "p3", "p4", "x1"}, set()),
    # a pasted sentence: the dispatch with most of its (rarer) words first
    ("Le port de Tanger Med bat un nouveau record historique", {"p1"}, {"p2"}, set()),
    ("سجل ميناء طنجة رقما قياسيا جديدا هذا العام", {"a1"}, {"a2"}, set()),
    # a hyphenated word is two clauses: the document with both first
    ("porte-parole", {"p4"}, set(), set()),
]


@pytest.mark.parametrize(("q", "first", "others", "never"), BEST_MATCH)
def test_best_match_semantics(
    engine: SearchEngine, q: str, first: set[str], others: set[str], never: set[str]
) -> None:
    found = ids(run(engine, q, size="50"))
    assert set(found[: len(first)]) == first, found
    assert others <= set(found[len(first) :]), found
    assert not never & set(found), found


def test_plain_or_has_no_tiers(engine: SearchEngine) -> None:
    # match=any is a plain OR of the clauses: every document with either word
    found = set(ids(run(engine, "port Casablanca", size="50", match="any")))
    assert found == {"p1", "p2", "p3", "p4", "x1"}


def test_relaxed_phrase_is_told(engine: SearchEngine) -> None:
    results = run(engine, '"Tanger port de Casablanca"')
    notes = " ".join(results.interpretation.notes)
    assert "word for word" in notes and results.total > 1


def test_interpretation_names_required_and_optional(engine: SearchEngine) -> None:
    interp = run(engine, '+Casablanca port "Tanger Med"').interpretation
    assert interp.match == "best"
    assert interp.required == ("+Casablanca",)
    assert interp.optional == ("port", '"Tanger Med"')


def test_exact_form_ranks_above_stemmed(engine: SearchEngine) -> None:
    results = run(engine, "ports")
    assert results.hits[0].id == "p2"  # the only document with the exact form "ports"


def test_title_ranks_above_body(engine: SearchEngine) -> None:
    assert ids(run(engine, "Tanger"))[0] == "p1"  # Tanger in the title


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("?!…؟", "no word"),
        ("-port", "only excludes"),
        ("p*", "too short"),
    ],
)
def test_invalid_queries(engine: SearchEngine, q: str, message: str) -> None:
    with pytest.raises(InvalidQuery) as err:
        run(engine, q)
    assert message in err.value.message


# -- bounded query time: pathological queries answer with a 400 or a flagged result ------
PREFIXES = " ".join(f"{a}{b}*" for a in "pcmtr" for b in "aeiou")  # 25 two-letter prefixes


@pytest.mark.parametrize(
    ("q", "error"),
    [
        (" ".join(["a*", "b*", "c*"] * 334), "at most 1000"),  # a thousand wildcards
        ("port " * 2000, "at most 1000"),  # a 10,000-character query
        ("(" * 40 + "port" + ")" * 40, "nested more than"),  # parser recursion
        ("p* port", "too short"),  # one-letter prefix: would expand to everything
    ],
)
def test_pathological_queries_are_refused(engine: SearchEngine, q: str, error: str) -> None:
    with pytest.raises(SearchError) as err:
        run(engine, q)
    assert error in err.value.message


@pytest.mark.parametrize(
    ("q", "limits", "note", "subset"),
    [
        # more words than MAX_WORDS: one note, the first 64 searched (the others ignored)
        (" ".join(["port"] * 70), {}, "6 words ignored", False),
        (PREFIXES + " " + PREFIXES + " " + PREFIXES, {}, "words ignored", False),
        # the query-wide cap on expanded prefix terms: the prefixes past it are ignored
        ("po* co* ta*", {"search.compile.MAX_PREFIX_TERMS": 1}, "too many prefixes", False),
        ("po*", {"search.compile.MAX_PREFIX_TERMS": 1}, "only the 1 most common", True),
        # the per-prefix cap
        ("po*", {"search.generation.MAX_EXPANSION": 1}, "only the 1 most common", True),
        # the time limit on collection: stopped at once, flagged, never a wrong match
        ("port OR Tanger", {"search.engine.TIME_LIMIT_S": -1.0}, "results are partial", True),
        ("port -Tanger", {"search.engine.TIME_LIMIT_S": -1.0}, "results are partial", True),
        ('"port de Tanger" OR port', {"search.engine.TIME_LIMIT_S": -1.0}, "partial", True),
    ],
)
def test_pathological_queries_are_truncated_and_flagged(
    index_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    q: str,
    limits: dict[str, float],
    note: str,
    subset: bool,
) -> None:
    full = SearchEngine(index_dir, cross_language=NoTranslation())
    try:
        complete = {h.id for h in run(full, q, size="50").hits}
    finally:
        full.close()
    for target, value in limits.items():
        monkeypatch.setattr(target, value)
    fresh = SearchEngine(index_dir, cross_language=NoTranslation())  # no cached expansion
    try:
        results = run(fresh, q, size="50")
    finally:
        fresh.close()
    assert any(note in n for n in results.interpretation.notes), results.interpretation.notes
    if subset:  # truncated, not widened: every result still matches the whole query
        assert {h.id for h in results.hits} <= complete


def test_paging(engine: SearchEngine) -> None:
    all_ids = ids(run(engine, "port", size="50"))
    pages = [ids(run(engine, "port", size="2", page=str(p))) for p in (1, 2, 3)]
    assert [i for page in pages for i in page] == all_ids[:6]
    assert run(engine, "port", size="2").total == len(all_ids)
    assert run(engine, "port", size="2", page="50").hits == ()


def test_sort_by_date_newest_first_undated_last(engine: SearchEngine) -> None:
    results = run(engine, "port", sort="date", lang="fr", size="50")
    dated = [h.date for h in results.hits]
    assert ids(results)[0] == "x1"  # 2024-01-01
    assert dated[-1] is None  # p4 has no date
    assert [d for d in dated if d] == sorted([d for d in dated if d], reverse=True)


def test_request_date_range(engine: SearchEngine) -> None:
    assert set(ids(run(engine, "port", date_from="2022", date_to="2023"))) == {"p2", "p3"}


def test_facets_lang_ignores_lang_filter_year_honours_it(engine: SearchEngine) -> None:
    results = run(engine, "Tanger OR طنجة", lang="ar")
    assert {f.value: f.count for f in results.facets.lang} == {"fr": 2, "ar": 1}
    assert {f.value: f.count for f in results.facets.year} == {"2022": 1}
    assert results.total == 1 and results.hits[0].dir == "rtl"


def test_hit_fields(engine: SearchEngine) -> None:
    hit = run(engine, "conteneurs").hits[0]
    assert (hit.id, hit.lang, hit.dir, hit.date, hit.source) == (
        "p1",
        "fr",
        "ltr",
        "2021-03-02",
        "map",
    )
    assert hit.snippets and "<mark>conteneurs</mark>" in hit.snippets[0].html


def test_interpretation(engine: SearchEngine) -> None:
    interp = run(engine, '"port de" Tanger lang:fr date:2021', date_to="2024").interpretation
    assert interp.query == '"port de" Tanger lang:fr date:2021..2021'
    assert '"port de"' in interp.terms and "tang" in interp.terms
    assert interp.filters == {"lang": "fr", "date": "2021..2021 ..2024"}


def test_escaping_in_snippets_and_document(engine: SearchEngine) -> None:
    hit = run(engine, "alerte").hits[0]
    html = hit.snippets[0].html
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    view = engine.document("x1", q="piratage")
    assert "<script>" not in view.title_html and "<mark>Piratage</mark>" in view.title_html


def test_document_not_found(engine: SearchEngine) -> None:
    with pytest.raises(DocumentNotFound) as err:
        engine.document("nope")
    assert "nope" in err.value.message


def test_done_when_seeds_found_first_with_highlights(engine: SearchEngine) -> None:
    fr = run(engine, "traite des êtres humains")
    assert fr.hits[0].id == FR_SEED
    assert (
        "<mark>traite</mark> des <mark>êtres</mark> <mark>humains</mark>"
        in fr.hits[0].snippets[0].html
    )
    ar = run(engine, "الاتجار بالبشر")
    assert ar.hits[0].id == AR_SEED
    assert "<mark>الاتجار</mark> <mark>بالبشر</mark>" in ar.hits[0].snippets[0].html


def test_status(engine: SearchEngine) -> None:
    status = engine.status()
    assert status["documents"] == len(DOCS) + 2
    assert status["by_lang"] == {"fr": 6, "ar": 3}
    assert status["generation"] >= 1 and status["analysis_version"]


def test_threads_share_the_engine(engine: SearchEngine) -> None:
    errors: list[BaseException] = []
    totals: list[int] = []

    def work() -> None:
        try:
            for _ in range(20):
                totals.append(run(engine, "port").total)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and set(totals) == {5}


def test_refresh_after_update_without_new_engine(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", DOCS)
    build_index(tmp_path / "corpus", tmp_path / "index")
    engine = SearchEngine(tmp_path / "index", cross_language=NoTranslation())
    try:
        assert run(engine, "zanzibar").total == 0
        new = {"id": "z1", "lang": "fr", "title": "Zanzibar", "text": "Escale à Zanzibar."}
        write_corpus(tmp_path / "corpus", [*DOCS, new])
        update_index(tmp_path / "corpus", tmp_path / "index")
        assert ids(run(engine, "zanzibar")) == ["z1"]
    finally:
        engine.close()


# -- cross-language: an in-test lexicon through the real adapter --------------------------
def tiny_cross_language() -> object:
    translate = pytest.importorskip(
        "search.translate.translator", reason="search.translate not installed: monolingual only"
    )
    from search.crosslang import TranslatorAdapter
    from search.translate.lexicon import Lexicon

    rows = [
        ("fr", "port", "ميناء", 0.8, "test", "ميناء"),
        ("fr", "port", "مرفا", 0.2, "test", "مرفأ"),
        ("ar", "ميناء", "port", 1.0, "test", "port"),
    ]
    return TranslatorAdapter(translate.QueryTranslator(Lexicon.from_rows(rows)))


@pytest.fixture(scope="module")
def cross_engine(index_dir: Path) -> Iterator[SearchEngine]:
    eng = SearchEngine(index_dir, cross_language=tiny_cross_language())  # type: ignore[arg-type]
    yield eng
    eng.close()


def test_french_query_finds_arabic_through_translation(cross_engine: SearchEngine) -> None:
    results = cross_engine.search(validate_request("port", lang="ar", cross="true"))
    assert set(ids(results)) == {"a1", "a2"}
    assert all(h.via_translation for h in results.hits)
    assert any("<mark>" in f.html for h in results.hits for f in h.snippets)
    (word,) = results.interpretation.translations
    assert word.word == "port" and word.translations[0].key == "ar:ميناء"


def test_cross_off_and_dropped_translation(cross_engine: SearchEngine) -> None:
    assert cross_engine.search(validate_request("port", lang="ar", cross="false")).total == 0
    request = validate_request("port", lang="ar", cross="true")
    dropped = dataclasses.replace(request, exclude_translations=("ar:ميناء",))
    assert cross_engine.search(dropped).total == 0


def test_both_languages_merged_fairly(cross_engine: SearchEngine) -> None:
    results = cross_engine.search(validate_request("port", cross="true", size="20"))
    langs = [h.lang for h in results.hits]
    assert langs[0] == "fr" and "ar" in langs[:4]  # the best Arabic hit is not drowned
    assert not results.hits[0].via_translation


def test_a_translated_word_weighs_like_a_kept_one(tmp_path: Path) -> None:
    """One Arabic document has the translation of "port", the other the number the
    query keeps as it is; same length, each word once in the collection: neither
    reason to match may count double."""
    filler = "نص قصير عن موضوع عام في المدينة"
    docs = [
        {"id": "t", "lang": "ar", "title": "", "text": f"{filler} ميناء"},
        {"id": "n", "lang": "ar", "title": "", "text": f"{filler} 1987"},
        {"id": "x", "lang": "ar", "title": "", "text": f"{filler} سوق"},
    ]
    write_corpus(tmp_path / "corpus", docs)
    build_index(tmp_path / "corpus", tmp_path / "index")
    cross = tiny_cross_language()
    engine = SearchEngine(tmp_path / "index", cross_language=cross)  # type: ignore[arg-type]
    try:
        results = engine.search(validate_request("port OR 1987", lang="ar", cross="true"))
        scores = {hit.id: hit.score for hit in results.hits}
        assert set(scores) == {"t", "n"}
        assert scores["t"] == pytest.approx(scores["n"], rel=0.15)
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("rows", "found"),
    [
        # single words among the alternatives: a document with "PIB" alone matches
        ([("pib", 0.5), ("produit interieur brut", 0.5)], {"short", "long"}),
        # every alternative a phrase: its words are all required, as in a phrase
        ([("produit interieur brut", 1.0)], {"long"}),
    ],
)
def test_a_words_translations_are_alternatives(
    tmp_path: Path, rows: list[tuple[str, float]], found: set[str]
) -> None:
    translate = pytest.importorskip("search.translate.translator")
    from search.crosslang import TranslatorAdapter
    from search.translate.lexicon import Lexicon

    lexicon = Lexicon.from_rows([("ar", "ناتج", t, w, "test", t) for t, w in rows])
    cross = TranslatorAdapter(translate.QueryTranslator(lexicon))
    docs = [
        {"id": "short", "lang": "fr", "title": "", "text": "Le PIB du pays a augmenté."},
        {"id": "long", "lang": "fr", "title": "", "text": "Le produit intérieur brut a augmenté."},
        {"id": "other", "lang": "fr", "title": "", "text": "Le pays a augmenté ses ventes."},
    ]
    write_corpus(tmp_path / "corpus", docs)
    build_index(tmp_path / "corpus", tmp_path / "index")
    engine = SearchEngine(tmp_path / "index", cross_language=cross)
    try:
        results = engine.search(validate_request("ناتج", lang="fr", cross="true"))
        assert set(ids(results)) == found
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("lang", "near", "far", "q"),
    [
        # the same words, as many times, in documents of the same length: only where they
        # stand differs (side by side in the lead, or scattered past it)
        (
            "fr",
            "barrage inondation vallée",
            "barrage {} inondation {} vallée",
            "barrage inondation",
        ),
        ("ar", "سد فيضان وادي", "سد {} فيضان {} وادي", "سد فيضان"),
    ],
)
def test_words_near_each_other_in_the_lead_rank_first(
    tmp_path: Path, lang: str, near: str, far: str, q: str
) -> None:
    filler = " ".join(["mot"] * 60) if lang == "fr" else " ".join(["كلمة"] * 60)
    docs = [  # "far" first: a tie would keep it first
        {"id": "far", "lang": lang, "title": "", "text": far.format(filler, filler)},
        {"id": "near", "lang": lang, "title": "", "text": f"{near} {filler} {filler}"},
    ]
    write_corpus(tmp_path / "corpus", docs)
    build_index(tmp_path / "corpus", tmp_path / "index")
    engine = SearchEngine(tmp_path / "index", cross_language=NoTranslation())
    try:
        best = [h.id for h in engine.search(validate_request(q, cross="false")).hits]
        plain = engine.search(validate_request(q, cross="false", match="any")).hits
    finally:
        engine.close()
    assert best[:2] == ["near", "far"]
    scores = {h.id: h.score for h in plain}
    assert scores["near"] == pytest.approx(scores["far"])  # BM25F alone cannot tell them apart
