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
    trimmer = Trimmer(every=0.3, idle=0.0)
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


def test_a_due_trim_waits_for_a_pause_between_searches() -> None:
    trimmer = Trimmer(every=0.0, idle=0.2, patience=30.0)
    end = time.monotonic() + 0.6
    while time.monotonic() < end:  # searches ending every 20 ms: no pause of 0.2 s
        trimmer.searched()
        time.sleep(0.02)
    assert trimmer.trims == 0  # due since the first search, held back by the traffic
    assert _trims_after(trimmer, 1) == 1  # the searches stopped: it runs


def test_a_due_trim_runs_after_its_patience_without_a_pause() -> None:
    trimmer = Trimmer(every=0.0, idle=0.2, patience=0.3)
    end = time.monotonic() + 1.0
    while time.monotonic() < end and trimmer.trims == 0:
        trimmer.searched()
        time.sleep(0.02)
    assert trimmer.trims == 1
    assert time.monotonic() < end  # within the second of traffic, not after it
