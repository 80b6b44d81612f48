"""Analysis tokens/s and indexing documents/s, against naive Whoosh in the same run.

The naive baseline is what a developer gets from the Whoosh tutorial: a
``StandardAnalyzer`` on stored ``title``/``body`` fields and a single default
writer. Fihris does more per document (two analysed views, stemming, dates,
fingerprints) and must still be faster.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from whoosh import fields
from whoosh import index as whoosh_index
from whoosh.analysis import StandardAnalyzer

from bench.data import write_corpus
from index import build_index
from index.analysis import analyze, clear_caches


def bench_analysis(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Tokens per second of ``analyze`` (cold cache at start) and of StandardAnalyzer."""
    texts = [d["text"] for d in docs]
    clear_caches()
    t0 = time.perf_counter()
    ours = sum(len(analyze(text)) for text in texts)
    ours_s = time.perf_counter() - t0
    standard = StandardAnalyzer()
    t0 = time.perf_counter()
    naive = sum(1 for text in texts for _ in standard(text))
    naive_s = time.perf_counter() - t0
    return {
        "documents": len(texts),
        "fihris_tokens": ours,
        "fihris_tokens_per_s": round(ours / ours_s),
        "naive_tokens_per_s": round(naive / naive_s),
        "ratio": round((ours / ours_s) / (naive / naive_s), 2),
    }


def _naive_build(docs: list[dict[str, Any]], where: Path) -> float:
    analyzer = StandardAnalyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(stored=True, analyzer=analyzer),
        body=fields.TEXT(stored=True, analyzer=analyzer),
    )
    ix = whoosh_index.create_in(str(where), schema)
    t0 = time.perf_counter()
    writer = ix.writer()
    for doc in docs:
        writer.add_document(id=str(doc["id"]), title=doc.get("title") or "", body=doc["text"])
    writer.commit()
    return time.perf_counter() - t0


def bench_indexing(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Documents per second: ``build_index`` of a corpus folder vs the naive writer."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = write_corpus(docs, root / "corpus")
        clear_caches()
        t0 = time.perf_counter()
        stats = build_index(corpus, root / "index")
        ours_s = time.perf_counter() - t0
        (root / "naive").mkdir()
        naive_s = _naive_build(docs, root / "naive")
    return {
        "documents": len(docs),
        "fihris_docs_per_s": round(stats.documents / ours_s, 1),
        "naive_docs_per_s": round(len(docs) / naive_s, 1),
        "ratio": round(naive_s / ours_s, 2),
        "fihris_seconds": round(ours_s, 2),
        "naive_seconds": round(naive_s, 2),
        "note": "fihris time includes reading and parsing the JSON Lines corpus; naive does not",
    }
