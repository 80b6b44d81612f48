"""Corpus ingestion: formats, ids, languages, dates; bad input never costs a good document."""

from __future__ import annotations

import gzip
import json
import lzma
from pathlib import Path
from typing import Any

import pytest

from index import CorpusReader, Document, parse_date

SEEDS = Path(__file__).resolve().parents[1] / "corpus"
FR_SEED = "000_e39b19ec1737aeb7.txt"
AR_SEED = "001_67a435615c650090.txt"


def read(root: Path) -> tuple[dict[str, Document], CorpusReader]:
    reader = CorpusReader(root)
    return {doc.id: doc for doc in reader}, reader


def test_seed_dispatches_parse_into_title_date_and_body(tmp_path: Path) -> None:
    for name in (FR_SEED, AR_SEED):
        (tmp_path / name).write_bytes((SEEDS / name).read_bytes())
    docs, reader = read(tmp_path)
    assert reader.report.problems == []
    french, arabic = docs[FR_SEED], docs[AR_SEED]
    assert (french.lang, french.date) == ("fr", "2024-07-26")
    assert french.title.startswith("Rabat – La Commission nationale")
    assert "traite des êtres humains" in french.text  # the lead paragraph stays in the body
    assert arabic.lang == "ar"
    assert (
        arabic.title == "الأطفال البرلمانيون يستفيدون من ندوة تفاعلية حول مكافحة الاتجار في البشر"
    )
    assert not arabic.text.startswith("الأطفال البرلمانيون")  # title line not repeated in body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date 2024-07 vendredi, 26 juillet, 2024 à 23:48", "2024-07-26"),  # the seed's header
        ("2024-07", "2024-07"),  # month precision is kept, not invented
        ("2015-07-21 10:32:00", "2015-07-21"),  # SaudiNewsNet timestamps
        ("الجمعة ٢٦ يوليوز ٢٠٢٤", "2024-07-26"),  # Moroccan month name, Arabic-Indic digits
        ("3 تموز 2023", "2023-07-03"),  # Levantine month name
        ("1er août 2020", "2020-08-01"),  # French ordinal for the first of the month
        ("12/03/2023", "2023-03-12"),  # day first, as written in the Maghreb
        ("le 31 février 2024", "2024"),  # impossible day: only the year is trusted, never shifted
        ("no date at all", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


def test_jsonl_fields_metadata_and_formats(tmp_path: Path) -> None:
    rows = [
        {
            "id": "a1",
            "text": "Le roi a reçu le ministre.",
            "title": "Audience",
            "lang": "fra",
            "date": "2024-03-02",
            "source": "MAP",
            "url": "http://x",
            "topic": "politique",
        },
        {"id": 7, "text": "نص عربي عن الاقتصاد"},  # integer id, no lang: detected
    ]
    payload = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    (tmp_path / "plain.jsonl").write_bytes(payload)
    with gzip.open(tmp_path / "zipped.jsonl.gz", "wb") as f:
        f.write(payload.replace(b'"a1"', b'"g1"').replace(b"7", b"8"))
    with lzma.open(tmp_path / "xz.jsonl.xz", "wb") as f:
        f.write(payload.replace(b'"a1"', b'"x1"').replace(b"7", b"9"))
    docs, reader = read(tmp_path)
    assert sorted(docs) == ["7", "8", "9", "a1", "g1", "x1"]
    a1 = docs["a1"]
    assert (a1.lang, a1.date, a1.source, a1.title) == ("fr", "2024-03-02", "MAP", "Audience")
    assert a1.meta == {"topic": "politique"}
    assert a1.path == "plain.jsonl:1"
    assert docs["7"].lang == "ar" and docs["7"].title == "نص عربي عن الاقتصاد"
    assert reader.report.problems == []


@pytest.mark.parametrize(
    ("row", "title"),
    [
        ({}, "La première phrase du texte."),  # no title: the first sentence serves as one
        ({"title": None}, "La première phrase du texte."),  # null: same (FLORES/TICO files)
        ({"title": "  Titre  "}, "Titre"),
        ({"title": ""}, ""),  # the producer says there is none: none is made up
    ],
)
def test_jsonl_title_absent_null_or_empty(tmp_path: Path, row: dict[str, Any], title: str) -> None:
    record = {"id": "d", "text": "La première phrase du texte. Suite.", **row}
    (tmp_path / "d.jsonl").write_text(json.dumps(record), encoding="utf-8")
    docs, _ = read(tmp_path)
    assert docs["d"].title == title


BAD_INPUTS = [
    # (file name, bytes, expected problem substring, line, severity, ids still read)
    ("empty.txt", b"  \n\n", "empty file", None, "error", []),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary", None, "error", []),
    # Windows-1256 Arabic: decoded with a warning, not lost
    (
        "cp1256.txt",
        "عنوان\nنص الخبر".encode("cp1256"),
        "windows-1256",
        None,
        "warning",
        ["cp1256.txt"],
    ),
    # Latin-1 French: decoded with a warning, accents intact
    (
        "latin1.txt",
        "Été\nLe député a parlé.".encode("latin-1"),
        "windows-1252",
        None,
        "warning",
        ["latin1.txt"],
    ),
    # a broken JSON line in the middle: the lines around it are kept
    (
        "broken.jsonl",
        b'{"id":"b1","text":"un"}\n{"id":"b2","text":\n{"id":"b3","text":"trois"}\n',
        "invalid JSON",
        2,
        "error",
        ["b1", "b3"],
    ),
    ("noid.jsonl", b'{"text":"sans id"}\n', "field 'id' is required", 1, "error", []),
    ("notext.jsonl", b'{"id":"n1","text":""}\n', "field 'text' is required", 1, "error", []),
    ("array.jsonl", b'["id", "text"]\n', "a JSON object is required", 1, "error", []),
    (
        "badlang.jsonl",
        b'{"id":"l1","text":"bonjour","lang":"klingon"}\n',
        "unknown lang",
        1,
        "warning",
        ["l1"],
    ),
    ("notes.pdf", b"%PDF-1.4", "unsupported format", None, "warning", []),
]


@pytest.mark.parametrize(("name", "data", "reason", "line", "severity", "kept"), BAD_INPUTS)
def test_bad_input_is_reported_and_skipped(
    tmp_path: Path,
    name: str,
    data: bytes,
    reason: str,
    line: int | None,
    severity: str,
    kept: list[str],
) -> None:
    (tmp_path / name).write_bytes(data)
    (tmp_path / "good.txt").write_text("Titre\nUn bon document.", "utf-8")
    docs, reader = read(tmp_path)
    assert sorted(docs) == sorted([*kept, "good.txt"])  # the good document is never lost
    [problem] = reader.report.problems
    assert reason in problem.reason
    assert (problem.path.split(":")[0], problem.line, problem.severity) == (name, line, severity)


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.xz"])
def test_truncated_stream_keeps_the_lines_before(tmp_path: Path, suffix: str) -> None:
    lines = b"".join(b'{"id":"t%d","text":"texte %d"}\n' % (i, i) for i in range(2000))
    packed = gzip.compress(lines) if suffix.endswith("gz") else lzma.compress(lines)
    (tmp_path / f"cut{suffix}").write_bytes(packed[: len(packed) // 2])
    docs, reader = read(tmp_path)
    assert 0 < len(docs) < 2000
    assert all(docs[f"t{i}"] for i in range(len(docs)))  # a prefix, in order
    [problem] = reader.report.problems
    assert "stream broken" in problem.reason and problem.severity == "error"


def test_duplicate_ids_are_reported_not_merged(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"id":"same","text":"premier"}\n', "utf-8")
    (tmp_path / "b.jsonl").write_text('{"id":"same","text":"second"}\n', "utf-8")
    docs, reader = read(tmp_path)
    assert docs["same"].text == "premier"
    [problem] = reader.report.problems
    assert "duplicate id 'same'" in problem.reason and problem.path == "b.jsonl:1"


def test_ids_of_text_files_are_relative_paths_and_readmes_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "2024" / "07").mkdir(parents=True)
    (tmp_path / "2024" / "07" / "d.md").write_text("Titre\ncorps", "utf-8")
    (tmp_path / "README.md").write_text("# About this corpus", "utf-8")
    (tmp_path / ".hidden.txt").write_text("secret\nx", "utf-8")
    docs, _ = read(tmp_path)
    assert list(docs) == ["2024/07/d.md"]


def test_long_first_line_is_a_lead_paragraph_not_a_title(tmp_path: Path) -> None:
    lead = "Rabat – " + "une phrase très longue " * 20 + "fin."
    (tmp_path / "lead.txt").write_text(lead + "\n\nSuite.", "utf-8")
    doc = read(tmp_path)[0]["lead.txt"]
    assert len(doc.title) <= 201 and doc.title.endswith("…")
    assert doc.text.startswith("Rabat – ")  # nothing of the lead is lost


def test_fingerprint_changes_with_content_only() -> None:
    a = Document(id="x", text="t", title="T", lang="fr")
    assert a.fingerprint == Document(id="x", text="t", title="T", lang="fr", path="p").fingerprint
    assert a.fingerprint != Document(id="x", text="t2", title="T", lang="fr").fingerprint
