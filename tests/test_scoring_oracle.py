"""Oracle: the array evaluator ranks like Whoosh's own BM25F searcher on a real index.

Why: :mod:`search.scoring` reads postings by reaching into Whoosh's codec internals
and recomputes BM25F itself; a change in either would silently change rankings.
Random plain word queries (seeded) over the bundled corpus are run both ways: the
same top 10 (ties may swap), the same scores to 1e-9.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from whoosh import query as wq

from index import IndexStore, build_index
from search.evaluate import Evaluator
from search.matching import BestMatch
from search.scoring import Statistics
from search.translate.psq import PSQTerm

ROOT = Path(__file__).resolve().parents[1]
FIELD = "body"
QUERIES = 40


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("oracle")
    build_index(ROOT / "corpus", root / "index")
    index, _ = IndexStore(root / "index").open()
    with index.searcher() as s:
        yield s


@pytest.fixture(scope="module")
def vocabulary(searcher: Any) -> list[str]:
    reader = searcher.reader()
    words = [t.decode("utf-8") if isinstance(t, bytes) else t for t in reader.lexicon(FIELD)]
    # words of a few documents at least: a query of hapaxes ties everywhere
    return sorted(w for w in words if reader.doc_frequency(FIELD, w) >= 3)


def _ours(searcher: Any, q: wq.Query) -> list[tuple[int, float]]:
    stats = Statistics(searcher)
    docs, scores = Evaluator(stats, searcher, time.perf_counter() + 30).run(q)
    pairs = list(zip(docs.tolist(), scores.tolist(), strict=True))
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def _whoosh(searcher: Any, q: wq.Query, limit: int = 10) -> list[tuple[int, float]]:
    return [(hit.docnum, hit.score) for hit in searcher.search(q, limit=limit)]


def _same_top(ours: list[tuple[int, float]], theirs: list[tuple[int, float]]) -> None:
    top = ours[: len(theirs)]
    assert len(top) == len(theirs)
    assert [s for _, s in top] == pytest.approx([s for _, s in theirs], rel=1e-9, abs=1e-9)
    if not theirs:
        return
    # documents strictly above the last score are the same set (ties at the cut may differ)
    last = theirs[-1][1]
    above = {d for d, s in top if s > last + 1e-9}
    assert above == {d for d, s in theirs if s > last + 1e-9}


def _queries(vocabulary: list[str]) -> list[list[str]]:
    rng = random.Random(14)
    return [rng.sample(vocabulary, rng.randint(1, 4)) for _ in range(QUERIES)]


def test_vocabulary_is_large_enough(vocabulary: list[str]) -> None:
    assert len(vocabulary) > 200


@pytest.mark.parametrize("n", range(QUERIES))
def test_or_of_terms_ranks_like_whoosh(searcher: Any, vocabulary: list[str], n: int) -> None:
    words = _queries(vocabulary)[n]
    q = wq.Or([wq.Term(FIELD, w) for w in words])
    _same_top(_ours(searcher, q), _whoosh(searcher, q))
    # the best-match node without coordination is the same OR
    best = BestMatch([wq.Term(FIELD, w) for w in words], [False] * len(words), coordinate=False)
    _same_top(_ours(searcher, best), _whoosh(searcher, q))


def test_and_ranks_like_whoosh(searcher: Any, vocabulary: list[str]) -> None:
    reader = searcher.reader()
    common = sorted(vocabulary, key=lambda w: -reader.doc_frequency(FIELD, w))[:12]
    checked = 0
    for a, b in pairwise(common):
        q = wq.And([wq.Term(FIELD, a), wq.Term(FIELD, b)])
        theirs = _whoosh(searcher, q, limit=None)
        ours = _ours(searcher, q)
        assert len(ours) == len(theirs)
        _same_top(ours, theirs[:10])
        checked += bool(theirs)
    assert checked


def test_and_not_ranks_like_whoosh(searcher: Any, vocabulary: list[str]) -> None:
    reader = searcher.reader()
    common = sorted(vocabulary, key=lambda w: -reader.doc_frequency(FIELD, w))[:6]
    q = wq.AndNot(wq.Term(FIELD, common[0]), wq.Term(FIELD, common[1]))
    theirs = _whoosh(searcher, q, limit=None)
    ours = _ours(searcher, q)
    assert theirs and len(ours) == len(theirs)
    _same_top(ours, theirs[:10])


def test_psq_term_scores_like_its_whoosh_matcher(searcher: Any, vocabulary: list[str]) -> None:
    """The PSQ mixture: array evaluation and ``PSQMatcher`` share one formula."""
    rng = random.Random(6)
    for _ in range(10):
        words = rng.sample(vocabulary, 3)
        q = PSQTerm(FIELD, [(words[0], 0.6), (words[1], 0.3), (words[2], 0.1)])
        ours = _ours(searcher, q)
        theirs = _whoosh(searcher, q, limit=None)
        assert len(ours) == len(theirs)
        _same_top(ours, theirs[:10])


def test_formulas_are_whooshs_scalar_and_array() -> None:
    """One home for BM25: the scalar and array versions equal Whoosh's ``bm25``."""
    import numpy as np
    from whoosh.scoring import bm25 as whoosh_bm25

    from search import scoring

    rng = random.Random(3)
    tf = np.array([rng.uniform(0.1, 20) for _ in range(50)])
    length = np.array([float(rng.randint(1, 900)) for _ in range(50)])
    idf = scoring.idf(30_000, 120.5)
    array = scoring.bm25_array(idf, tf, length, 212.3, 0.75, 1.2)
    for t, n, a in zip(tf.tolist(), length.tolist(), array.tolist(), strict=True):
        expected = whoosh_bm25(idf, t, n, 212.3, 0.75, 1.2)
        assert scoring.bm25(idf, t, n, 212.3, 0.75, 1.2) == expected
        assert a == pytest.approx(expected, rel=1e-12)
    assert scoring.psq_mixture([0.5, 0.25], [10, 4]) == 6.0


def _combine_by_dict(
    parts: list[dict[int, float]], required: list[bool], idf: Any, coordinate: bool
) -> dict[int, float]:
    """The dictionary implementation the array ``combine`` replaced: the oracle of the rule."""
    from search.matching import COORD_POWER, PARTIAL_CEILING, SHORT_QUERY

    must = [p for p, r in zip(parts, required, strict=True) if r]
    if any(not p for p in must):
        return {}
    candidates: set[int] | None = None
    for p in sorted(must, key=len):
        candidates = set(p) if candidates is None else candidates.intersection(p)
    present = [(p, idf(len(p))) for p in parts if p]
    if not present:
        return {}
    score: dict[int, float] = {}
    weight: dict[int, float] = {}
    for p, w in present:
        for d, s in p.items():
            if candidates is not None and d not in candidates:
                continue
            score[d] = score.get(d, 0.0) + s
            weight[d] = weight.get(d, 0.0) + w
    if not coordinate:
        return score
    total = sum(w for _, w in present)
    out = {d: s * (weight[d] / total) ** COORD_POWER for d, s in score.items()}
    if SHORT_QUERY >= len(present) > 1:
        complete = total * (1 - 1e-9)
        full = [s for d, s in out.items() if weight[d] >= complete]
        partial = [s for d, s in out.items() if weight[d] < complete]
        if full and partial and max(partial) > PARTIAL_CEILING * min(full):
            scale = PARTIAL_CEILING * min(full) / max(partial)
            for d in out:
                if weight[d] < complete:
                    out[d] *= scale
    return out


@pytest.mark.parametrize("seed", range(30))
def test_combine_matches_the_dictionary_rule(seed: int) -> None:
    """Best match (coordination, short-query tiers, required clauses) on random vectors."""
    import numpy as np

    from search.matching import combine
    from search.scoring import idf

    rng = random.Random(seed)
    size = rng.choice([50, 400, 5000])
    clauses = rng.randint(1, 6)
    parts: list[dict[int, float]] = []
    for _ in range(clauses):
        docs = rng.sample(range(size), rng.randint(0, size // 3))
        parts.append({d: rng.uniform(0.1, 9.0) for d in docs})
    required = [rng.random() < 0.2 for _ in range(clauses)]
    coordinate = rng.random() < 0.8

    def weight(n: int) -> float:
        return idf(size, n)

    vectors = []
    for p in parts:
        docs = np.array(sorted(p), dtype=np.int64)
        vectors.append((docs, np.array([p[d] for d in docs.tolist()], dtype=np.float64)))
    docs, scores = combine(vectors, required, weight, coordinate)
    expected = _combine_by_dict(parts, required, weight, coordinate)
    assert docs.tolist() == sorted(expected)
    assert scores.tolist() == pytest.approx([expected[d] for d in docs.tolist()], rel=1e-12)


# -- the evaluator's tidy step against Whoosh's normalize ----------------------------------
#: Queries as typed, through the engine: what the compiler builds from them is what
#: :func:`search.tidy.tidy` must treat as Whoosh's ``normalize`` would.
TYPED = [
    "traite des êtres humains",
    "الاتجار بالبشر",
    "protection des enfants sur internet",  # cross-language: PSQ translations
    "ما هي الجهة التي تنسق مكافحة الاتجار بالبشر في المغرب؟",
    "enfants enfants enfant",  # a repeated word: one clause each, one leaf per Or
    '"traite des êtres humains" Maroc',  # phrase in a longer query: bonus clause
    "+traite enfants -Maroc",  # required and excluded
    "trai* OR enfan*",  # prefixes: Whoosh's own normalize for what tidy does not know
    "traite AND enfants",
    "« Faisons de la protection de nos enfants contre l'exploitation sur internet »",
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from search import SearchEngine

    root = tmp_path_factory.mktemp("tidy")
    build_index(ROOT / "corpus", root / "index")
    engine = SearchEngine(root / "index")
    yield engine
    engine.close()


@pytest.mark.parametrize("typed", TYPED)
def test_tidy_scores_like_whoosh_normalize(engine: Any, typed: str) -> None:
    from search import SearchRequest
    from search.tidy import tidy

    seen: list[wq.Query] = []
    original = Evaluator.run

    def record(self: Evaluator, query: wq.Query) -> Any:
        seen.append(query)
        return original(self, query)

    Evaluator.run = record  # type: ignore[method-assign]
    try:
        engine.search(SearchRequest(q=typed))
    finally:
        Evaluator.run = original  # type: ignore[method-assign]
    assert seen
    with engine._generation().searcher() as s:
        stats = Statistics(s)
        for query in seen:
            ours = Evaluator(stats, s, time.perf_counter() + 30)._eval(tidy(query))
            theirs = Evaluator(stats, s, time.perf_counter() + 30)._eval(query.normalize())
            assert ours[0].tolist() == theirs[0].tolist()
            assert ours[1].tolist() == pytest.approx(theirs[1].tolist(), rel=1e-12)


def _handmade(a: str, b: str, c: str) -> list[wq.Query]:
    t = [wq.Term(FIELD, w) for w in (a, b, c)]
    null = wq.NullQuery
    return [
        wq.Or([t[0], t[0], t[1]]),  # a repeated leaf counts once in Whoosh
        wq.Or([wq.Or([t[0], t[1]]), t[2], wq.Or([t[1]])]),  # nested: flattened, deduped
        wq.Or([wq.Or([t[0], t[1]], boost=2.0), t[1]]),  # a boosted child is not flattened
        wq.And([t[0], null]),  # Whoosh drops a Null conjunct (no requirement), not the And
        wq.Or([null, t[1]]),
        wq.AndNot(t[0], null),
        wq.AndMaybe(null, t[1]),
        wq.AndMaybe(wq.Or([t[0], t[0]]), wq.Or([t[1], null])),
        wq.Or([t[0]], boost=3.0),  # a single child keeps the boost
    ]


@pytest.mark.parametrize("case", range(9))
def test_tidy_on_handmade_trees(searcher: Any, vocabulary: list[str], case: int) -> None:
    from search.tidy import tidy

    query = _handmade(*random.Random(case).sample(vocabulary, 3))[case]
    stats = Statistics(searcher)
    ours = Evaluator(stats, searcher, time.perf_counter() + 30)._eval(tidy(query))
    theirs = Evaluator(stats, searcher, time.perf_counter() + 30)._eval(query.normalize())
    assert ours[0].tolist() == theirs[0].tolist()
    assert ours[1].tolist() == pytest.approx(theirs[1].tolist(), rel=1e-12)
