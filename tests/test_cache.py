"""The per-generation cache bounded in bytes (search/cache.py), alone and in a server.

Alone: whatever is put, the total stays under the limit, the least recently used
entry goes first, an entry too large for its share is refused (and returned to
the caller, not kept), pinned data leaves less room. Served: ``/api/status``
shows the figures, and after many distinct prefix queries they stay within
``FIHRIS_CACHE_BYTES``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from conftest import FR_PREFIXES, free_port
from test_http import run_server

from search.cache import (
    ANALYSIS_SHARE,
    LARGEST_SHARE,
    SNIPPETS_SHARE,
    ByteCache,
    array_bytes,
    key_bytes,
    process_shares,
)

LIMIT = 64 * 1024


@pytest.mark.parametrize(
    ("count", "size"),
    [
        (10_000, 100),  # many small entries: thousands evicted
        (500, LIMIT // LARGEST_SHARE - 600),  # each as large as a share allows
        (3, 10),  # all fit: nothing evicted
    ],
)
def test_the_total_stays_under_the_limit(count: int, size: int) -> None:
    cache = ByteCache(LIMIT)
    for n in range(count):
        assert cache.put(("postings", "body", f"w{n}"), n, size)
        assert cache.bytes <= LIMIT
    status = cache.status()
    assert status["bytes"] == cache.bytes <= LIMIT and status["limit_bytes"] == LIMIT
    assert status["by_kind"] == {"postings": cache.bytes}
    # the most recent entry is always there; the first only if everything fitted
    assert cache.get(("postings", "body", f"w{count - 1}")) == count - 1
    kept_all = count * (size + key_bytes(("postings", "body", "w0"))) <= LIMIT
    assert (cache.get(("postings", "body", "w0")) == 0) == kept_all


def test_the_least_recently_used_entry_goes_first() -> None:
    per = LIMIT // LARGEST_SHARE - 600  # eight fit, not nine
    cache = ByteCache(LIMIT)
    for name in "abcdefgh":
        assert cache.put(("df", name), name, per)
    assert cache.get(("df", "a")) == "a"  # a is now the most recent
    cache.put(("df", "i"), "i", per)
    kept = {n for n in "abcdefghi" if cache.get(("df", n)) is not None}
    assert kept == set("acdefghi")  # b, the least recently used, went


@pytest.mark.parametrize(
    ("pinned", "size", "kept"),
    [
        (0, LIMIT // LARGEST_SHARE + 1, False),  # larger than a share of the limit
        (0, LIMIT // LARGEST_SHARE - 600, True),
        (LIMIT - 1000, 2000, False),  # pinned data leaves no room for it
        (2 * LIMIT, 10, False),  # pinned beyond the limit: nothing is cached at all
    ],
)
def test_an_entry_too_large_is_refused_and_others_stay(pinned: int, size: int, kept: bool) -> None:
    cache = ByteCache(LIMIT)
    cache.put(("phrase", "small"), 1, 10)
    cache.pin("vocabulary:suggest", pinned)
    assert cache.put(("postings", "huge"), "v", size) is kept
    assert (cache.get(("postings", "huge")) is not None) is kept
    assert cache.status()["entries"] <= 2
    if pinned <= LIMIT:  # what is cached fits beside the pinned data
        assert cache.bytes <= LIMIT


def test_array_estimates_count_the_data() -> None:
    a = np.zeros(1000, dtype=np.int64)
    assert array_bytes(a) >= 8000 and array_bytes(a, a) == 2 * array_bytes(a)


# -- served -----------------------------------------------------------------------------
CACHE_BYTES = 2 << 20  # 2 MiB: the worst-case index's vocabularies and a few postings


@pytest.fixture(scope="module")
def small_cache_server(
    settings: Any,
    worst_index: tuple[Path, Path],
) -> Iterator[str]:
    from web.app import create_app

    corpus, index = worst_index
    served = replace(
        settings, index_dir=index, corpus_dir=corpus, port=free_port(), cache_bytes=CACHE_BYTES
    )
    yield from run_server(create_app(served), served)


def test_status_shows_the_cache_within_its_limit_after_many_queries(
    small_cache_server: str,
) -> None:
    with httpx.Client(base_url=small_cache_server, timeout=60) as http:
        before = http.get("/api/status").json()["engine"]["cache"]
        assert before["limit_bytes"] == CACHE_BYTES
        # every three-letter prefix of the index: hundreds of distinct expansions and postings
        queries = [f"{p}{c}*" for p in FR_PREFIXES for c in "bcdfglmnprt"]
        for q in queries:
            assert http.get("/api/search", params={"q": q}).status_code == 200
        after = http.get("/api/status").json()["engine"]["cache"]
    assert after["bytes"] <= CACHE_BYTES
    assert after["entries"] > before["entries"]
    assert {"postings", "prefix"} <= set(after["by_kind"])
    assert sum(after["by_kind"].values()) + sum(after["pinned"].values()) == after["bytes"]
    # the process's analysis and snippet caches: their shares pinned and their bytes shown
    # (the analysis caches are trimmed after each search, but the server's background
    # threads, story links and vectors, may analyse more before the status is read:
    # the bound itself is tested in test_caches.py)
    for name, share in (("analysis", ANALYSIS_SHARE), ("snippets", SNIPPETS_SHARE)):
        limit = after["process"][name]["limit_bytes"]
        assert limit == process_shares(CACHE_BYTES)[name] == after["pinned"][f"process:{name}"]
        assert limit <= CACHE_BYTES // share
        assert isinstance(after["process"][name]["bytes"], int)


@pytest.mark.parametrize(
    ("limit", "analysis", "snippets"),
    [
        (128 << 20, 16 << 20, 32 << 20),  # the default: the sizes measured as enough
        (1 << 30, 16 << 20, 32 << 20),  # a larger limit goes to the generations
        (16 << 20, 2 << 20, 4 << 20),  # a small one: each a share of it
    ],
)
def test_process_caches_are_a_capped_share_of_the_limit(
    limit: int, analysis: int, snippets: int
) -> None:
    shares = process_shares(limit)
    assert shares == {"analysis": analysis, "snippets": snippets}
    assert sum(shares.values()) < limit // 2  # the generation keeps most of it
