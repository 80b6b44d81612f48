"""The compact lexicon (typed arrays) answers exactly what the dicts of objects answered.

The oracle is the former representation, rebuilt here from the committed TSV: per
language, source term → translations sorted by (-weight, target), as
``Lexicon.from_rows`` grouped them before the table existed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from search.translate.lexicon import (
    LEXICON_PATH,
    Lexicon,
    Translation,
    derive_table,
    read_table,
    table_path,
)
from search.translate.lexicon_table import LexiconTable

Oracle = dict[str, dict[str, tuple[Translation, ...]]]


def _oracle(path: Path) -> tuple[Oracle, str]:
    """The committed TSV parsed into dicts as the lexicon held it, and that lexicon's version."""
    grouped: dict[str, dict[str, list[Translation]]] = defaultdict(lambda: defaultdict(list))
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line or line.startswith(("#", "src_lang\t")):
                continue
            lang, src, tgt, weight, prov, display = line.split("\t")
            grouped[lang][src].append(Translation(tgt, float(weight), prov, display))
    entries = {
        lang: {
            src: tuple(sorted(trs, key=lambda tr: (-tr.weight, tr.term)))
            for src, trs in table.items()
        }
        for lang, table in grouped.items()
    }
    out = io.StringIO()
    for lang in sorted(entries):
        for src in sorted(entries[lang]):
            for tr in entries[lang][src]:
                out.write(
                    f"{lang}\t{src}\t{tr.term}\t{tr.weight:.4f}\t{tr.provenance}\t{tr.display}\n"
                )
    return entries, hashlib.sha256(out.getvalue().encode("utf-8")).hexdigest()[:12]


@pytest.fixture(scope="module")
def oracle() -> tuple[Oracle, str]:
    return _oracle(LEXICON_PATH)


@pytest.fixture(scope="module")
def committed() -> Lexicon:
    found = read_table(LEXICON_PATH)
    assert found is not None, "lexicon.table.gz is stale: run derive_table() (README)"
    return found


def test_committed_table_is_derived_from_the_committed_tsv() -> None:
    # the default load reads the table, not the TSV: same digest, same analysis version
    assert read_table(LEXICON_PATH) is not None
    assert Lexicon.load().nbytes < 8 << 20  # the point of the table: a few MB, not ~60


def test_every_entry_answers_as_the_dicts_did(
    committed: Lexicon, oracle: tuple[Oracle, str]
) -> None:
    entries, _ = oracle
    assert len(committed) == sum(len(t) for t in entries.values())
    for lang, table in entries.items():
        for src, trs in table.items():
            assert committed.translations(src, lang) == list(trs), (lang, src)


def test_figures_and_version_unchanged(committed: Lexicon, oracle: tuple[Oracle, str]) -> None:
    entries, version = oracle
    assert committed.version == version
    assert committed.entries == entries
    # walked one entry at a time, in (language, source term) order
    assert [(lang, src, tuple(trs)) for lang, src, trs in committed.groups()] == [
        (lang, src, entries[lang][src]) for lang in sorted(entries) for src in sorted(entries[lang])
    ]
    for lang, table in entries.items():
        lengths = sorted({k.count(" ") + 1 for k in table if " " in k}, reverse=True)
        assert committed.phrase_lengths(lang) == lengths
    assert committed.phrase_lengths("xx") == []


def test_misses_find_nothing(committed: Lexicon, oracle: tuple[Oracle, str]) -> None:
    entries, _ = oracle
    rng = random.Random(18)
    keys = sorted(entries["fr"]) + sorted(entries["ar"])
    probes = [
        "",
        " ",
        "\x00",
        "\uffff",
        "\ud800",  # a lone surrogate (hostile bytes decoded with surrogateescape)
        "zzzzzzzz",
        *(k + "x" for k in rng.sample(keys, 300)),  # past a key
        *(k[:-1] for k in rng.sample(keys, 300) if len(k) > 1),  # a key's prefix
    ]
    for probe in probes:
        for lang in ("fr", "ar", "en"):
            expected = list(entries.get(lang, {}).get(probe, ()))
            assert committed.translations(probe, lang) == expected, (probe, lang)


@pytest.mark.parametrize(
    "rows",
    [
        [],  # empty: every lookup misses
        [("fr", "roi", "ملك", 1.0, "glossary", "الملك")],  # one language only
        # ties on the weight ordered by target; a phrase key; full-precision weights kept
        [
            ("ar", "ملك", "roi", 0.123456789, "model1", "roi"),
            ("ar", "ملك", "monarque", 0.123456789, "glossary", "monarque"),
            ("ar", "ملك", "avoir", 0.75308642, "model1+freedict", "avoir"),
            ("fr", "droit homm", "حقوق انسان", 1.0, "glossary", "حقوق الإنسان"),
        ],
    ],
)
def test_built_in_memory_from_rows(rows: list[tuple[str, str, str, float, str, str]]) -> None:
    lexicon = Lexicon.from_rows(rows)
    expected: dict[tuple[str, str], list[Translation]] = defaultdict(list)
    for lang, src, tgt, w, prov, disp in rows:
        expected[(lang, src)].append(Translation(tgt, w, prov, disp))
    for (lang, src), trs in expected.items():
        assert lexicon.translations(src, lang) == sorted(trs, key=lambda t: (-t.weight, t.term))
    assert lexicon.translations("absent", "fr") == []
    assert len(lexicon) == len(expected)


def test_write_derives_a_fresh_table_and_a_changed_tsv_falls_back(tmp_path: Path) -> None:
    rows = [
        ("fr", "roi", "ملك", 0.66666, "glossary", "الملك"),
        ("fr", "roi", "عاهل", 0.33334, "model1", "العاهل"),
    ]
    path = Lexicon.from_rows(rows).write(tmp_path / "lex.tsv.gz")
    table = read_table(path)
    assert table is not None and table_path(path).name == "lex.table.gz"
    assert [tr.weight for tr in table.translations("roi", "fr")] == [0.6667, 0.3333]  # as read
    # the TSV replaced by another lexicon's: the stale table is ignored, the TSV read
    other = Lexicon.from_rows([("fr", "reine", "ملكة", 1.0, "glossary", "الملكة")])
    shutil.copy(other.write(tmp_path / "other.tsv.gz"), path)
    assert read_table(path) is None
    assert Lexicon.load(path).translations("reine", "fr")[0].term == "ملكة"
    assert Lexicon.load(path).translations("roi", "fr") == []
    assert derive_table(path) == table_path(path) and read_table(path) is not None


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated: not a whole gzip stream
        lambda data: b"garbage",  # not gzip at all
        # a valid gzip whose arrays are cut short
        lambda data: gzip.compress(gzip.decompress(data)[:-3], mtime=0),
        # a declared array size that does not match the data
        lambda data: gzip.compress(
            gzip.decompress(data).replace(b'"key_blob", ', b'"key_blob", 1', 1), mtime=0
        ),
    ],
)
def test_damaged_table_is_refused_and_the_tsv_read(tmp_path: Path, damage: object) -> None:
    path = Lexicon.from_rows([("fr", "roi", "ملك", 1.0, "glossary", "الملك")]).write(
        tmp_path / "lex.tsv.gz"
    )
    target = table_path(path)
    target.write_bytes(damage(target.read_bytes()))  # type: ignore[operator]
    assert LexiconTable.read(target) is None
    assert Lexicon.load(path).translations("roi", "fr")[0].display == "الملك"


def test_table_with_offsets_past_its_strings_is_refused(tmp_path: Path) -> None:
    path = Lexicon.from_rows([("fr", "roi", "ملك", 1.0, "glossary", "الملك")]).write(
        tmp_path / "lex.tsv.gz"
    )
    found = LexiconTable.read(table_path(path))
    assert found is not None
    table, header = found
    table._arrays["pool_offsets"][-1] += 7  # a string said to end past the pool
    table.write(table_path(path), header)
    assert LexiconTable.read(table_path(path)) is None
    assert read_table(path) is None and Lexicon.load(path).translations("roi", "fr")
