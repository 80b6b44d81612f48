"""Did-you-mean: near spellings from the index vocabulary that have hits."""

from __future__ import annotations

import pytest

from search.query import parse
from search.suggest import Vocabulary, distance, suggest

VOCAB = {"conteneurs": 40, "conteneur": 12, "tanger": 30, "الاتجار": 25, "بالبشر": 20, "port": 90}


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [("port", "port", 0), ("prot", "port", 1), ("conteneurs", "contenuers", 1), ("abc", "xyz", 2)],
)
def test_distance(a: str, b: str, d: int) -> None:
    assert distance(a, b, 1) == d if d <= 1 else distance(a, b, 1) == 2


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("contenuers", "conteneurs"),  # transposition
        ("Tangr port", "tanger port"),  # deletion; the rest of the query kept as typed
        ("الاتجر بالبشر", "الاتجار بالبشر"),  # Arabic: missing alef
        ("الإتجار", None),  # hamza seat: normalised to a known word, nothing to correct
        ("conteneurs", None),  # known word
    ],
)
def test_suggestions(q: str, expected: str | None) -> None:
    vocabulary = Vocabulary(VOCAB)

    def count(text: str) -> int:
        return 1 if all(t.exact in VOCAB for w in parse(text).words() for t in w.tokens) else 0

    got = suggest(parse(q), vocabulary, lambda t: VOCAB.get(t, 0), count, 0)
    assert (got.lower() if got else None) == expected
