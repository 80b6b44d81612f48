"""Completion latency (``/api/suggest``), keystroke by keystroke, against a naive baseline.

The Fihris side: ``SearchEngine.complete`` over an index of every SaudiNewsNet article
plus the French documents (as the search benchmark), once its per-generation
completions are built (the build time and the table's memory are reported), and the
same over HTTP on a uvicorn server on 127.0.0.1. The queries are every prefix of a
few phrases, typed in both languages as a user types them (accents left out in one).

The baseline, measured in the same run: what the index alone gives, the naive way
(Whoosh's ``expand_prefix`` on the exact-form field of the last word typed, each
candidate's document frequency read, the most frequent eight kept): words only, no
phrases, no titles, no surface forms.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import httpx

from bench import data
from bench.searching import _free_port, _percentile, _serve
from index import IndexStore, build_index
from search.complete import LIMIT, fold

#: Phrases typed one character at a time; every prefix is a query.
TYPED: Final = [
    "الاتجار بالبشر",
    "وزير الصحة",
    "المملكة العربية السعودية",
    "كورونا",
    "أسعار النفط",
    "ولي العهد",
    "traite des etres humains",  # typed without accents
    "santé publique",
    "Organisation mondiale",
    "gouvernement",
    "vaccin",
]
ROUNDS: Final = 5


def keystrokes() -> list[str]:
    return [text[:n] for text in TYPED for n in range(1, len(text) + 1) if text[:n].strip()]


def _timed(fn: Any, queries: list[str], rounds: int = ROUNDS) -> dict[str, float]:
    samples = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            fn(q)
            samples.append((time.perf_counter() - t0) * 1000)
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(_percentile(samples, 95), 3),
        "max_ms": round(max(samples), 3),
        "samples": len(samples),
    }


def _naive(reader: Any) -> Any:
    def complete(q: str) -> list[str]:
        words = fold(q).split()
        if not words:
            return []
        found: dict[str, int] = {}
        for n, raw in enumerate(reader.expand_prefix("body_exact", words[-1])):
            if n >= 5000:
                break
            term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            found[term] = reader.doc_frequency("body_exact", term)
        return sorted(found, key=lambda t: -found[t])[:LIMIT]

    return complete


def bench_suggest(notes: list[str]) -> dict[str, Any]:
    from search import SearchEngine

    docs = data.read_snn(None) + data.read_french()
    if not data.snn_available():
        notes.append("suggest benchmark: SaudiNewsNet missing, French documents only")
    queries = keystrokes()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = data.write_corpus(docs, root / "corpus")
        build_index(corpus, root / "index")
        engine = SearchEngine(root / "index")
        t0 = time.perf_counter()
        assert engine.completions_ready(timeout=600), "completions were not built"
        build_s = time.perf_counter() - t0
        completions = engine._generation().vocabulary("complete")
        ours = _timed(engine.complete, queries)
        index, _ = IndexStore(root / "index").open()
        with index.searcher() as searcher:
            naive_fn = _naive(searcher.reader())
            for q in queries:  # the same warm start as ours: terms read once
                naive_fn(q)
            naive = _timed(naive_fn, queries)
        examples = {q: engine.complete(q)[:3] for q in ("الاتج", "etre", "وزير ال", "vacc")}
        engine.close()

        port = _free_port()
        server = _serve(
            ["-m", "web.cli", "serve", "--index", str(root / "index"), "--port", str(port)], port
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                deadline = time.monotonic() + 600
                while not http.get("/api/suggest", params={"q": "ال"}).json()[1]:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the server's completions were not built")
                    time.sleep(0.5)
                over_http = _timed(lambda q: http.get("/api/suggest", params={"q": q}), queries)
        finally:
            server.terminate()
            server.wait(10)
    return {
        "documents": len(docs),
        "completions_build_seconds": round(build_s, 1),
        "phrases_and_words": completions.phrases.size,
        "titles": completions.titles.size,
        "table_megabytes": round(completions.nbytes / 2**20, 1),
        "keystrokes": len(queries),
        "in_process": ours,
        "naive_prefix_expansion": naive,
        "p95_speedup_vs_naive": round(naive["p95_ms"] / max(ours["p95_ms"], 1e-9), 2),
        "http": over_http,
        "goal": "p95 <= 10 ms",
        "examples": examples,
    }
