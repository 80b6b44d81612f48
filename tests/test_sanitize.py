"""The repairs and bounds of ``index.sanitize``, and the size setting, as tables."""

from __future__ import annotations

import io

import pytest

from index.sanitize import bounded_lines, repair_surrogates, safe_name
from web.settings import parse_document_bytes


@pytest.mark.parametrize(
    ("data", "limit", "expected"),
    [
        (b"ab\ncd\n", 4, [(1, b"ab", 2), (2, b"cd", 2)]),
        (b"ab\ncd", 4, [(1, b"ab", 2), (2, b"cd", 2)]),  # last line without a newline
        (b"abcd\n", 4, [(1, b"abcd", 4)]),  # exactly the limit: kept (the newline not counted)
        (b"abcde\nx\n", 4, [(1, None, 5), (2, b"x", 1)]),  # one over: skipped, next one read
        (b"abcdefgh", 4, [(1, None, 8)]),  # oversized last line without a newline
        (b"\n\n", 4, [(1, b"", 0), (2, b"", 0)]),  # empty lines keep their numbers
    ],
)
def test_bounded_lines(
    data: bytes, limit: int, expected: list[tuple[int, bytes | None, int]]
) -> None:
    assert list(bounded_lines(io.BufferedReader(io.BytesIO(data)), limit)) == expected


def test_an_oversized_line_is_measured_past_the_skip_chunk() -> None:
    data = b"x" * (3 << 20) + b"\nok\n"  # three 1 MiB pieces read through
    assert list(bounded_lines(io.BufferedReader(io.BytesIO(data)), 1024)) == [
        (1, None, 3 << 20),
        (2, b"ok", 2),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dépêche.txt", ("dépêche.txt", False)),  # valid UTF-8: untouched
        ("\udcff.txt", ("%FF.txt", True)),  # b"\xff.txt" as os.fsdecode gives it
        ("d\udce9p\udceache/a.txt", ("d%E9p%EAche/a.txt", True)),  # a Latin-1 folder
        ("%FF.txt", ("%FF.txt", False)),  # a real percent: left alone (a clash is a duplicate)
    ],
)
def test_safe_name(name: str, expected: tuple[str, bool]) -> None:
    assert safe_name(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x \ud800", ("x \ufffd", 1)),
        ({"k\udfff": ["\ud83d", 1, None]}, ({"k\ufffd": ["\ufffd", 1, None]}, 2)),
        ("\U0001f600", ("\U0001f600", 0)),  # a real emoji (a joined pair) is fine
    ],
)
def test_repair_surrogates(value: object, expected: tuple[object, int]) -> None:
    assert repair_surrogates(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("16M", 16 << 20), ("16MiB", 16 << 20), ("512k", 512 << 10), ("1G", 1 << 30), ("2048", 2048)],
)
def test_parse_document_bytes(text: str, expected: int) -> None:
    assert parse_document_bytes(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("lots", "16M, 512KiB"),  # not a size: the syntax is named
        ("16T", "16M, 512KiB"),  # no terabytes
        ("100", "at least 1024"),  # too small to hold any dispatch
    ],
)
def test_parse_document_bytes_rejects(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=repr(text)) as info:
        parse_document_bytes(text)
    assert words in str(info.value)
