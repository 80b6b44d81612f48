"""``python -m bench``: run the benchmarks, print a table, write JSON (``make bench``)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import data
from bench.indexing import bench_analysis, bench_indexing
from index import native


def _table(results: dict[str, Any]) -> str:
    rows = []
    for section, values in results["benchmarks"].items():
        if isinstance(values, dict):
            for key, value in values.items():
                rows.append(f"{section:<12} {key:<28} {value}")
    return "\n".join(rows)


def _scale(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bench.scale import bench_scale, table

    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes {args.sizes!r}: expected sizes like 30000,100000")
    if not sizes or min(sizes) < 100:
        parser.error(f"--sizes {args.sizes!r}: at least one size, each at least 100 documents")
    out = args.out if args.out != Path("var/bench.json") else Path("var/bench-scale.json")
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cores": os.cpu_count(),
        },
        "analysis_code": "compiled" if native.active() else f"pure Python: {native.reason}",
        "snn_available": data.snn_available(),
        **bench_scale(sizes, args.workdir, out.with_suffix(".partial.json"), args.keep),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False), "utf-8")
    print(table(result))
    print(f"JSON written to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--out", type=Path, default=Path("var/bench.json"))
    parser.add_argument("--snn", type=int, default=5000, help="SaudiNewsNet articles in the slice")
    parser.add_argument(
        "--only",
        choices=["indexing", "search", "translation", "export", "suggest", "cost", "semantic"],
        default=None,
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="the scale benchmark (bench/scale.py): build, memory, start-up, latency per size",
    )
    parser.add_argument(
        "--sizes",
        default="30000,100000,300000",
        help="documents per collection of --scale, comma-separated (default 30000,100000,300000)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where --scale writes its collections and indexes (default: the system temp dir)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="--scale keeps its collections and indexes under KEEP/n<size>; a later run with the "
        "same KEEP serves them again without building (server memory and latency only)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="alternating runs of the analysis and indexing benchmarks; each side keeps its best",
    )
    args = parser.parse_args(argv)
    if args.scale:
        return _scale(args, parser)

    notes = []
    if not data.snn_available():
        notes.append(f"SaudiNewsNet not found at {data.SNN}: the slice has French documents only")
    slice_docs = data.read_snn(args.snn) + data.read_french()
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        # which analysis ran: the mypyc build of `make install`, or Python (and why)
        "analysis_code": "compiled" if native.active() else f"pure Python: {native.reason}",
        "slice": {"saudinewsnet": min(args.snn, len(slice_docs)), "total": len(slice_docs)},
        "notes": notes,
        "benchmarks": {},
    }
    if args.only in (None, "indexing"):
        repeat = max(1, args.repeat)
        results["benchmarks"]["analysis"] = bench_analysis(slice_docs, repeat)
        results["benchmarks"]["indexing"] = bench_indexing(slice_docs, repeat)
    if args.only in (None, "search"):
        try:
            from bench.searching import bench_search
        except ImportError as exc:  # pragma: no cover - reported, not hidden
            notes.append(f"search benchmark unavailable: {exc}")
        else:
            results["benchmarks"]["search"] = bench_search(notes)
    if args.only in (None, "cost"):
        from bench.cost import bench_cost

        results["benchmarks"]["cost"] = bench_cost(notes)
    if args.only in (None, "search", "translation"):
        from bench.searching import QUERIES
        from bench.translation import bench_translation

        results["benchmarks"]["translation"] = bench_translation(slice_docs, QUERIES)
    if args.only in (None, "export"):
        from bench.exporting import bench_export

        results["benchmarks"]["export"] = bench_export(slice_docs, max(1, args.repeat))
    if args.only in (None, "suggest"):
        from bench.suggesting import bench_suggest

        results["benchmarks"]["suggest"] = bench_suggest(notes)
    if args.only in (None, "semantic"):
        from bench.semantic import bench_semantic

        results["benchmarks"]["semantic"] = bench_semantic(notes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), "utf-8")
    print(_table(results))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"JSON written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
