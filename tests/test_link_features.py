"""Incremental story links: an update reuses per-document results and gets the same links.

The reference is always the same generation linked from scratch (no previous
results anywhere), compared link for link with the incremental update's.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import pytest

from index import IndexStore, build_index, update_index
from search import prepare_generation
from search.link_features import FEATURES_FILE
from search.link_state import STATE_FILE, LinkState
from search.links import LINKS_FILE

ROOT = Path(__file__).resolve().parents[1]
SNN = ROOT.parent / "shared" / "data" / "saudinewsnet-ar" / "docs.ar.jsonl.xz"


def _bundled_unpaired() -> list[dict[str, Any]]:
    """The bundled FLORES/TICO documents without their pair ids: linked by similarity only."""
    docs = []
    for path in sorted((ROOT / "corpus").glob("*/docs.*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            for line in stream:
                doc = json.loads(line)
                docs.append({k: doc[k] for k in ("id", "lang", "title", "text") if k in doc})
    return docs


def _generated() -> list[dict[str, Any]]:
    """600 documents of the scale benchmark's synthetic archive (dated, 70% Arabic), and
    the bundled documents unpaired: the archive alone has no translations to link."""
    from bench import scale_data

    return list(scale_data.generate(600)) + _bundled_unpaired()


def _write(docs: list[dict[str, Any]], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "docs.jsonl").open("w", encoding="utf-8") as out:
        for doc in docs:
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return folder


def _stamp() -> dict[str, Any]:
    from search.linking import THRESHOLD
    from search.links import _features_stamp
    from search.translate.lexicon import Lexicon

    return _features_stamp(Lexicon.load().version, THRESHOLD)


def _related(index: Path) -> dict[str, list[list[Any]]]:
    gen = IndexStore(index).current_dir()
    related: dict[str, list[list[Any]]] = json.loads((gen / LINKS_FILE).read_text("utf-8"))[
        "related"
    ]
    return related


def _vocabulary(gen: Path) -> dict[str, int]:
    """The Arabic vocabulary (leads holding each word) a computation kept."""
    import numpy as np

    from search.link_features import _read_counts, _strings

    with np.load(gen / FEATURES_FILE, allow_pickle=False) as arrays:
        own = _read_counts(arrays, "own", _strings(arrays["terms"]))
    return dict(next(iter(own.values())))


def _links(index: Path) -> dict[str, list[str]]:
    gen = IndexStore(index).current_dir()
    links: dict[str, list[str]] = json.loads((gen / LINKS_FILE).read_text("utf-8"))["links"]
    return links


@pytest.mark.parametrize(
    "collection",
    [
        _bundled_unpaired,
        # SaudiNewsNet is read in place from ../shared (never copied into the repository)
        pytest.param(
            _generated, marks=pytest.mark.skipif(not SNN.exists(), reason="needs ../shared")
        ),
    ],
)
def test_an_update_links_exactly_as_a_full_build(collection: Any, tmp_path: Path) -> None:
    docs = collection()
    rng = random.Random(18)
    rng.shuffle(docs)
    keep = docs[: int(len(docs) * 0.9)]
    first = _write(keep, tmp_path / "before")
    index = tmp_path / "index"
    built = build_index(first, index, prepare=prepare_generation)
    assert built.derived is not None and built.derived["source"] == "computed"
    # the update: 10% new documents, a few changed (text and date), a few deleted
    after = [dict(d) for d in keep[10:]] + docs[len(keep) :]
    for doc in after[:5]:
        doc["text"] = doc["text"][::-1]  # changed: new text, new vectors
    for doc in after[5:10]:
        doc["date"] = "2001-01-01"  # changed date only: same text, other candidates
    final = _write(after, tmp_path / "after")
    (first / "docs.jsonl").unlink()
    (first / "docs.jsonl").write_bytes((final / "docs.jsonl").read_bytes())
    updated = update_index(first, index, prepare=prepare_generation)
    assert updated.added == len(docs) - len(keep) and updated.deleted == 10
    report = updated.derived
    assert report is not None and report["previous_results"] is True
    # most documents were carried over (text not read, lead terms not recounted);
    # French translations are reused only when no word that could spell one of their
    # names changed count (with 10% new documents, a minority: a name's neighbourhood
    # often holds a word of the new documents)
    assert report["carried_texts"] > 5 * report["computed"]["arabic"]
    assert report["reused"]["french"] > 0

    # only the rows of new and changed documents (and of the few that named a removed
    # one) were computed; the rest were carried over
    assert report["family_continued"] is True
    # (with 10% new documents many French translations change: new words can spell
    # their names, so those rows are new too)
    assert 0 < report["rows"] < len(after) // 2
    incremental = _links(index)
    related = _related(index)
    # the reference: the same generation linked from scratch under the same frozen idf
    # (no per-document results, no carried rows). Not a fresh build of the final corpus:
    # that starts a new family, idf counted again.
    gen = IndexStore(index).current_dir()
    # the unchanged documents were carried (their text not read), and the Arabic
    # vocabulary continued from the previous one: checked against the count below
    assert report["carried_texts"] == len(after) - updated.added - 10
    assert report["vocabulary"] == "continued"
    continued = _vocabulary(gen)
    state = LinkState(_stamp())
    assert state.load(gen / STATE_FILE)
    state.forget_results()
    state.save(gen / STATE_FILE)
    (gen / FEATURES_FILE).unlink()
    (gen / LINKS_FILE).unlink()
    scratch = prepare_generation(gen, None)
    assert scratch["reused"] == {"arabic": 0, "french": 0}
    assert scratch["rows"] == len(after)  # every row computed
    assert scratch["vocabulary"] == "counted"
    assert continued == _vocabulary(gen)  # the same Arabic vocabulary, word for word
    reference = _links(index)
    assert len(reference) >= 20  # the collection has links to compare
    assert incremental == reference
    assert related == _related(index)
    # deleted documents keep no link and appear in no related list
    deleted = {d["id"] for d in keep[:10]}
    assert not deleted & (set(incremental) | {o for v in incremental.values() for o in v})
    assert not deleted & {o for v in related.values() for o, _ in v}


def test_damaged_previous_results_are_recomputed(tmp_path: Path) -> None:
    docs = _bundled_unpaired()[:200]
    corpus = _write(docs, tmp_path / "corpus")
    index = tmp_path / "index"
    reference = build_index(corpus, index, prepare=prepare_generation)
    expected = _links(index)
    gen = IndexStore(index).current_dir()
    (gen / FEATURES_FILE).write_bytes(b"PK\x03\x04 not a zip at all")  # hostile bytes
    (gen / LINKS_FILE).unlink()
    report = prepare_generation(gen, None)
    assert report["source"] == "computed" and report["previous_results"] is False
    assert _links(index) == expected
    assert reference.derived is not None


def test_links_are_in_the_generation_before_it_is_published(tmp_path: Path) -> None:
    seen: list[bool] = []

    def prepare(gen: Path, base: Path | None) -> dict[str, Any]:
        seen.append(gen.name.endswith(".partial") and not (gen / "fihris.json").exists())
        return prepare_generation(gen, base)

    corpus = _write(_bundled_unpaired()[:50], tmp_path / "corpus")
    build_index(corpus, tmp_path / "index", prepare=prepare)
    assert seen == [True]
    store = IndexStore(tmp_path / "index")
    assert (store.current_dir() / LINKS_FILE).exists()
    assert store.check() is None  # derived files are not index files: no damage reported


def test_status_says_links_came_from_the_generation(tmp_path: Path) -> None:
    """A generation built with its links is served with them, not recomputed."""
    import time

    from search import SearchEngine

    corpus = _write(_bundled_unpaired()[:80], tmp_path / "corpus")
    build_index(corpus, tmp_path / "index", prepare=prepare_generation)
    engine = SearchEngine(tmp_path / "index")
    try:
        ready = engine.status()["ready"]
        assert ready["lexical"] is True
        engine.warm()  # what the server does at start
        deadline = time.monotonic() + 60
        while not engine.status()["ready"]["links"] and time.monotonic() < deadline:
            time.sleep(0.05)
        ready = engine.status()["ready"]
        assert ready["links"] is True and ready["links_source"] == "file"
    finally:
        engine.close()
