"""Building and updating the index: exact incremental changes, atomic generations, one writer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.query import Term

from index import (
    IndexLockedError,
    IndexStore,
    build_index,
    update_index,
)

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def ids_in(index_dir: Path) -> set[str]:
    ix, _ = IndexStore(index_dir).open()
    with ix.searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    for name in ("000_e39b19ec1737aeb7.txt", "001_67a435615c650090.txt"):
        shutil.copy(CORPUS / name, root / name)
    (root / "extra.jsonl").write_text(
        '{"id":"j1","text":"Le Parlement a voté la loi de finances.","lang":"fr"}\n'
        '{"id":"j2","text":"صادق البرلمان على قانون المالية.","lang":"ar"}\n',
        "utf-8",
    )
    return root


def test_build_counts_and_searches(corpus: Path, tmp_path: Path) -> None:
    stats = build_index(corpus, tmp_path / "ix")
    assert (stats.added, stats.failed, stats.documents) == (4, 0, 4)
    assert stats.by_lang == {"fr": 2, "ar": 2}
    ix, manifest = IndexStore(tmp_path / "ix").open()
    assert manifest.documents == 4 and manifest.generation == 1
    with ix.searcher() as searcher:
        # "البرلمان" (j2) and "برلمان الطفل" (the Arabic seed) share the light stem
        hits = searcher.search(Term("body", "برلمان"))
        assert {h["id"] for h in hits} == {"j2", "001_67a435615c650090.txt"}


def test_update_adds_changes_and_deletes_exactly_what_changed(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(corpus, index_dir)
    (corpus / "new.txt").write_text("Nouveau\nUn séminaire à Tanger.", "utf-8")
    (corpus / "extra.jsonl").write_text(  # j1 changed, j2 removed
        '{"id":"j1","text":"Le Parlement a rejeté la loi.","lang":"fr"}\n', "utf-8"
    )
    stats = update_index(corpus, index_dir)
    assert (stats.added, stats.updated, stats.deleted, stats.unchanged) == (1, 1, 1, 2)
    assert ids_in(index_dir) == {
        "000_e39b19ec1737aeb7.txt",
        "001_67a435615c650090.txt",
        "j1",
        "new.txt",
    }
    again = update_index(corpus, index_dir)
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 4)
    assert again.generation == stats.generation  # nothing changed: no new generation


def test_previous_generation_survives_an_update(corpus: Path, tmp_path: Path) -> None:
    # Updates hard-link the live generation's files: the old one must stay intact for
    # searchers still reading it.
    index_dir = tmp_path / "ix"
    build_index(corpus, index_dir)
    old_dir = IndexStore(index_dir).current_dir()
    old = whoosh_index.open_dir(str(old_dir))
    (corpus / "new.txt").write_text("Nouveau\nTexte.", "utf-8")
    update_index(corpus, index_dir)
    assert IndexStore(index_dir).current_dir() != old_dir
    with old.searcher() as searcher:
        assert searcher.doc_count() == 4
    assert whoosh_index.open_dir(str(old_dir)).doc_count() == 4
    assert len(ids_in(index_dir)) == 5


def test_a_file_that_breaks_does_not_delete_its_documents(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(corpus, index_dir)
    (corpus / "extra.jsonl").write_bytes(b'{"id":"j1","text":"Le Parlement a v')  # truncated
    stats = update_index(corpus, index_dir)
    assert stats.failed == 1 and stats.deleted == 0
    assert {"j1", "j2"} <= ids_in(index_dir)


def test_analysis_change_triggers_a_rebuild(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(corpus, index_dir)
    gen_dir = IndexStore(index_dir).current_dir()
    manifest = json.loads((gen_dir / "fihris.json").read_text())
    manifest["analysis_version"] = "0-old"
    (gen_dir / "fihris.json").write_text(json.dumps(manifest))
    stats = update_index(corpus, index_dir)
    assert stats.rebuilt_because is not None and "analysis changed" in stats.rebuilt_because
    assert stats.added == 4


def test_one_writer_at_a_time(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(corpus, index_dir)
    store = IndexStore(index_dir)
    with store.lock(), pytest.raises(IndexLockedError, match="another fihris process"):
        update_index(corpus, index_dir, wait=0.3)


def test_build_never_touches_the_live_generation(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(corpus, index_dir)
    first = IndexStore(index_dir).current_dir()
    before = {p.name: p.stat().st_mtime_ns for p in first.iterdir()}
    build_index(corpus, index_dir)
    assert IndexStore(index_dir).current_dir() != first
    assert {p.name: p.stat().st_mtime_ns for p in first.iterdir()} == before
    assert not list(index_dir.glob("*.partial"))


def test_status_file_records_the_last_run(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    (corpus / "bad.jsonl").write_text("{not json\n", "utf-8")
    build_index(corpus, index_dir)
    status = IndexStore(index_dir).read_status()
    assert status["kind"] == "build" and status["added"] == 4 and status["failed"] == 1
    assert status["problems"][0]["path"] == "bad.jsonl"
