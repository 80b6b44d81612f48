"""Resident memory of a server process once its search-box completions are ready.

``python -m bench.complete_memory --documents 20000`` (JSON on stdout): builds
an index of that many replicated documents (:mod:`bench.scale_data`), mines its
completions and writes them as ``fihris index build`` does (``prepare_s``), then
opens the generation in a fresh process per mode, as the server does, and
reports its resident size before and after the completions are ready:

- ``file``: read from ``completions.npz`` (what the server does now);
- ``mine``: no file, mined in the background, then ``malloc_trim`` (an index
  built without ``prepare_generation``);
- ``mine_untrimmed``: no file, mined, freed memory left in glibc's arenas (what
  the server did before the file).

The baseline is ``mine_untrimmed``, measured in the same run on the same index.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODES = ("file", "mine", "mine_untrimmed")


def _rss_mib() -> dict[str, float]:
    """Resident MiB: all, anonymous (the heap), file-backed (the index's mapped segments)."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name = line.split(":")[0]
            if name in ("VmRSS", "RssAnon", "RssFile"):
                found[name] = round(int(line.split()[1]) / 1024, 1)
    return found


def _serve(mode: str, root: Path) -> dict[str, Any]:
    """One mode, in this process: the generation opened, its completions made ready."""
    import search.generation
    from index import IndexStore
    from search.complete_files import COMPLETIONS_FILE

    path = IndexStore(root).current_dir() / COMPLETIONS_FILE
    aside = path.with_suffix(".aside")
    if mode != "file":
        path.rename(aside)
    if mode == "mine_untrimmed":
        search.generation.release_memory = lambda: None  # type: ignore[assignment]
    try:
        gen = search.generation.Generation(IndexStore(root))
        with gen.searcher():
            pass
        gc.collect()
        before = _rss_mib()
        t0 = time.perf_counter()
        while gen.vocabulary("complete") is None:
            time.sleep(0.05)
        ready = time.perf_counter() - t0
        gc.collect()
        table = gen.vocabulary("complete").nbytes / 2**20
        after = _rss_mib()
        return {
            "rss_before_mib": before["VmRSS"],
            "rss_after_mib": after["VmRSS"],
            "anon_before_mib": before["RssAnon"],
            "anon_after_mib": after["RssAnon"],
            "file_before_mib": before["RssFile"],
            "file_after_mib": after["RssFile"],
            "ready_seconds": round(ready, 2),
            "table_mib": round(table, 1),
        }
    finally:
        if mode != "file":
            aside.rename(path)


def run(documents: int, where: Path) -> dict[str, Any]:
    from bench import data, scale_data
    from index import IndexStore, build_index
    from index.store import open_generation
    from search.complete_files import COMPLETIONS_FILE, mine_index, write_completions

    corpus = data.write_corpus(list(scale_data.generate(documents)), where / "corpus")
    build_index(corpus, where / "index")
    gen_dir = IndexStore(where / "index").current_dir()
    t0 = time.perf_counter()
    with open_generation(gen_dir).reader() as reader:
        write_completions(gen_dir, reader, mine_index(reader))
    out: dict[str, Any] = {
        "documents": documents,
        "prepare_seconds": round(time.perf_counter() - t0, 1),
        "file_mib": round((gen_dir / COMPLETIONS_FILE).stat().st_size / 2**20, 1),
    }
    for mode in MODES:
        done = subprocess.run(
            [sys.executable, "-m", "bench.complete_memory", "--serve", mode, str(where / "index")],
            capture_output=True,
            text=True,
            check=True,
        )
        out[mode] = json.loads(done.stdout)
    base = out["mine_untrimmed"]
    for mode in MODES:
        grown = out[mode]["rss_after_mib"] - out[mode]["rss_before_mib"]
        out[mode]["growth_mib"] = round(grown, 1)
        base_grown = base["rss_after_mib"] - base["rss_before_mib"]
        out[mode]["growth_ratio_vs_untrimmed"] = round(grown / base_grown, 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--serve", nargs=2, metavar=("MODE", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(_serve(args.serve[0], Path(args.serve[1]))))
        return 0
    with tempfile.TemporaryDirectory(prefix="fihris-complete-") as tmp:
        print(json.dumps(run(args.documents, Path(tmp)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
