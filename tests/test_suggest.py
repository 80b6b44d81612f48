"""Did-you-mean: near spellings from the index vocabulary that have hits."""

from __future__ import annotations

import gzip
import json
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from index import tokenize
from search.query import parse
from search.suggest import Vocabulary, _keys, distance, suggest

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


def _buckets_oracle(terms: list[str]) -> Callable[[str], list[tuple[int, str]]]:
    """The former vocabulary: a dict of lists per (length, side, ends), as it was built."""
    buckets: dict[tuple[int, str, str], list[str]] = defaultdict(list)
    for term in terms:
        if len(term) >= 3 and not term.isdigit():
            for key in _keys(term, len(term)):
                buckets[key].append(term)

    def candidates(word: str) -> list[tuple[int, str]]:
        limit = 1 if len(word) <= 5 else 2
        seen: dict[str, int] = {}
        for length in range(len(word) - limit, len(word) + limit + 1):
            for key in _keys(word, length):
                for term in buckets.get(key, ()):
                    if term != word and term not in seen:
                        dist = distance(word, term, limit)
                        if dist <= limit:
                            seen[term] = dist
        return sorted((d, t) for t, d in seen.items())

    return candidates


def test_compact_vocabulary_finds_what_the_buckets_found() -> None:
    """Every form of the bundled corpus, and misspellings of them, give the same candidates."""
    texts = [p.read_text("utf-8") for p in sorted(Path("corpus").rglob("*.txt"))]
    for path in sorted(Path("corpus").rglob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle]
    terms = sorted({t.exact for text in texts for t in tokenize(text)})
    assert len(terms) > 3000
    oracle = _buckets_oracle(terms)
    kept = [t for t in terms if len(t) >= 3 and not t.isdigit()]
    vocabulary = Vocabulary([*terms, kept[0], "12345", "ab"])  # a duplicate, a number, too short
    assert vocabulary.size == len(kept) + 1  # counted as before, duplicate included
    rng = random.Random(18)
    words = rng.sample(terms, 400)
    # misspelt: a letter dropped, two swapped, one doubled; and words of no bucket at all
    words += [w[:2] + w[3:] for w in words[:100]] + [w[1] + w[0] + w[2:] for w in words[100:200]]
    words += [w + w[-1] for w in words[200:300]] + ["", "x", "zzzzzzzzzz", "\ud800ab"]
    for word in words:
        assert vocabulary.candidates(word) == oracle(word), word
    assert 0 < vocabulary.nbytes() < 40 * len(terms)  # tens of bytes a form, not hundreds
