"""The analysis caches (``index.tokens``) measured and emptied past a bound in bytes."""

from __future__ import annotations

import sys

import pytest

from index import analysis_cache_bytes, analyze, tokens, trim_analysis_caches
from index.analysis import clear_caches


def _texts(count: int) -> list[str]:
    """Distinct words of both scripts (numbers keep them distinct), several per chunk."""
    words = ["réformes", "gouvernements", "l'économie", "مجلس", "الوزراء", "بالمغرب", "vote-clé"]
    return [" ".join(f"{words[(i + k) % 7]}{i}x{k}" for k in range(30)) for i in range(count)]


@pytest.fixture(autouse=True)
def empty_caches() -> None:
    clear_caches()


def _deep_size(*objects: object) -> int:
    """Every object reachable through dicts, tuples and lists, each counted once (getsizeof)."""
    seen: set[int] = set()
    todo = list(objects)
    total = 0
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            todo.extend(obj.keys())
            todo.extend(obj.values())
        elif isinstance(obj, tuple | list):
            todo.extend(obj)
    return total


def test_estimate_is_near_what_the_caches_hold() -> None:
    """Within 0.8–2× of the objects the caches hold (their sizes summed), French and Arabic.

    Not tracemalloc: threads of other tests allocating meanwhile would count too.
    """
    for text in _texts(300):
        analyze(text)
    held = _deep_size(tokens._WORDS, tokens._CHUNKS)
    estimate = sum(analysis_cache_bytes().values())
    assert len(tokens._WORDS) > 5000
    assert 0.8 * held <= estimate <= 2 * held


@pytest.mark.parametrize(
    ("limit", "emptied"),
    [
        (1 << 30, False),  # far under the bound: kept
        (64 << 10, True),  # past it: both emptied
        (0, True),  # a bound of nothing: emptied even when small
    ],
)
def test_trim_empties_past_the_bound(limit: int, emptied: bool) -> None:
    for text in _texts(100):
        analyze(text)
    before = sum(analysis_cache_bytes().values())
    after = trim_analysis_caches(limit)
    assert (after == 0) is emptied
    assert (tokens._WORDS == {}) is emptied and (tokens._CHUNKS == {}) is emptied
    if not emptied:
        assert after == before
    # analysis is the same either way
    assert [t.term for t in analyze("Les réformes du gouvernement بالمغرب")] == [
        "reform",
        "gouvern",
        "مغرب",
    ]


def test_empty_caches_measure_nothing() -> None:
    assert analysis_cache_bytes() == {"words": 0, "chunks": 0}
    assert trim_analysis_caches(0) == 0
