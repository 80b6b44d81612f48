"""Packed vocabularies (search/strings.py) answer as the dicts and lists they replace."""

from __future__ import annotations

import pytest

from search.strings import ByteStrings, Strings, TermSet
from search.translate.transliterate import NameMatcher

WORDS = ["kadhafi", "gaddafi", "القذافي", "قذاف", "édison", "اديسون", "bachmann", "باكمان", "a"]


def test_a_term_set_is_the_mapping_it_replaces() -> None:
    terms = TermSet([*WORDS, "kadhafi"])  # a repeated word counts once
    as_dict = dict.fromkeys(WORDS, 1)
    assert terms == as_dict and len(terms) == len(as_dict)
    assert "القذافي" in terms and "القذاف" not in terms and 3 not in terms
    assert terms.get("édison") == 1 and terms.get("edison") is None


@pytest.mark.parametrize(
    ("word", "found"),
    [
        ("kadhafi", True),  # Latin → Arabic skeletons
        ("bachmann", True),  # a German spelling read several ways
        ("gaddafi", False),  # g for ق: a spelling the rules do not read
        ("x", False),  # one consonant: never matches
    ],
)
def test_names_match_the_same_over_a_term_set_and_a_dict(word: str, found: bool) -> None:
    # the candidates (term, distance, frequency) do not depend on how the words are held
    packed = NameMatcher(TermSet(WORDS)).find(word)
    assert packed == NameMatcher(dict.fromkeys(WORDS, 1)).find(word)
    assert bool(packed) == found


def test_strings_find_by_bisection_in_code_point_order() -> None:
    values = sorted(["b", "é", "a", "ا", "\U0001f600", "ab"])
    pool = Strings(values)
    assert [pool[i] for i in range(len(pool))] == values
    assert all(pool.find(v) == i for i, v in enumerate(values))
    assert pool.find("zz") == -1 and Strings([]).find("a") == -1


@pytest.mark.parametrize("count", [0, 3, 200])  # few offsets are kept as a list, many as an array
def test_byte_strings_read_back_each_value(count: int) -> None:
    values = [bytes([i % 256]) * (i % 5) for i in range(count)]  # empty ones included
    packed = ByteStrings(values)
    assert len(packed) == count and list(packed) == values
    if count:
        assert packed[-1] == values[-1] and packed[1:3] == values[1:3]
    with pytest.raises(IndexError):
        packed[count]
