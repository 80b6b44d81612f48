"""Export throughput: rows/s of ``GET /api/export`` against paging ``/api/search``.

Why that baseline: without the export, a client gets every hit of a search by
paging the JSON API (100 hits a page, snippets included, as the API serves them);
both are measured in the same run, on the same server and the same queries, so the
ratio says what the export saves. The server is ``fihris serve`` on loopback over
an index of the benchmark's slice (SaudiNewsNet articles and the French
documents); the client is httpx, reading the stream to its end. Each figure is the
best of ``repeat`` alternating rounds (shared cores vary), every round kept.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any, Final

import httpx

from bench import data
from bench.searching import _free_port, _serve
from index import build_index

#: Broad searches as people type them, so the exports are thousands of rows.
QUERIES: Final = [
    {"q": "السعودية"},  # Arabic, cross-language on (French hits too)
    {"q": "santé OR maladie", "sort": "date"},  # French, newest first
    # the widest: with every SaudiNewsNet article (--snn 30100) the 10,000-row cap cuts it
    {"q": "السعودية OR المملكة OR الرياض", "cross": "false"},
]
PAGE: Final = 100


def _export(http: httpx.Client, fmt: str, params: dict[str, str]) -> dict[str, float]:
    t0 = time.perf_counter()
    first = None
    size = 0
    with http.stream("GET", "/api/export", params={**params, "format": fmt}) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            if first is None:
                first = time.perf_counter() - t0
            size += len(chunk)
        rows = int(response.headers["fihris-rows"])
        total = int(response.headers["fihris-total"])
    seconds = time.perf_counter() - t0
    return {
        "rows": rows,
        "total": total,
        "seconds": round(seconds, 3),
        "first_byte_ms": round((first or 0.0) * 1000, 1),
        "megabytes": round(size / 1e6, 2),
        "rows_per_s": round(rows / seconds, 1),
    }


def _paging(http: httpx.Client, params: dict[str, str], rows: int) -> dict[str, float]:
    t0 = time.perf_counter()
    got = 0
    page = 1
    while got < rows:
        response = http.get("/api/search", params={**params, "size": str(PAGE), "page": str(page)})
        response.raise_for_status()
        hits = response.json()["hits"]
        if not hits:
            break
        got += len(hits)
        page += 1
    seconds = time.perf_counter() - t0
    return {"rows": got, "seconds": round(seconds, 3), "rows_per_s": round(got / seconds, 1)}


def bench_export(docs: list[dict[str, Any]], repeat: int) -> dict[str, Any]:
    """Rows/s of the export (CSV, JSON Lines) and of paging the API, per query."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = data.write_corpus(docs, root / "corpus")
        build_index(corpus, root / "index")
        port = _free_port()
        server = _serve(
            ["-m", "web.cli", "serve", "--index", str(root / "index"), "--corpus", str(corpus),
             "--port", str(port)],
            port,
        )  # fmt: skip
        results: dict[str, Any] = {"documents": len(docs), "queries": {}}
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as http:
                for params in QUERIES:
                    http.get("/api/search", params=params)  # open the index, load the lexicon
                    runs: dict[str, list[dict[str, float]]] = {"csv": [], "jsonl": [], "paging": []}
                    for _ in range(max(1, repeat)):
                        runs["csv"].append(_export(http, "csv", params))
                        runs["jsonl"].append(_export(http, "jsonl", params))
                        rows = int(runs["csv"][-1]["rows"])
                        runs["paging"].append(_paging(http, params, rows))
                    best = {k: max(v, key=lambda r: r["rows_per_s"]) for k, v in runs.items()}
                    results["queries"][params["q"]] = {
                        "params": params,
                        **best,
                        "csv_over_paging": round(
                            best["csv"]["rows_per_s"] / best["paging"]["rows_per_s"], 2
                        ),
                        "jsonl_over_paging": round(
                            best["jsonl"]["rows_per_s"] / best["paging"]["rows_per_s"], 2
                        ),
                        "every_round_rows_per_s": {
                            k: [r["rows_per_s"] for r in v] for k, v in runs.items()
                        },
                    }
        finally:
            server.terminate()
            server.wait(10)
    csv_rates = [q["csv"]["rows_per_s"] for q in results["queries"].values()]
    ratios = [q["csv_over_paging"] for q in results["queries"].values()]
    results["csv_rows_per_s_min"] = min(csv_rates)
    results["csv_over_paging_min"] = min(ratios)
    return results
