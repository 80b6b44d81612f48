"""``python -m bench.scale_links``: story links alone, at scale, this code against another.

Why apart from ``--scale``: a build's time there also holds the index, the term
lists, the completions and the semantic vectors; this measures what linking
costs (links and related dispatches, ``GenerationLinks.compute``) on the same
synthetic archive (:mod:`bench.scale_data`), per size, in one run:

- the index built once without derived files (``build_index``, 2 processes);
- linking it from scratch: seconds, peak memory of the linking process;
- ``update_index`` adding 1% new documents, then linking the new generation
  from the previous one's files: seconds, and the ratio to the full linking;
- the same with the code of ``--baseline DIR`` (an exported older revision, run
  in its own process on a copy of the index), so the ratio is from one run.

JSON to ``--out`` (default ``var/bench-scale-links.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import scale_data

_LINK = """
import json, resource, sys, time
from pathlib import Path
from index.store import open_generation
from search.links import GenerationLinks
gen = Path(sys.argv[1]); base = Path(sys.argv[2]) if len(sys.argv) > 2 else None
index = open_generation(gen, check=False)
t0 = time.perf_counter()
links = GenerationLinks(gen, index, base_dir=base)
found, related = links.compute()
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": round(seconds, 2), "peak_mb": round(peak, 1),
                  "linked": len(found), "related": len(related), "report": links.report}))
"""


def _link(code: Path, gen: Path, base: Path | None = None) -> dict[str, Any]:
    """Link one generation with the code under ``code`` (its own process)."""
    paths = [str(gen.resolve()), *([str(base.resolve())] if base else [])]
    argv = [sys.executable, "-c", _LINK, *paths]
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(argv, cwd=code, env=env, capture_output=True)
    if done.returncode:
        raise RuntimeError(f"linking with {code} failed: {done.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def _generations(index: Path) -> list[Path]:
    return sorted(p for p in index.glob("gen-*") if p.is_dir() and "partial" not in p.name)


def measure(size: int, root: Path, codes: dict[str, Path]) -> dict[str, Any]:
    """One size: build, link from scratch and after +1%, per code."""
    from index import build_index, update_index

    corpus = root / "corpus"
    scale_data.write(size, corpus / "docs.jsonl")
    t0 = time.perf_counter()
    build_index(corpus, root / "index", procs=2)
    row: dict[str, Any] = {"index_build_seconds": round(time.perf_counter() - t0, 2)}
    for name in codes:
        if name != "this":
            shutil.copytree(root / "index", root / f"index-{name}")
    scale_data.write(max(1, size // 100), corpus / "docs-new.jsonl", start=size)
    for name, code in codes.items():
        index = root / ("index" if name == "this" else f"index-{name}")
        full = _link(code, _generations(index)[-1])
        t0 = time.perf_counter()
        update_index(corpus, index, procs=2)
        index_update = round(time.perf_counter() - t0, 2)
        before, after = _generations(index)[-2:]
        update = _link(code, after, before)
        row[name] = {
            "links_full": full,
            "index_update_seconds": index_update,
            "links_update": update,
            "links_update_over_full": round(update["seconds"] / full["seconds"], 3),
        }
    row["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_links")
    parser.add_argument("--sizes", default="3000,10000")
    parser.add_argument("--workdir", type=Path, default=Path("var"))
    parser.add_argument("--baseline", type=Path, help="an exported older revision to compare")
    parser.add_argument("--out", type=Path, default=Path("var/bench-scale-links.json"))
    args = parser.parse_args(argv)
    codes = {"this": Path(__file__).resolve().parents[1]}
    if args.baseline:
        codes["baseline"] = args.baseline.resolve()
    rows: dict[str, Any] = {}
    args.workdir.mkdir(parents=True, exist_ok=True)
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(dir=args.workdir, prefix="fihris-links-") as tmp:
            rows[str(size)] = measure(size, Path(tmp), codes)
        print(f"size {size}: {json.dumps(rows[str(size)])}", file=sys.stderr, flush=True)
        args.out.write_text(json.dumps({"collection": scale_data.DESCRIPTION, "rows": rows},
                                       indent=2), "utf-8")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
