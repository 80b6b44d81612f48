"""The compact per-generation structures answer every search as the Python objects did.

A generation's columns (languages, years, sources, dates), field lengths, story links,
related dispatches and completions are typed arrays and memory-mapped files rather
than lists and dicts (issue 18: memory proportional to a query, not to the
collection). The bundled corpus, with dated and sourced copies of some of its
dispatches (the bundled files have neither), is searched through the public engine
with its defaults, and every result is compared with what the code before the change
returned on the same documents (``generation_reference.json``, written by the
earlier code with ``FIHRIS_WRITE_REFERENCE=1``): ids, scores to the last bit,
totals, facets, timeline, snippets, links and related dispatches.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index import IndexStore, build_index
from search import SearchEngine, validate_request
from search.links import links_for
from search.serialize import results_to_dict

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).with_name("generation_reference.json")
SOURCES = ("aps", "map", "wam")

#: (query as typed, parameters): every column, the lengths and the links are read
SEARCHES: list[tuple[str, dict[str, str]]] = [
    ("traite des êtres humains", {}),
    ("الاتجار بالبشر", {}),
    ("الاتجار بالبشر", {"lang": "fr"}),  # the other language only: the language codes
    ("santé publique", {"cross": "false"}),
    ("vaccin OR virus", {"sort": "date"}),  # the dates column orders, undated last
    ("déclaré source:map", {}),  # the source codes filter
    ("personnes date:2017..2018", {}),  # the dates column filters
    ("autres hôpital", {"date_from": "2016", "date_to": "2019-06", "sort": "date"}),
    ("fièvre -toux", {}),
    ('"êtres humains"', {}),  # an exact phrase: positions and lengths
    ("pand*", {}),  # a prefix expanded with the terms' frequencies
    ("المرض الصحة العالمية", {"page": "2"}),
    ("souris diabétiques professeur université", {"cross": "false", "size": "5"}),
]


def _dated_copies() -> list[dict[str, Any]]:
    """Copies of the first French FLORES dispatches with a date and a source (fixed)."""
    path = ROOT / "corpus" / "flores200-devtest" / "docs.fr.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        docs = [json.loads(line) for _, line in zip(range(90), lines, strict=False)]
    return [
        {
            "id": f"dated-{i:03d}",
            "lang": "fr",
            "text": doc["text"],
            "date": f"{2015 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "source": SOURCES[i % 3],
        }
        for i, doc in enumerate(docs)
        if i % 4  # one in four stays undated and without a source
    ]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    base = tmp_path_factory.mktemp("generation")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    lines = [json.dumps(doc, ensure_ascii=False) for doc in _dated_copies()]
    (corpus / "dated.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    stats = build_index(corpus, base / "index")
    assert stats.failed == 0, stats.problems
    links = links_for(IndexStore(base / "index").open()[0])
    assert links is not None and links.wait(300)
    eng = SearchEngine(base / "index", encoder=None)
    yield eng
    eng.close()


def _outcome(engine: SearchEngine, q: str, params: dict[str, str]) -> dict[str, Any]:
    request = validate_request(q, **params)
    data = results_to_dict(engine.search(request))
    for volatile in ("took_ms", "timings", "cache"):
        data.pop(volatile, None)
    gen = engine._generation()
    links = links_for(gen.index)
    assert links is not None
    data["links"] = {
        hit["id"]: [list(links.of(hit["id"])), [list(p) for p in links.related_of(hit["id"])]]
        for hit in data["hits"]
    }
    return json.loads(json.dumps(data, ensure_ascii=False))  # tuples as lists, as stored


#: prefixes typed in the search box: the completions table's binary search
PREFIXES = ["tr", "sant", "etre", "d", "vac", "مرض", "ال", "الاتج", "zzz", "é"]


def _outcomes(engine: SearchEngine) -> dict[str, Any]:
    assert engine.completions_ready(timeout=60)
    return {
        "searches": {
            f"{q} {json.dumps(params, sort_keys=True)}": _outcome(engine, q, params)
            for q, params in SEARCHES
        },
        "completions": {prefix: engine.complete(prefix) for prefix in PREFIXES},
    }


def test_every_search_returns_what_the_earlier_structures_returned(engine: SearchEngine) -> None:
    got = _outcomes(engine)
    if os.environ.get("FIHRIS_WRITE_REFERENCE") == "1":
        REFERENCE.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", "utf-8")
    expected = json.loads(REFERENCE.read_text("utf-8"))
    assert sum(v["total"] for v in expected["searches"].values()) > 100  # they find things
    assert sum(map(len, expected["completions"].values())) > 20
    for key, outcome in expected["searches"].items():
        assert got["searches"][key] == outcome, key
    assert got["completions"] == expected["completions"]
