"""Term lists written at build time: the same vocabularies, the same search results."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from index import IndexStore, build_index
from index.store import open_generation
from search import SearchEngine, prepare_generation, validate_request
from search.serialize import results_to_dict
from search.vocab_files import FIELDS, VOCABULARIES_FILE, lexicon, read_terms

ROOT = Path(__file__).resolve().parents[1]

#: Queries whose results use the vocabularies: names matched across scripts, did-you-mean.
QUERIES = [
    {"q": "santé"},
    {"q": "الصحة العالمية"},
    {"q": "Chirac"},  # a name: transliterated against the Arabic vocabulary
    {"q": "Kadhafi Libye", "lang": "ar"},
    {"q": "ادیسون"},  # a Persian yeh: folded, then matched as a name
    {"q": "gouvernment"},  # misspelt: the suggestion comes from the exact-form vocabulary
    {"q": "المنضمة"},  # misspelt Arabic
    {"q": "traite des êtres humains", "lang": "ar"},
    {"q": "virus OR vaccin", "cross": "false"},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("vocab") / "index"
    build_index(ROOT / "corpus", where, prepare=prepare_generation)
    return where


def _results(index: Path) -> list[dict[str, Any]]:
    engine = SearchEngine(index)
    try:
        engine.warm()
        gen = engine._generation()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            gen.vocabularies_ready(("fr", "ar")) and gen.vocabulary("suggest") is not None
        ):
            time.sleep(0.05)
        out = []
        for params in QUERIES:
            request = validate_request(
                q=params["q"],
                lang=params.get("lang", ""),
                page="1",
                size="20",
                sort="relevance",
                date_from="",
                date_to="",
                cross=params.get("cross", "true"),
            )
            found = results_to_dict(engine.search(request))
            found.pop("took_ms", None)
            out.append(json.loads(json.dumps(found, ensure_ascii=False, default=str)))
        return out
    finally:
        engine.close()


def test_the_file_holds_the_index_terms(index: Path) -> None:
    gen = IndexStore(index).current_dir()
    assert (gen / VOCABULARIES_FILE).exists()
    with open_generation(gen).reader() as reader:
        for field in FIELDS:
            terms = lexicon(reader, field)
            assert len(terms) > 1000
            assert read_terms(gen, reader, field) == terms


def test_search_results_are_the_same_with_and_without_the_file(index: Path) -> None:
    with_file = _results(index)
    assert any(r["suggestion"] for r in with_file)  # the did-you-mean vocabulary was used
    gen = IndexStore(index).current_dir()
    (gen / VOCABULARIES_FILE).rename(gen / "saved.npz")
    try:
        assert _results(index) == with_file
    finally:
        (gen / "saved.npz").rename(gen / VOCABULARIES_FILE)


def _stale() -> bytes:
    """A well-formed file stamped for another document count, holding other terms."""
    import io

    import numpy as np

    out = io.BytesIO()
    meta = json.dumps({"generation": 1, "documents": 3}).encode()
    bogus = np.frombuffer(b"bogus\nterms", dtype=np.uint8)
    np.savez(out, meta=np.frombuffer(meta, np.uint8), body=bogus, body_exact=bogus)
    return out.getvalue()


@pytest.mark.parametrize(
    "damage",
    [
        b"",  # empty
        b"PK\x03\x04\x14\x00garbage",  # a zip header and nothing after
        _stale(),  # another generation's file (an update hard-links it along)
    ],
)
def test_a_bad_or_stale_file_falls_back_to_the_index(index: Path, damage: bytes) -> None:
    gen = IndexStore(index).current_dir()
    saved = (gen / VOCABULARIES_FILE).read_bytes()
    try:
        (gen / VOCABULARIES_FILE).write_bytes(damage)
        with open_generation(gen).reader() as reader:
            terms = read_terms(gen, reader, "body")
            assert terms == lexicon(reader, "body") and "bogus" not in terms
    finally:
        (gen / VOCABULARIES_FILE).write_bytes(saved)
