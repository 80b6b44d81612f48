"""Story links and related dispatches as mapped arrays (``translation-links.npz``).

The tables answer as the dicts they replace; the file is read in place; a damaged,
stale or foreign file is never trusted and never crashes a search: the links then come
from the JSON file (or are computed again), with a warning naming the file.
"""

from __future__ import annotations

import json
import logging
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from index import IndexStore, build_index
from search.links import LINKS_FILE, GenerationLinks
from search.pair_table import TABLES_FILE, read_tables, tables_of, write_tables

ROOT = Path(__file__).resolve().parents[1]
FR_SEED, AR_SEED = "000_e39b19ec1737aeb7.txt", "001_67a435615c650090.txt"
STAMP = {"generation": 3, "documents": 4, "version": "2"}

LINKS = {"a": ("b",), "b": ("a",), "é-fr": ("عربي",)}
RELATED = {
    "a": (("b", 0.5), ("c", 0.1234)),
    "عربي": (("é-fr", 1.0),),
    "c": (("zz-only-a-target", 0.25), ("a", 0.1)),
}


def test_tables_answer_as_the_dicts() -> None:
    links, related = tables_of(LINKS, RELATED)
    assert links == LINKS and related == RELATED  # Mapping equality: keys and values
    assert links.get("missing", ()) == () and related.get("zz-only-a-target") is None
    assert sorted(links) == sorted(LINKS) and len(related) == len(RELATED)


def test_written_tables_are_mapped_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / TABLES_FILE
    write_tables(path, STAMP, LINKS, RELATED)
    found = read_tables(path, STAMP)
    assert found is not None
    links, related = found
    assert links == LINKS and related == RELATED
    pool = links._pool.arrays()[0]
    assert isinstance(pool.base, np.memmap) or isinstance(pool.base.base, np.memmap)
    assert not pool.flags.writeable


def test_another_generations_file_is_ignored(tmp_path: Path) -> None:
    # an update hard-links the previous generation's files: its stamp says so
    path = tmp_path / TABLES_FILE
    write_tables(path, STAMP, LINKS, RELATED)
    assert read_tables(path, {**STAMP, "generation": 4}) is None
    assert read_tables(tmp_path / "absent.npz", STAMP) is None


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00\xff" * 500)


def _compressed(path: Path) -> None:
    arrays = dict(np.load(path))
    np.savez_compressed(path, **arrays)


def _bad_offsets(path: Path) -> None:
    arrays = dict(np.load(path))
    arrays["related_start"] = arrays["related_start"][::-1].copy()
    with path.open("wb") as out:
        np.savez(out, **arrays)


def _bad_targets(path: Path) -> None:
    # offsets that fit, positions past the pool: caught at the look-up, not at load
    arrays = dict(np.load(path))
    arrays["related_targets"] = arrays["related_targets"] + 1000
    with path.open("wb") as out:
        np.savez(out, **arrays)


def _objects(path: Path) -> None:
    arrays = dict(np.load(path))
    arrays["pool"] = np.array(["a", None], dtype=object)
    with path.open("wb") as out:
        np.savez(out, **arrays)


def _member_header(path: Path) -> None:
    # the zip directory intact, a member's own header overwritten
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo("pool_at.npy").header_offset
    data = bytearray(path.read_bytes())
    data[offset : offset + 4] = b"XXXX"
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [_truncated, _garbage, _compressed, _bad_offsets, _objects, _member_header],
)
def test_a_damaged_file_is_refused_with_its_name(
    tmp_path: Path, damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / TABLES_FILE
    write_tables(path, STAMP, LINKS, RELATED)
    damage(path)  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="search.pair_table"):
        assert read_tables(path, STAMP) is None
    assert str(path) in caplog.text and "damaged" in caplog.text


def test_positions_past_the_pool_are_left_out_not_raised(tmp_path: Path) -> None:
    path = tmp_path / TABLES_FILE
    write_tables(path, STAMP, LINKS, RELATED)
    _bad_targets(path)
    found = read_tables(path, STAMP)
    assert found is not None
    links, related = found
    assert links == LINKS
    assert related.get("a") == ()  # every position damaged: no related, no exception


def test_a_generation_with_a_damaged_table_reads_its_links_from_the_json(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in (FR_SEED, AR_SEED):
        shutil.copy(ROOT / "corpus" / seed, corpus / seed)
    build_index(corpus, tmp_path / "index")
    store = IndexStore(tmp_path / "index")
    index, _ = store.open()
    gen_dir = store.current_dir()
    first = GenerationLinks(gen_dir, index)
    assert first.wait(120) and first.of(FR_SEED) == (AR_SEED,)
    assert (gen_dir / TABLES_FILE).exists() and (gen_dir / LINKS_FILE).exists()
    _garbage(gen_dir / TABLES_FILE)
    # a translator linking nothing: the links found can only come from the JSON file
    saved = json.loads((gen_dir / LINKS_FILE).read_text("utf-8"))
    saved["stamp"]["lexicon"] = "injected"
    (gen_dir / LINKS_FILE).write_text(json.dumps(saved), "utf-8")
    again = GenerationLinks(gen_dir, index, translate=lambda *_: {})
    assert again.wait(120) and again.of(FR_SEED) == (AR_SEED,)
    assert again.report == {"source": "file"}
