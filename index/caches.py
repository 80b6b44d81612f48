"""The analysis caches of :mod:`index.tokens`, measured and bounded in bytes.

Why: ``index.tokens`` caches every surface word and every chunk it analyses,
bounded by counts (500,000 words, 300,000 chunks, each cleared when full). At
~300 bytes an entry that is up to ~250 MB a process may keep, whatever the
server's memory bound says. A long-running server bounds them in bytes instead
(:func:`trim_analysis_caches`, called after each search with a share of
``FIHRIS_CACHE_BYTES``); an index build keeps the count bounds, for speed.

Why here and not in ``tokens.py``: that module is one of the analysis rule
modules whose syntax tree makes ``ANALYSIS_VERSION``; a change there makes
every index and the committed lexicon stale. Reading the caches' sizes and
clearing them changes no analysis.

The size is estimated from the newest entries (a sample of
:data:`SAMPLE`, taken from the end of the dicts, which costs microseconds) times the
number of entries: each entry's key, its tuples, its strings, and its share of
the dict's table.
"""

from __future__ import annotations

import itertools
import sys
from typing import Any, Final

from index import tokens

#: Entries measured per cache to estimate its mean entry size.
SAMPLE: Final = 32
#: A dict entry: hash, key and value references, and the free room a dict keeps.
DICT_SLOT: Final = 100
_TUPLE: Final = sys.getsizeof(())  # 40: a tuple's header, then 8 bytes per item


def _word_bytes(key: str, value: tuple[Any, ...]) -> int:
    """A word entry: the surface word, its 5-tuple, the term and exact form strings."""
    term, exact = value[1], value[2]
    size = sys.getsizeof(key) + _TUPLE + 8 * len(value) + sys.getsizeof(term) + DICT_SLOT
    return size + (sys.getsizeof(exact) if exact is not term else 0)


def _chunk_bytes(key: str, value: tuple[Any, ...]) -> int:
    """A chunk entry: the chunk, its pair, its tuple of token tuples (their strings are
    the word cache's)."""
    found = value[0]
    size = sys.getsizeof(key) + _TUPLE + 16 + _TUPLE + 8 * len(found) + DICT_SLOT
    return size + sum(_TUPLE + 8 * len(token) for token in found)


def _estimate(cache: dict[str, Any], entry: Any) -> int:
    count = len(cache)
    if not count:
        return 0
    try:
        sample = list(itertools.islice(reversed(cache.items()), SAMPLE))
    except RuntimeError:  # changed while read (another thread analysing): measure next time
        return count * 300
    if not sample:
        return 0
    mean = sum(entry(key, value) for key, value in sample) / len(sample)
    return int(count * mean) + sys.getsizeof(cache)


def analysis_cache_bytes() -> dict[str, int]:
    """Estimated bytes of the word and chunk caches."""
    return {
        "words": _estimate(tokens._WORDS, _word_bytes),
        "chunks": _estimate(tokens._CHUNKS, _chunk_bytes),
    }


def trim_analysis_caches(limit: int) -> int:
    """Empty the word and chunk caches when together they pass ``limit`` bytes.

    Emptied, not trimmed entry by entry, as the count bounds do: both are
    refilled by the next texts within milliseconds, and a dict that is only
    ever cleared keeps no per-entry bookkeeping. Returns the bytes held after.
    """
    total = sum(analysis_cache_bytes().values())
    if total > limit:
        tokens.clear_caches()
        total = sum(analysis_cache_bytes().values())
    return total
