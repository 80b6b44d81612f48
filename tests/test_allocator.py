"""Freed memory handed back after searches (search/allocator.py), at most every few seconds."""

from __future__ import annotations

import time

from search.allocator import Trimmer


def _trims_after(trimmer: Trimmer, wanted: int) -> int:
    deadline = time.monotonic() + 5
    while trimmer.trims < wanted and time.monotonic() < deadline:
        time.sleep(0.01)
    return trimmer.trims


def test_searches_trim_at_most_once_per_period() -> None:
    trimmer = Trimmer(every=0.3)
    for _ in range(50):  # a burst of searches within one period: none trims yet
        trimmer.searched()
    assert trimmer.trims == 0
    time.sleep(0.35)
    for _ in range(50):  # the first search past the period trims, once
        trimmer.searched()
    assert _trims_after(trimmer, 1) == 1
    time.sleep(0.1)
    assert trimmer.trims == 1
    time.sleep(0.3)
    trimmer.searched()
    assert _trims_after(trimmer, 2) == 2
