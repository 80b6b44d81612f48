"""Did-you-mean: a near spelling from the index vocabulary that has hits.

Why buckets and not Whoosh's ``terms_within``: the automaton walk over a
268,000-term dictionary takes seconds in pure Python. Here the exact-form
vocabulary (already normalised: vowel marks, hamza seats, accents cost
nothing) is bucketed by (length, first three letters) and (length, last three
letters); a misspelling keeps one of its ends, so only a few hundred
candidates are compared with a real edit distance. The vocabulary is built
once per index generation, in the background.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

import numpy as np

from search.query import ParsedQuery, Word
from search.strings import Strings as _Strings

#: Below this many hits a suggestion is looked for.
FEW_HITS: Final = 3


class Vocabulary:
    """Exact forms of one index generation, bucketed for near-miss lookups.

    Held as byte strings and ``uint32`` arrays, not a dict of lists: the buckets of
    a generation's ~100,000 forms took ~25 MB of Python objects at 3,000 documents,
    kept for the generation's life. The distinct forms are one UTF-8 pool with
    their offsets; each bucket key (:func:`_keys`, written ``"<length><side><ends>"``)
    is in one sorted pool of keys, found by bisection, with the range of its
    forms' ids.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        size = 0
        kept: set[str] = set()
        for term in terms:
            if len(term) < 3 or term.isdigit():
                continue
            size += 1
            kept.add(term)
        self.size = size
        forms = sorted(kept)
        pairs = sorted(
            (_flat(key), i) for i, term in enumerate(forms) for key in _keys(term, len(term))
        )
        self._forms = _Strings(forms)
        keys: list[str] = []
        starts: list[int] = []
        for n, (key, _) in enumerate(pairs):
            if not keys or keys[-1] != key:
                keys.append(key)
                starts.append(n)
        starts.append(len(pairs))
        self._keys = _Strings(keys)
        self._starts = np.array(starts, np.uint32).data
        self._ids = np.array([i for _, i in pairs], np.uint32).data

    def nbytes(self) -> int:
        """Bytes held (the arrays and pools).

        Why: the vocabulary lives as long as its generation and counts against the
        generation's cache limit (:class:`search.cache.ByteCache` pins it).
        """
        return self._forms.nbytes + self._keys.nbytes + 4 * (len(self._starts) + len(self._ids))

    def _bucket(self, key: tuple[int, str, str]) -> list[str]:
        k = self._keys.find(_flat(key))
        if k < 0:
            return []
        return [self._forms[self._ids[r]] for r in range(self._starts[k], self._starts[k + 1])]

    def candidates(self, word: str) -> list[tuple[int, str]]:
        """(distance, term) within 1 edit (≤ 5 letters) or 2 edits, nearest first."""
        limit = 1 if len(word) <= 5 else 2
        seen: dict[str, int] = {}
        for length in range(len(word) - limit, len(word) + limit + 1):
            for key in _keys(word, length):
                for term in self._bucket(key):
                    if term != word and term not in seen:
                        dist = distance(word, term, limit)
                        if dist <= limit:
                            seen[term] = dist
        return sorted((d, t) for t, d in seen.items())


def _flat(key: tuple[int, str, str]) -> str:
    """A bucket key as one string: digits, then ``<`` or ``>``, then the letters."""
    return f"{key[0]}{key[1]}{key[2]}"


def _keys(word: str, length: int) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    n = 2 if len(word) <= 4 else 3
    return (length, "<", word[:n]), (length, ">", word[-n:])


def distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions), capped at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, prev2[j - 2] + 1)
            row.append(value)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return prev[-1]


def suggest(
    parsed: ParsedQuery,
    vocabulary: Vocabulary,
    doc_frequency: Callable[[str], int],
    count: Callable[[str], int],
    total: int,
) -> str | None:
    """The query with each rare or unknown word replaced by its most common near spelling.

    Returned as the user would type it (the rest of the query untouched), and
    only if it finds more documents than the query did.
    """
    text = parsed.text
    replacements: list[tuple[int, int, str]] = []
    for word in parsed.words():
        if not isinstance(word, Word) or word.prefix:
            continue
        for tok in word.tokens:
            if tok.stop or tok.script == "num":
                continue
            df = doc_frequency(tok.exact)
            if df > 2:
                continue
            scored = [
                (dist, -doc_frequency(term), term)
                for dist, term in vocabulary.candidates(tok.exact)
            ]
            scored = [s for s in scored if -s[1] > max(df * 20, 0)]
            if scored:
                best = min(scored)
                replacements.append((tok.start, tok.end, best[2]))
    if not replacements:
        return None
    out, pos = [], 0
    for start, end, term in sorted(replacements):
        out.append(text[pos:start])
        out.append(term)
        pos = end
    out.append(text[pos:])
    suggestion = "".join(out).strip()
    if suggestion == text.strip() or count(suggestion) <= total:
        return None
    return suggestion
