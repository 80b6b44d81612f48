"""The time budget of one search (search/budget.py), on a real index and a real server.

The index is built for the worst case the issue measured: six French and three
Arabic two-letter prefixes, each the start of hundreds of distinct words, so a
query like ``ba* OR ki* OR mu* …`` has much to expand, read and score. A time
limit far below what that takes (``time_limit`` of the engine, or
``FIHRIS_TIME_LIMIT`` for the server and the CLI) must give ``partial: true``,
one note per cut stage naming it, some results (each one a real match of the
whole query), and never an error; a query within its limit is not partial.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AR_PREFIXES, FR_PREFIXES, ROOT, free_port, worst_case_docs
from test_http import run_server

from search import NoTranslation, SearchEngine, SearchResults, validate_request
from search.budget import DEGRADED, Budget
from search.compile import MAX_PREFIX_TERMS
from search.generation import MAX_EXPANSION

WORST_FR = " OR ".join(f"{p}*" for p in FR_PREFIXES)
WORST_AR = " OR ".join(f"{p}*" for p in AR_PREFIXES)
TINY = 1e-9  # seconds: every stage finds its deadline passed


def search(index: Path, q: str, time_limit: float | None = None, **params: str) -> SearchResults:
    """``q`` on a fresh engine (cold caches: nothing expanded or read before)."""
    engine = SearchEngine(index, cross_language=NoTranslation(), time_limit=time_limit)
    try:
        return engine.search(validate_request(q, **{"cross": "false", "size": "50", **params}))
    finally:
        engine.close()


def stage_notes(results: SearchResults) -> set[str]:
    """The stages the notes say were cut, e.g. ``{"expansion", "evaluation"}``."""
    notes = results.interpretation.notes
    return {stage for stage in DEGRADED for note in notes if f"({stage}): " in note}


def matches(text: str, q: str) -> bool:
    """Does a document's text hold ``q``'s word, or one starting with one of its prefixes?"""
    starts = tuple(p.rstrip("*") for p in q.split(" OR "))
    return any(w.startswith(starts) if "*" in q else w == q for w in text.split())


@pytest.mark.parametrize(
    ("q", "stages"),
    [
        # six prefixes of 300 forms each: the scan stops after its floor, the Or after
        # its first child; snippets are then left out
        (WORST_FR, {"expansion", "evaluation", "snippets"}),
        (WORST_AR, {"expansion", "evaluation", "snippets"}),
        # a plain word: nothing to expand; the evaluation's first clause is read anyway
        ("port", {"snippets"}),
    ],
)
def test_a_tiny_time_limit_gives_partial_results_naming_the_cut_stages(
    worst_index: tuple[Path, Path], q: str, stages: set[str]
) -> None:
    _, index = worst_index
    complete = search(index, q)
    assert not complete.partial and not stage_notes(complete)
    cut = search(index, q, time_limit=TINY)
    assert cut.partial
    assert stages <= stage_notes(cut), cut.interpretation.notes
    assert cut.hits, "a late search still returns some results"
    # truncated, never widened: every result of the cut search is a result of the full one
    assert cut.total <= complete.total
    texts = {d["id"]: f"{d['title']} {d['text']}" for d in worst_case_docs()}
    for hit in cut.hits:
        assert matches(texts[hit.id], q), (hit.id, q)


def test_an_exclusion_cut_short_returns_nothing_rather_than_what_it_excludes(
    worst_index: tuple[Path, Path],
) -> None:
    """``port -ba*`` with ba* half expanded would show documents holding a ba- word."""
    _, index = worst_index
    full = search(index, "port -ba*")
    cut = search(index, "port -ba*", time_limit=TINY)
    assert full.total and not full.partial
    assert cut.partial and "exclusion" in stage_notes(cut) and cut.total == 0


@pytest.mark.parametrize(
    ("q", "note"),
    [
        # 50 forms per prefix (MAX_EXPANSION), 150 a query (MAX_PREFIX_TERMS): the fourth
        # prefix finds the query's share spent
        (WORST_FR, "'si*' ignored: the query has too many prefixes"),
        (WORST_FR, f"'ba*' matches many words: only the {MAX_EXPANSION} most common"),
        (WORST_AR, f"'ال*' matches many words: only the {MAX_EXPANSION} most common"),
        ("ba*", f"'ba*' matches many words: only the {MAX_EXPANSION} most common"),
    ],
)
def test_expanded_terms_are_capped_per_query_with_a_note(
    worst_index: tuple[Path, Path], q: str, note: str
) -> None:
    assert MAX_PREFIX_TERMS == 3 * MAX_EXPANSION  # the table's arithmetic
    results = search(worst_index[1], q)
    assert note in results.interpretation.notes, results.interpretation.notes
    assert not results.partial  # a cap is the query's shape, not the clock: not partial


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        ([], []),
        (["snippets"], ["the search was stopped after 0.5 s (snippets): " + DEGRADED["snippets"]]),
        (["facets", "facets", "expansion"], ["(facets)", "(expansion)"]),  # once each, in order
    ],
)
def test_budget_notes_one_per_cut_stage(stages: list[str], expected: list[str]) -> None:
    budget = Budget(0.5, clock=lambda: 0.0)
    assert not budget.expired()
    for stage in stages:
        budget.cut(stage)
    notes = budget.notes()
    assert budget.partial == bool(stages) and len(notes) == len(expected)
    assert all(e in n for e, n in zip(expected, notes, strict=True))


# -- through the server and the CLI ------------------------------------------------------
@pytest.fixture(scope="module")
def hurried_server(settings: Any, worst_index: tuple[Path, Path]) -> Iterator[str]:
    """The worst-case index served with a time limit nothing can meet."""
    from web.app import create_app

    corpus, index = worst_index
    served = replace(
        settings, index_dir=index, corpus_dir=corpus, port=free_port(), time_limit=TINY
    )
    yield from run_server(create_app(served), served)


@pytest.mark.parametrize("q", [WORST_FR, WORST_AR, "port"])
def test_the_api_and_the_page_say_partial(hurried_server: str, q: str) -> None:
    with httpx.Client(base_url=hurried_server, timeout=30) as http:
        answer = http.get("/api/search", params={"q": q})
        page = http.get("/", params={"q": q})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["partial"] is True and data["hits"]
    assert any("the search was stopped after" in n for n in data["interpretation"]["notes"])
    assert page.status_code == 200
    assert 'class="partial"' in page.text and "limite de temps" in page.text


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_cut_by_the_time_limit_says_so(hurried_server: str, fmt: str) -> None:
    with httpx.Client(base_url=hurried_server, timeout=30) as http:
        response = http.get("/api/export", params={"q": WORST_FR, "format": fmt})
    assert response.status_code == 200 and response.content
    assert response.headers["fihris-partial"] == "true"


def test_the_cli_says_partial(worst_index: tuple[Path, Path]) -> None:
    """``fihris search`` with FIHRIS_TIME_LIMIT at its least (10 ms) on a cold index."""
    _, index = worst_index
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIHRIS_")}
    env["FIHRIS_TIME_LIMIT"] = "0.01s"
    done = subprocess.run(
        [sys.executable, "-m", "web.cli", "search", "--index", str(index), *WORST_FR.split()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "partial: the search was stopped by its time limit (0.01 s" in done.stdout
    assert "note: the search was stopped after 0.01 s (" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("q", "params"),
    [
        # each word OR its translation, the words required together (an And under an Or):
        # a late search still reads one path through the tree and finds the dispatch
        ("traite des êtres humains", {}),
        ("الاتجار بالبشر", {}),
        ("traite des êtres humains", {"cross": "false"}),
        ("port Tanger", {"match": "all"}),  # the strict conjunction
    ],
)
def test_a_late_search_still_finds_a_multi_word_query(
    index_dir: Path, q: str, params: dict[str, str]
) -> None:
    def run(time_limit: float | None) -> SearchResults:
        engine = SearchEngine(index_dir, time_limit=time_limit)
        try:
            return engine.search(validate_request(q, **{"cross": "true", **params}))
        finally:
            engine.close()

    full = run(None)
    cut = run(TINY)
    assert not full.partial and cut.partial
    assert cut.hits, cut.interpretation.notes
    assert {h.id for h in cut.hits} <= {h.id for h in full.hits}
