"""Names across scripts: skeleton rules and vocabulary matching with guards."""

from __future__ import annotations

import pytest

from search.translate.transliterate import NameMatcher, skeleton

VOCAB_AR = {"قذاف": 3, "رباط": 5, "رابط": 4, "بوتفليق": 2, "كينيد": 1, "جون": 2, "كتاب": 40}


@pytest.mark.parametrize(
    ("latin", "arabic"),
    [
        ("kadhafi", "قذاف"),  # dh → ذ, final vowel dropped
        ("bouteflika", "بوتفليق"),  # ou → و, k ≈ ق
        ("mohammed", "محمد"),  # h/ح dropped alike, doubled m vs shadda-less م
        ("ouarzazate", "ورزازات"),  # initial ou = و
        ("chefchaouen", "شفشاون"),  # ch → ش
        ("kennedy", "كينيد"),
    ],
)
def test_same_skeleton(latin: str, arabic: str) -> None:
    assert skeleton(latin) == skeleton(arabic)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("kadhafi", "قذاف"),
        ("rabat", "رباط"),  # رابط (link) has the same skeleton: vowel-aware distance ties, df wins
        ("john", "جون"),  # two consonants: allowed only when nearly identical
        ("قذاف", None),  # Arabic word against an Arabic vocabulary: never itself
        ("an", None),  # one consonant: never
    ],
)
def test_candidates(word: str, expected: str | None) -> None:
    found = NameMatcher(VOCAB_AR).candidates(word, limit=1)
    assert (found[0].term if found else None) == expected
