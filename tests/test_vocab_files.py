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


# -- an update continues the previous generation's term lists --------------------------

#: Documents of the small corpora below: (file name, text).
BASE_DOCS = {
    f"d{n:02}.txt": f"Dépêche {n}\nLe conseil municipal de Rabat vote le budget {n}."
    if n % 2
    else f"برقية {n}\nوافق المجلس البلدي في الرباط على الميزانية {n}."
    for n in range(12)  # one segment of 12: Whoosh's merge policy leaves it alone
}


def _terms_of(gen: Path) -> dict[str, bytes]:
    import numpy as np

    with np.load(gen / VOCABULARIES_FILE, allow_pickle=False) as arrays:
        return {field: bytes(arrays[field]) for field in FIELDS}


def _write_corpus(folder: Path, docs: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.txt"):
        if old.name not in docs:
            old.unlink()
    for name, text in docs.items():
        path = folder / name
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")


def _aside(gen: Path, base: Path | None) -> dict[str, Any]:
    """The term lists and completions only (no story links): what an update writes."""
    from search.derived import _aside as aside

    return aside(gen, base)


def _added(n: int) -> dict[str, str]:
    return {f"new{n}.txt": f"Casablanca {n}\nLe port de Tanger-Med{n} bat un record de conteneurs."}


def _grown(n: int) -> dict[str, str]:
    """The base corpus with ``n`` documents added."""
    return {**BASE_DOCS, **{k: v for i in range(1, n + 1) for k, v in _added(i).items()}}


@pytest.mark.parametrize(
    ("steps", "full_build_equal", "merged"),
    [
        # new documents with new words: the new segment's terms merged in
        ([{**BASE_DOCS, **_added(1)}], True, None),
        # a new document whose every word is known: the same lists
        ([{**BASE_DOCS, "again.txt": BASE_DOCS["d01.txt"]}], True, None),
        # a changed document: its old words stay in the index's lexicon (Whoosh only
        # marks the old version deleted), so the lists equal the generation's
        # lexicon, not a fresh build's
        ([{**BASE_DOCS, "d01.txt": "Nouvelle\nUn texte neuf sur Oujda et Nador."}], False, None),
        # a deleted document: its words stay too, until its segment is merged
        ([{k: v for k, v in BASE_DOCS.items() if k != "d03.txt"}], False, None),
        # six updates in a row: the fifth finds five segments and Whoosh's merge policy
        # folds the small ones (its base's included) into one: the whole lexicon is read
        ([_grown(n) for n in range(1, 7)], True, 4),
    ],
)
def test_continued_term_lists_equal_those_written_from_scratch(
    tmp_path: Path, steps: list[dict[str, str]], full_build_equal: bool, merged: int | None
) -> None:
    from index import update_index

    corpus, where = tmp_path / "corpus", tmp_path / "index"
    _write_corpus(corpus, BASE_DOCS)
    build_index(corpus, where, prepare=_aside)
    continued = []
    for docs in steps:
        _write_corpus(corpus, docs)
        stats = update_index(corpus, where, prepare=_aside)
        assert stats.derived is not None
        continued.append(stats.derived["vocabularies_continued"])
        gen = IndexStore(where).current_dir()
        with open_generation(gen).reader() as reader:
            for field in FIELDS:
                expected = "\n".join(lexicon(reader, field)).encode("utf-8", "surrogatepass")
                assert _terms_of(gen)[field] == expected, field
    # every update continues the lists, except where a base segment was merged away
    assert continued == [True] * len(steps) if merged is None else continued[merged] is False
    fresh = tmp_path / "fresh"
    build_index(corpus, fresh, prepare=_aside)
    same = _terms_of(IndexStore(fresh).current_dir()) == _terms_of(IndexStore(where).current_dir())
    assert same == full_build_equal


def test_term_lists_are_not_continued_from_a_stale_or_foreign_base(tmp_path: Path) -> None:
    from search.vocab_files import continued_terms

    corpus = tmp_path / "corpus"
    _write_corpus(corpus, BASE_DOCS)
    first, second = tmp_path / "a", tmp_path / "b"
    build_index(corpus, first, prepare=_aside)
    build_index(corpus, second, prepare=_aside)
    gen_a, gen_b = IndexStore(first).current_dir(), IndexStore(second).current_dir()
    with open_generation(gen_a).reader() as a, open_generation(gen_b).reader() as b:
        assert continued_terms(gen_a, a, a) is not None  # itself: every segment is there
        # another index of the same documents: its segments are not the base's
        assert continued_terms(gen_a, a, b) is None
        (gen_a / VOCABULARIES_FILE).write_bytes(_stale())  # another generation's file
        assert continued_terms(gen_a, a, a) is None
        (gen_a / VOCABULARIES_FILE).unlink()  # none at all
        assert continued_terms(gen_a, a, a) is None
