"""What a server's memory is made of: resident memory added by each structure, in order.

``python -m bench.server_memory ROOT`` with ``ROOT`` a folder of ``python -m bench
--scale --keep`` (``ROOT/index``, ``ROOT/corpus/docs.jsonl``): in one process, the
engine a server makes, its parts loaded one after the other (what ``warm()`` starts in
background threads, here in turn), then the scale benchmark's 504 queries; after each
step the growth of the resident memory (``VmRSS``, after a garbage collection) and,
at the end, the estimated bytes of the caches. JSON on stdout.
``--top N`` also traces the Python allocations (``tracemalloc``, numpy's buffers
included; memory-mapped files are not allocations) and adds the ``N`` source lines
holding the most after the queries: what to make compact next.

Resident memory, not object sizes: what the allocator keeps after a step counts
(a parse's freed objects included), as for the server. The order matters a
little: memory freed by one step may be reused by the next.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tracemalloc
from pathlib import Path
from typing import Any


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _short(filename: str) -> str:
    """A traced file's name from the project or ``site-packages`` on, not the whole path."""
    for marker in (str(Path(__file__).resolve().parents[1]) + "/", "site-packages/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def profile(root: Path, top: int = 0) -> dict[str, Any]:
    """The steps (name, MB added, MB resident after) and the caches after the queries.

    ``top``: also the ``top`` source lines holding the most traced memory at the end.
    """
    if top:
        tracemalloc.start()
    steps: list[dict[str, Any]] = []
    last = _rss_mb()

    def step(name: str) -> None:
        nonlocal last
        gc.collect()
        now = _rss_mb()
        steps.append({"step": name, "added_mb": round(now - last, 1), "rss_mb": round(now, 1)})
        last = now

    step("interpreter")
    import litestar  # noqa: F401
    import whoosh  # noqa: F401

    import web.app  # noqa: F401
    from bench.scale import queries
    from index import analysis_cache_bytes
    from index.encoder import load_encoder
    from search import SearchEngine, marks
    from search.links import links_for
    from search.models import SearchRequest

    step("imports: web, search, index, litestar, whoosh, numpy")
    from web.settings import Settings

    settings = Settings.from_env()  # FIHRIS_ENCODER, FIHRIS_CACHE_BYTES as the server reads them
    engine = SearchEngine(
        root / "index",
        encoder=load_encoder(settings.encoder),
        embed=False,
        cache_bytes=settings.cache_bytes,
    )
    cross: Any = engine.cross
    cross.loaded()
    step("lexicon, glossary, gazetteer, translator")
    gen = engine._generation()
    step("generation: searcher, columns")
    for kind in ("fr", "ar", "complete", "suggest"):
        gen._build_vocabulary(kind)
        step(f"vocabulary {kind}" + (" (and its name index)" if kind in ("fr", "ar") else ""))
    links = links_for(gen.index)
    if links is not None:
        links.start()
        links.wait(3600)
    step("story links")
    engine.search(SearchRequest(q="الحكومة", cross=False))
    step("first search (the encoder loads, with the vectors)")
    count = 1
    for items in queries(root / "corpus" / "docs.jsonl").values():
        for params in items:
            for cross_on in (True, False):
                engine.search(SearchRequest(q=params["q"], lang=params.get("lang"), cross=cross_on))
                count += 1
    step(f"{count - 1} more searches")
    from search.complete_files import release_memory

    release_memory()
    step("malloc_trim: freed memory handed back")
    traced: list[dict[str, Any]] = []
    if top:
        snapshot = tracemalloc.take_snapshot()
        for stat in snapshot.statistics("lineno")[:top]:
            frame = stat.traceback[0]
            where = f"{_short(frame.filename)}:{frame.lineno}"
            traced.append({"line": where, "mb": round(stat.size / 2**20, 2), "blocks": stat.count})
        total = sum(s.size for s in snapshot.statistics("filename"))
        traced.append({"line": "total traced", "mb": round(total / 2**20, 2), "blocks": 0})
        tracemalloc.stop()
    return {
        "steps": steps,
        "traced_after": traced,
        "caches_after": {
            "generation": gen.cache.status(),
            "analysis": analysis_cache_bytes(),
            "snippet_chunk_map": marks.chunk_map_bytes(),
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.server_memory")
    parser.add_argument("root", type=Path, help="a size folder of `python -m bench --scale --keep`")
    parser.add_argument("--top", type=int, default=0, help="trace allocations: the N largest lines")
    args = parser.parse_args()
    json.dump(profile(args.root, args.top), sys.stdout, indent=1)
    print()
