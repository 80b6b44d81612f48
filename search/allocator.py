"""Handing memory that searches freed back to the system, every few seconds.

(And :func:`limit_arenas`: a server's threads share two heaps, not one each.)

Why: glibc keeps what a process frees in its heaps, and a search frees a lot
(postings read and scored, snippet analysis, translated queries) in pieces between
survivors (cache entries), so the pages stay resident: measured on 10,000
scale-benchmark documents, a process was 177 MB resident after 504 searches and
142 MB after one ``malloc_trim(0)``, which returns every free page of every heap
(automatic trimming only shrinks a heap's top). ``mallopt`` thresholds changed
nothing there.

A trim takes ~20 ms on such a heap, with the interpreter lock released but the
heaps' locks held, so it is not run after every search: at most once every
:data:`TRIM_EVERY` seconds, after a search, in a thread of its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import threading
import time
from typing import Final

#: Seconds between two trims at most (one search in some hundreds waits for one).
TRIM_EVERY: Final = 10.0
#: glibc heaps ("arenas") a server's threads share (``M_ARENA_MAX``; glibc's default is
#: 8 per core). Each request thread otherwise gets a heap of its own, and what one
#: heap frees only that heap reuses.
ARENAS: Final = 2
_M_ARENA_MAX: Final = -8


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Make the process's threads share ``arenas`` glibc heaps (before they start).

    Why: a server runs each search on one of a pool of threads; with a heap per
    thread, the memory a search frees in one is not reused by the next search on
    another, and every heap keeps its own peak. True when glibc took the setting.
    """
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        return bool(ctypes.CDLL(name).mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False


def release_memory() -> None:
    """Hand memory freed by a large build back to the system (glibc only; else nothing).

    Why: mining frees millions of small strings, dict entries and tuples, but
    glibc keeps the freed space in the arenas of the thread that mined (a
    background thread's arena is never trimmed on its own), so the server's
    resident size stays at its peak. ``malloc_trim(0)`` returns the free pages
    of every arena.
    """
    name = ctypes.util.find_library("c")
    if not name:
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(name).malloc_trim(0)


class Trimmer:
    """Calls :func:`release_memory` after searches, at most every ``every`` seconds."""

    def __init__(self, every: float = TRIM_EVERY) -> None:
        self.every = every
        self.trims = 0
        self._last = time.monotonic()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def searched(self) -> None:
        """A search ended: trim (in the background) if the last trim is old enough."""
        now = time.monotonic()
        if now - self._last < self.every:
            return
        with self._lock:
            if now - self._last < self.every:
                return
            self._last = now
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="fihris-trim", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            release_memory()
            self.trims += 1
